#include <gtest/gtest.h>

#include <random>

#include "lmkit/text/bpe_files.hpp"
#include "lmkit/text/byte_level_bpe.hpp"
#include "lmkit/text/parallel_tokenize.hpp"
#include "lmkit/text/pretokenizer.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "test_files.hpp"

namespace lmkit::text {
namespace {

using Ids = std::vector<std::uint32_t>;

const ByteLevelBpe& gpt2() {
  static const auto tokenizer = [] {
    auto loaded = load_tokenizer("gpt2");
    return std::unique_ptr<ByteLevelBpe>(static_cast<ByteLevelBpe*>(loaded.release()));
  }();
  return *tokenizer;
}

struct Fixture {
  std::string text;
  Ids ids;
};

// Ids made by gpt-3-encoder's Encoder.js (tests/reference/gpt2_tokenizer/make_fixtures.js).
const std::vector<Fixture>& fixtures() {
  static const auto loaded = [] {
    const Json root =
        read_json_file(std::string(LMKIT_SOURCE_DIR) + "/tests/reference/gpt2_tokenizer/fixtures.json");
    std::vector<Fixture> out;
    for (const auto& item : root.at("fixtures")) out.push_back({item.at("text"), item.at("ids").get<Ids>()});
    return out;
  }();
  return loaded;
}

TEST(Gpt2Tokenizer, KnownIds) {
  EXPECT_EQ(gpt2().vocab_size(), 50257u);
  EXPECT_EQ(gpt2().encode("Hello world"), (Ids{15496, 995}));
  EXPECT_EQ(gpt2().piece(995), "\xc4\xa0world");  // "Ġworld"
  EXPECT_EQ(gpt2().id_of("\xc4\xa0world"), 995u);
  EXPECT_EQ(gpt2().specials().eos, 50256u);
  EXPECT_EQ(gpt2().spec(), "gpt2");
}

TEST(Gpt2Tokenizer, MatchesTheJavaScriptEncoderOnEveryFixture) {
  ASSERT_GE(fixtures().size(), 200u);
  for (const auto& fixture : fixtures()) {
    EXPECT_EQ(gpt2().encode(fixture.text), fixture.ids) << "text: " << Json(fixture.text).dump();
    EXPECT_EQ(gpt2().decode(fixture.ids), fixture.text);
  }
}

TEST(Gpt2Tokenizer, FastMergesAgreeWithGpt2sAlgorithm) {
  std::vector<std::string_view> words;
  Pretokenizer pretokenizer{std::string(kGpt2Pattern)};
  for (const auto& fixture : fixtures()) pretokenizer.split(fixture.text, words);
  std::mt19937 random(7);
  std::vector<std::string> random_words;
  for (int i = 0; i < 300; ++i) {
    std::string word(1 + random() % 40, '\0');
    for (auto& c : word) c = static_cast<char>(random() % 4 == 0 ? random() % 256 : 'a' + random() % 6);
    random_words.push_back(word);
  }
  for (const auto& word : random_words) words.push_back(word);
  ASSERT_GT(words.size(), 5000u);
  for (auto word : words)
    ASSERT_EQ(gpt2().bpe_word(word), gpt2().bpe_word_reference(word)) << Json(std::string(word)).dump();
}

TEST(Gpt2Tokenizer, InvalidUtf8RunsAreTheirOwnWordsAndRoundTrip) {
  const auto& t = gpt2();
  // A run of bad bytes is one word, cut out of the valid text around it.
  Ids expected = t.encode("ab");
  for (auto id : t.bpe_word("\xff\xfe")) expected.push_back(id);
  for (auto id : t.encode(" cd")) expected.push_back(id);
  EXPECT_EQ(t.encode("ab\xff\xfe cd"), expected);
  // A truncated sequence at the end.
  EXPECT_EQ(t.decode(t.encode("caf\xc3")), "caf\xc3");
  std::mt19937 random(11);
  for (int i = 0; i < 200; ++i) {
    std::string bytes(random() % 64, '\0');
    for (auto& c : bytes) c = static_cast<char>(random() % 256);
    ASSERT_EQ(t.decode(t.encode(bytes)), bytes);
  }
}

TEST(Gpt2Tokenizer, SpecialTokensOnlyWhenAsked) {
  const auto& t = gpt2();
  // As text: "<", "|", "end", "of", "text", "|", ">" (ids from Encoder.js).
  EXPECT_EQ(t.encode("<|endoftext|>"), (Ids{27, 91, 437, 1659, 5239, 91, 29}));
  Ids expected = t.encode("Amen.");
  expected.push_back(50256);
  for (auto id : t.encode(" Next")) expected.push_back(id);
  EXPECT_EQ(t.encode_with_specials("Amen.<|endoftext|> Next"), expected);
  EXPECT_EQ(t.encode_with_specials("<|endoftext|><|endoftext|>"), (Ids{50256, 50256}));
  EXPECT_EQ(t.decode(Ids{50256}), "<|endoftext|>");
}

TEST(Gpt2Tokenizer, OutOfRangeIdsAreNamed) {
  Ids ids = {15496, 50257};
  try {
    gpt2().decode(ids);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token id 50257 at position 1"), std::string::npos) << e.what();
  }
}

TEST(Gpt2Tokenizer, LongRunsDoNotExhaustTheMatcher) {
  std::string spaces(1 << 20, ' ');
  spaces += "x";
  auto ids = gpt2().encode(spaces);
  EXPECT_EQ(gpt2().decode(ids), spaces);
  std::string letters(1 << 18, 'q');
  EXPECT_EQ(gpt2().decode(gpt2().encode(letters)), letters);
}

TEST(Gpt2Tokenizer, ParallelEncodingEqualsSequential) {
  std::vector<std::string_view> texts;
  for (const auto& fixture : fixtures()) texts.push_back(fixture.text);
  auto ids = encode_parallel(gpt2(), texts);
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(ids[i], fixtures()[i].ids);
}

TEST(Pretokenizer, SplitsAsGpt2Does) {
  Pretokenizer pretokenizer{std::string(kGpt2Pattern)};
  std::vector<std::string_view> pieces;
  pretokenizer.split("I'm  here\t\tnow 123abc!! ", pieces);
  EXPECT_EQ(pieces, (std::vector<std::string_view>{"I", "'m", " ", " here", "\t", "\t", "now", " 123", "abc",
                                                   "!!", " "}));
}

TEST(Pretokenizer, BadPatternIsNamed) {
  try {
    Pretokenizer bad("(unclosed");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(unclosed"), std::string::npos) << e.what();
  }
}

TEST(HfTokenizerJson, Gpt2WrittenAndReadBackEncodesTheSame) {
  testing::TempDir dir;
  write_hf_tokenizer_json(gpt2(), dir.path("tokenizer.json"));
  auto loaded = load_tokenizer(dir.path());
  EXPECT_EQ(loaded->vocab_size(), 50257u);
  EXPECT_EQ(loaded->specials().eos, 50256u);
  for (const auto& fixture : fixtures()) ASSERT_EQ(loaded->encode(fixture.text), fixture.ids);
  EXPECT_EQ(loaded->encode_with_specials("a<|endoftext|>"), (Ids{64, 50256}));
}

TEST(HfTokenizerJson, ReadsArrayMergesCustomPatternsAndConfigSpecials) {
  testing::TempDir dir;
  // A tiny byte-level BPE: the 256 byte symbols, merges "a b" → "ab" and "ab c" → "abc".
  Json vocab = Json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_to_piece_char(static_cast<std::uint8_t>(b))] = b;
  vocab["ab"] = 256;
  vocab["abc"] = 257;
  Json root = {{"added_tokens", {{{"id", 258}, {"content", "<eos>"}, {"special", true}}}},
               {"normalizer", nullptr},
               {"pre_tokenizer",
                {{"type", "Sequence"},
                 {"pretokenizers",
                  {{{"type", "Split"},
                    {"pattern", {{"Regex", "[a-z]+|[^a-z]+"}}},
                    {"behavior", "Isolated"},
                    {"invert", false}},
                   {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
               {"model",
                {{"type", "BPE"},
                 {"vocab", vocab},
                 {"merges", Json::array({Json::array({"a", "b"}), Json::array({"ab", "c"})})}}}};
  dir.write("tokenizer.json", root.dump());
  dir.write("tokenizer_config.json", R"({"eos_token": {"content": "<eos>"}, "bos_token": null})");
  auto t = load_tokenizer(dir.path("tokenizer.json"));
  EXPECT_EQ(t->encode("abc ab"), (Ids{257, ' ', 256}));
  EXPECT_EQ(t->specials().eos, 258u);
  EXPECT_FALSE(t->specials().bos.has_value());
  EXPECT_EQ(t->encode_with_specials("abc<eos>"), (Ids{257, 258}));

  root["normalizer"] = {{"type", "NFC"}};
  dir.write("nfc/tokenizer.json", root.dump());
  EXPECT_THROW(load_tokenizer(dir.path("nfc/tokenizer.json")), Error);
  root["normalizer"] = nullptr;
  root["model"]["merges"].push_back(Json::array({"x", "nope"}));
  dir.write("bad/tokenizer.json", root.dump());
  try {
    load_tokenizer(dir.path("bad/tokenizer.json"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("merge 3 \"x nope\""), std::string::npos) << e.what();
  }
  // An added token's id is read typed and bounded by the vocabulary: 2^32 + 258 is named as written,
  // not truncated to 258 (nor, above, used to size the piece table).
  root["model"]["merges"].erase(root["model"]["merges"].size() - 1);
  for (const Json& id : {Json(std::uint64_t{4294967554}), Json(-1), Json("258")}) {
    root["added_tokens"][0]["id"] = id;
    dir.write("id/tokenizer.json", root.dump());
    try {
      load_tokenizer(dir.path("id/tokenizer.json"));
      FAIL() << "added token id " << id.dump() << " loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("added_tokens: field \"id\" is " + id.dump()), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("expected an integer from 0 to 258"), std::string::npos)
          << e.what();
    }
  }
}

TEST(LoadTokenizer, PathsAndErrors) {
  EXPECT_EQ(load_tokenizer(gpt2_files_dir())->encode("Hello world"), (Ids{15496, 995}));
  EXPECT_EQ(load_tokenizer(gpt2_files_dir() + "/encoder.json")->vocab_size(), 50257u);
  // A missing path is a missing file (Error, exit 1), not a usage error (data_files_test.cpp checks the
  // message).
  EXPECT_THROW(load_tokenizer("/no/such/tokenizer.json"), Error);
  testing::TempDir dir;
  EXPECT_THROW(load_tokenizer(dir.path()), UsageError);
  dir.write("broken/tokenizer.json", "{\"model\": ");
  EXPECT_THROW(load_tokenizer(dir.path("broken")), Error);
}

}  // namespace
}  // namespace lmkit::text
