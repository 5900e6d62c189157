#include "lmkit/api/tokenizer_training.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/error.hpp"
#include "support/temp_dir.hpp"

namespace lmkit::api {
namespace {

TokenizerTrainOptions small_corpus(const testing::TempDir& tmp, const std::string& out) {
  const std::string corpus = (tmp.path / "corpus.txt").string();
  std::ofstream f(corpus);
  for (int i = 0; i < 100; ++i) f << "And the LORD spake unto Moses, saying " << i << "\n";
  f.close();
  TokenizerTrainOptions o;
  o.corpus = {corpus};
  o.corpus_options.lines = true;
  o.vocab_size = 300;
  o.out = (tmp.path / out).string();
  o.quiet = true;
  return o;
}

TEST(TrainTokenizer, BpeDirectoryLoadsBackAndRoundTrips) {
  testing::TempDir tmp;
  const TokenizerTrainResult r = train_tokenizer(small_corpus(tmp, "bpe"));
  EXPECT_EQ(r.documents, 100u);
  // This corpus runs out of pairs seen twice before 300: the vocabulary is the bytes, the merges
  // learned and <|endoftext|>, last.
  EXPECT_GT(r.vocab_size, 280u);
  EXPECT_LE(r.vocab_size, 300u);
  EXPECT_EQ(r.vocab_size, 256u + r.merges + 1u);
  const auto tokenizer = text::load_tokenizer(r.out);
  EXPECT_EQ(tokenizer->vocab_size(), r.vocab_size);
  const auto ids = tokenizer->encode("And the LORD spake");
  EXPECT_LT(ids.size(), 8u);  // merges learned: fewer tokens than the 18 bytes
  EXPECT_EQ(tokenizer->decode(ids), "And the LORD spake");
  EXPECT_EQ(tokenizer->specials().eos, r.vocab_size - 1);
}

TEST(TrainTokenizer, WordPieceWritesVocabTxt) {
  testing::TempDir tmp;
  TokenizerTrainOptions o = small_corpus(tmp, "wp");
  o.type = TokenizerType::wordpiece;
  o.vocab_size = 80;
  const TokenizerTrainResult r = train_tokenizer(o);
  EXPECT_TRUE(std::filesystem::is_regular_file(r.out + "/vocab.txt"));
  EXPECT_EQ(text::load_tokenizer(r.out)->vocab_size(), r.vocab_size);
  EXPECT_EQ(text::load_tokenizer(r.out)->decode(text::load_tokenizer(r.out)->encode("the lord")), "the lord");
}

TEST(TrainTokenizer, RefusalsNameTheFieldBeforeAnyOutput) {
  testing::TempDir tmp;
  auto field_of = [](const TokenizerTrainOptions& o) -> std::string {
    try {
      train_tokenizer(o);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "";
  };
  TokenizerTrainOptions o = small_corpus(tmp, "x");
  o.vocab_size = 100;  // fewer than the 256 bytes
  EXPECT_EQ(field_of(o), "vocab_size");
  o.type = TokenizerType::wordpiece;
  o.vocab_size = 5;
  EXPECT_EQ(field_of(o), "vocab_size");
  EXPECT_FALSE(std::filesystem::exists(o.out));
  EXPECT_THROW(parse_tokenizer_type("unigram"), InvalidArgument);
}

}  // namespace
}  // namespace lmkit::api
