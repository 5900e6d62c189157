// SentencePiece through lmkit must give exactly what SentencePiece's own command-line tools give:
// a small model is trained at test time with Debian's spm_train on KJV-like text made here, and
// lmkit's ids on held-out lines are compared with spm_encode's.
#include "lmkit/text/sentencepiece_tokenizer.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "lmkit/util/error.hpp"
#include "test_files.hpp"

namespace lmkit::text {
namespace {

using Ids = std::vector<std::uint32_t>;

// Verse-like lines from a fixed word list and seed.
std::vector<std::string> kjv_like_lines(std::size_t n, unsigned seed) {
  static const std::vector<std::string> words = {
      "And",    "the",    "LORD",   "God",  "said",     "unto",     "Moses", "thou",      "shalt",
      "not",    "hath",   "begat",  "of",   "Israel",   "children", "in",    "that",      "day",
      "behold", "earth",  "heaven", "his",  "servants", "came",     "to",    "Jerusalem", "and",
      "it",     "came",   "to",     "pass", "when",     "he",       "had",   "spoken",    "these",
      "words",  "Lord's", "naïve",  "Æsop", "1",        "12",       "40",    "thousand",  "Selah",
      "O",      "ye",     "which",  "were", "with",     "him"};
  std::mt19937 random(seed);
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < n; ++i) {
    std::string line;
    const std::size_t length = 6 + random() % 20;
    for (std::size_t w = 0; w < length; ++w) {
      if (w) line += random() % 12 == 0 ? ", " : " ";
      line += words[random() % words.size()];
    }
    line += random() % 3 == 0 ? ":" : ".";
    lines.push_back(line);
  }
  return lines;
}

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  if (pclose(pipe) != 0) throw std::runtime_error("command failed: " + command + "\n" + output);
  return output;
}

void check_against_spm_encode(const std::string& model_type) {
  testing::TempDir dir;
  std::string train, held_out;
  for (const auto& line : kjv_like_lines(3000, 1)) train += line + "\n";
  const auto held_out_lines = kjv_like_lines(200, 2);
  for (const auto& line : held_out_lines) held_out += line + "\n";
  dir.write("train.txt", train);
  dir.write("held_out.txt", held_out);
  const std::string prefix = dir.path("kjv_" + model_type);
  run("spm_train --input=" + dir.path("train.txt") + " --model_prefix=" + prefix +
      " --vocab_size=350 --model_type=" + model_type +
      " --character_coverage=1.0 --byte_fallback=true --minloglevel=2 2>&1");
  const std::string expected_text =
      run("spm_encode --model=" + prefix + ".model --output_format=id < " + dir.path("held_out.txt"));

  auto tokenizer = load_tokenizer(prefix + ".model");
  EXPECT_EQ(tokenizer->vocab_size(), 350u);
  std::istringstream expected_lines(expected_text);
  std::string expected_line;
  std::size_t compared = 0;
  for (const auto& line : held_out_lines) {
    ASSERT_TRUE(std::getline(expected_lines, expected_line));
    Ids expected;
    std::istringstream numbers(expected_line);
    for (std::uint32_t id; numbers >> id;) expected.push_back(id);
    const Ids ids = tokenizer->encode(line);
    EXPECT_EQ(ids, expected) << line;
    EXPECT_EQ(tokenizer->decode(ids), line);
    ++compared;
  }
  EXPECT_EQ(compared, 200u);
  // Characters never seen in training fall back to bytes and still round-trip.
  EXPECT_EQ(tokenizer->decode(tokenizer->encode("Zebra ☃ 中")), "Zebra ☃ 中");

  // Invalid UTF-8: SentencePiece turns each malformed byte into U+FFFD.
  EXPECT_EQ(tokenizer->decode(tokenizer->encode("And\xff the")), "And\xef\xbf\xbd the");

  const SpecialTokens specials = tokenizer->specials();
  EXPECT_EQ(specials.unk, 0u);  // spm_train's defaults: <unk>=0, <s>=1, </s>=2, no pad
  EXPECT_EQ(specials.bos, 1u);
  EXPECT_EQ(specials.eos, 2u);
  EXPECT_FALSE(specials.pad.has_value());
  EXPECT_EQ(tokenizer->piece(2), "</s>");
  EXPECT_EQ(tokenizer->id_of("</s>"), 2u);
  EXPECT_FALSE(tokenizer->id_of("no such piece").has_value());
  // Control tokens come from text only when asked.
  const Ids plain = tokenizer->encode("</s>");
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 2u), 0);
  Ids expected = tokenizer->encode("And the LORD");
  expected.push_back(2);
  EXPECT_EQ(tokenizer->encode_with_specials("And the LORD</s>"), expected);
  const Ids out_of_range = {5, 350};
  EXPECT_THROW(tokenizer->decode(out_of_range), Error);
}

TEST(SentencePieceTokenizer, UnigramAgreesWithSpmEncode) { check_against_spm_encode("unigram"); }

TEST(SentencePieceTokenizer, BpeAgreesWithSpmEncode) { check_against_spm_encode("bpe"); }

TEST(SentencePieceTokenizer, BadModelFileIsNamed) {
  testing::TempDir dir;
  const auto path = dir.write("broken.model", "not a protobuf");
  try {
    load_tokenizer(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": cannot load SentencePiece model"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lmkit::text
