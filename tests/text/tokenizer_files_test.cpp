// Tokenizer files carried into model directories: which files a spec names, that the copies load
// back as the same tokenizer (by encoding and by fingerprint), and that fingerprints tell tokenizers apart.
#include "lmkit/text/tokenizer_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "lmkit/text/bpe_files.hpp"
#include "lmkit/util/error.hpp"
#include "test_files.hpp"

namespace lmkit::text {
namespace {

using testing::TempDir;

TEST(TokenizerFiles, BytesHasNoFilesAndADirectoryWithoutFilesIsNoTokenizer) {
  EXPECT_TRUE(tokenizer_files("bytes").empty());
  TempDir dir;
  EXPECT_FALSE(directory_has_tokenizer(dir.path()));
  copy_tokenizer_files("bytes", dir.path());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(TokenizerFiles, Gpt2BecomesHuggingFacesVocabAndMergesAndLoadsBackIdentically) {
  auto files = tokenizer_files("gpt2");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name, "vocab.json");
  EXPECT_EQ(files[1].name, "merges.txt");
  TempDir dir;
  copy_tokenizer_files("gpt2", dir.path());
  ASSERT_TRUE(directory_has_tokenizer(dir.path()));
  auto original = load_tokenizer("gpt2");
  auto copy = load_tokenizer(dir.path());
  const std::string text = "In the beginning God created the heaven and the earth. naïve 東京 🙂";
  EXPECT_EQ(copy->encode(text), original->encode(text));
  EXPECT_EQ(tokenizer_fingerprint(*copy), tokenizer_fingerprint(*original));
  EXPECT_NE(tokenizer_fingerprint(*copy), tokenizer_fingerprint(BytesTokenizer()));
}

// (tokenizer.json copied into a model directory is checked end to end in tests/cli/train_generate_test.sh.)
TEST(TokenizerFiles, EncoderJsonAndVocabBpeNamedByEitherFileAreCopiedAsVocabAndMerges) {
  TempDir source, model;
  const std::string gpt2 = gpt2_files_dir();
  std::filesystem::copy_file(gpt2 + "/encoder.json", source.path("encoder.json"));
  std::filesystem::copy_file(gpt2 + "/vocab.bpe", source.path("vocab.bpe"));
  auto files = tokenizer_files(source.path("vocab.bpe"));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].source, source.path("encoder.json"));
  copy_tokenizer_files(source.path(), model.path());
  EXPECT_EQ(tokenizer_fingerprint(*load_tokenizer(model.path())),
            tokenizer_fingerprint(*load_tokenizer("gpt2")));
}

TEST(TokenizerFiles, AnUnknownSpecIsAUsageErrorNamingIt) {
  try {
    tokenizer_files("no-such-tokenizer");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-tokenizer"), std::string::npos);
  }
}

}  // namespace
}  // namespace lmkit::text
