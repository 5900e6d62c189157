#include "lmkit/text/bpe_trainer.hpp"

#include <gtest/gtest.h>

#include "lmkit/text/bpe_files.hpp"
#include "lmkit/util/error.hpp"
#include "test_files.hpp"

namespace lmkit::text {
namespace {

using Ids = std::vector<std::uint32_t>;
using Merges = std::vector<std::pair<std::string, std::string>>;

TEST(BpeTrainer, LearnsTheMostFrequentPairsFirst) {
  // Words: "ab" once, " ab" twice, " abc" once (checked by hand):
  //   (a,b) occurs 4 times → "ab"; then (Ġ,ab) 3 times → "Ġab"; then (Ġab,c) once → "Ġabc".
  WordCounts words = {{"ab", 1}, {" ab", 2}, {" abc", 1}};
  auto t = train_byte_level_bpe(
      words, {.vocab_size = 300, .min_frequency = 1, .special_tokens = {"<|endoftext|>"}}, "trained");
  EXPECT_EQ(t->merges(), (Merges{{"a", "b"},
                                 {"\xc4\xa0", "ab"},
                                 {"\xc4\xa0"
                                  "ab",
                                  "c"}}));
  EXPECT_EQ(t->vocab_size(), 256u + 3u + 1u);
  EXPECT_EQ(t->piece(256), "ab");
  EXPECT_EQ(t->piece(259), "<|endoftext|>");
  EXPECT_EQ(t->specials().eos, 259u);
  EXPECT_EQ(t->encode("ab abc"), (Ids{256, 258}));
  EXPECT_EQ(t->encode("x"), (Ids{'x'}));
  // min_frequency 2 stops before the merge seen once.
  auto fewer =
      train_byte_level_bpe(words, {.vocab_size = 300, .min_frequency = 2, .special_tokens = {}}, "trained");
  EXPECT_EQ(fewer->merges().size(), 2u);
  // vocab_size bounds the merges.
  auto small =
      train_byte_level_bpe(words, {.vocab_size = 258, .min_frequency = 1, .special_tokens = {"<s>"}}, "t");
  EXPECT_EQ(small->vocab_size(), 258u);
  EXPECT_THROW(train_byte_level_bpe(words, {.vocab_size = 100}, "t"), UsageError);
}

TEST(BpeTrainer, TrainedTokenizerRoundTripsThroughTokenizerJson) {
  testing::TempDir dir;
  std::string corpus;
  for (int i = 0; i < 400; ++i)
    corpus += fmt::format(
        "{{\"text\": \"And the LORD spake unto Moses, saying {}: Thou shalt not. Caf\\u00e9 "
        "\\u4e2d\\u6587!\"}}\n",
        i);
  auto path = dir.write("corpus.jsonl", corpus);
  CorpusReader reader({path});
  const WordCounts words = count_words(reader, std::string(kGpt2Pattern));
  EXPECT_EQ(words.at(" LORD"), 400u);
  EXPECT_EQ(words.at("And"), 400u);
  auto trained = train_byte_level_bpe(words, {.vocab_size = 400}, dir.path("out"));
  write_hf_tokenizer_json(*trained, dir.path("tokenizer.json"));
  auto loaded = load_tokenizer(dir.path("tokenizer.json"));
  EXPECT_EQ(loaded->vocab_size(), trained->vocab_size());
  const std::string text = "And the LORD spake unto Moses, saying 77: Thou shalt not. Café 中文! ☃ unseen";
  EXPECT_EQ(loaded->encode(text), trained->encode(text));
  EXPECT_EQ(loaded->decode(loaded->encode(text)), text);
  EXPECT_LT(loaded->encode("And the LORD spake unto Moses").size(), 8u);  // whole words learned
  EXPECT_EQ(loaded->encode_with_specials("<|endoftext|>"), (Ids{trained->vocab_size() - 1}));
}

}  // namespace
}  // namespace lmkit::text
