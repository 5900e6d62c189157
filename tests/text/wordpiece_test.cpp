// WordPiece: BERT's basic tokenizer and greedy longest-match-first splitting on hand-checked cases
// (the cases of BERT's own tokenization_test.py among them), the files in and out, and the trainer's
// merges worked out by hand.
#include "lmkit/text/wordpiece.hpp"

#include <gtest/gtest.h>

#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "test_files.hpp"

namespace lmkit::text {
namespace {

using Words = std::vector<std::string>;

// BERT's test vocabulary (tokenization_test.py), after our specials.
WordPieceTokenizer bert_test_tokenizer(WordPieceOptions options = {}) {
  return WordPieceTokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "want", "##want", "##ed", "wa",
                             "un", "runn", "##ing", ","},
                            options, "test");
}

Words pieces(const WordPieceTokenizer& t, const std::vector<std::uint32_t>& ids) {
  Words out;
  for (auto id : ids) out.push_back(t.piece(id));
  return out;
}

TEST(BertBasicTokenizer, LowercasesStripsAccentsAndSplitsPunctuation) {
  WordPieceOptions lower;
  EXPECT_EQ(bert_basic_tokenize(" \tHeLLo!how  \n Are yoU?  ", lower),
            (Words{"hello", "!", "how", "are", "you", "?"}));
  EXPECT_EQ(bert_basic_tokenize("H\u00E9llo", lower), (Words{"hello"}));
  EXPECT_EQ(bert_basic_tokenize("Caf\u00E9, na\u00EFve co\u00F6perate", lower),
            (Words{"cafe", ",", "naive", "cooperate"}));
  // $ and ^ are ASCII symbols BERT treats as punctuation although Unicode does not.
  EXPECT_EQ(bert_basic_tokenize("a$b^c", lower), (Words{"a", "$", "b", "^", "c"}));
}

TEST(BertBasicTokenizer, KeepsCaseAndAccentsWhenAsked) {
  WordPieceOptions cased;
  cased.lowercase = cased.strip_accents = false;
  EXPECT_EQ(bert_basic_tokenize(" \tHeLLo!how  \n Are yoU?  ", cased),
            (Words{"HeLLo", "!", "how", "Are", "yoU", "?"}));
  EXPECT_EQ(bert_basic_tokenize("H\u00E9llo", cased), (Words{"H\u00E9llo"}));
  WordPieceOptions strip_only;
  strip_only.lowercase = false;
  EXPECT_EQ(bert_basic_tokenize("H\u00E9llo", strip_only), (Words{"Hello"}));
}

TEST(BertBasicTokenizer, SplitsCjkDropsControlCharactersAndRejectsBadUtf8) {
  WordPieceOptions o;
  EXPECT_EQ(bert_basic_tokenize("ah\u535A\u63A8zz", o), (Words{"ah", "\u535A", "\u63A8", "zz"}));
  o.split_cjk = false;
  EXPECT_EQ(bert_basic_tokenize("ah\u535A\u63A8zz", o), (Words{"ah\u535A\u63A8zz"}));
  EXPECT_EQ(bert_basic_tokenize(std::string("a\x01"
                                            "b\xE2\x80\x8B"
                                            "c d",
                                            9),
                                o),
            (Words{"abc", "d"}));
  // U+3000 (ideographic space, Zs) separates words.
  EXPECT_EQ(bert_basic_tokenize("x\u3000y", o), (Words{"x", "y"}));
  EXPECT_THROW(bert_basic_tokenize("a\xFF", o), Error);
}

TEST(WordPiece, GreedyLongestMatchFirstWithUnknownWords) {
  auto t = bert_test_tokenizer();
  EXPECT_EQ(pieces(t, t.encode("unwanted running")), (Words{"un", "##want", "##ed", "runn", "##ing"}));
  EXPECT_EQ(pieces(t, t.encode("unwantedX running")), (Words{"[UNK]", "runn", "##ing"}));
  EXPECT_EQ(pieces(t, t.encode("UNwant\u00E9d,running")),
            (Words{"un", "##want", "##ed", ",", "runn", "##ing"}));
  EXPECT_TRUE(t.encode("").empty());
  EXPECT_EQ(t.decode(t.encode("UNwant\u00E9d,running")), "unwanted , running");
}

TEST(WordPiece, OverlongWordsAreUnknown) {
  WordPieceOptions o;
  o.max_input_chars_per_word = 5;
  auto t = bert_test_tokenizer(o);
  EXPECT_EQ(pieces(t, t.encode("wanted")), (Words{"[UNK]"}));
  EXPECT_EQ(pieces(t, t.encode("want")), (Words{"want"}));
}

TEST(WordPiece, SpecialsAreMatchedOnlyByEncodeWithSpecials) {
  auto t = bert_test_tokenizer();
  EXPECT_EQ(pieces(t, t.encode_with_specials("[CLS] unwanted[SEP]runn[MASK]")),
            (Words{"[CLS]", "un", "##want", "##ed", "[SEP]", "runn", "[MASK]"}));
  // Plain encode() reads "[CLS]" as the text "[", "cls", "]".
  EXPECT_EQ(pieces(t, t.encode("[CLS]")), (Words{"[UNK]", "[UNK]", "[UNK]"}));
  SpecialTokens s = t.specials();
  EXPECT_EQ(s.pad, 0u);
  EXPECT_EQ(s.unk, 1u);
  EXPECT_EQ(s.bos, 2u);
  EXPECT_EQ(s.eos, 3u);
  EXPECT_EQ(t.required_id("[MASK]"), 4u);
  EXPECT_THROW(t.decode(std::vector<std::uint32_t>{99}), Error);
  EXPECT_THROW(WordPieceTokenizer({"a", "a", "[UNK]"}, {}, "dup"), Error);
  EXPECT_THROW(WordPieceTokenizer({"a"}, {}, "no-unk"), Error);
}

TEST(WordPiece, VocabTxtAndTokenizerJsonRoundTripThroughLoadTokenizer) {
  testing::TempDir dir;
  auto t = bert_test_tokenizer();
  std::filesystem::create_directories(dir.path("json"));
  std::filesystem::create_directories(dir.path("txt"));
  write_hf_wordpiece_json(t, dir.path("json/tokenizer.json"));
  write_wordpiece_vocab(t, dir.path("txt/vocab.txt"));
  const std::string text = "UNwant\u00E9d,running [MASK]";
  for (const std::string& spec :
       {dir.path("json"), dir.path("json/tokenizer.json"), dir.path("txt"), dir.path("txt/vocab.txt")}) {
    auto loaded = load_tokenizer(spec);
    ASSERT_NE(dynamic_cast<WordPieceTokenizer*>(loaded.get()), nullptr) << spec;
    EXPECT_EQ(loaded->encode(text), t.encode(text)) << spec;
    EXPECT_EQ(loaded->encode_with_specials(text), t.encode_with_specials(text)) << spec;
    EXPECT_EQ(loaded->vocab_size(), t.vocab_size());
    EXPECT_EQ(loaded->spec(), spec);
  }
  // tokenizer_config.json beside vocab.txt: a cased model.
  dir.write("txt/tokenizer_config.json", R"({"do_lower_case": false})");
  auto cased = load_tokenizer(dir.path("txt"));
  EXPECT_EQ(pieces(*dynamic_cast<WordPieceTokenizer*>(cased.get()), cased->encode("Want want")),
            (Words{"[UNK]", "want"}));
}

// The one writer of a WordPiece directory: its tokenizer_config.json gives back every option, the
// combinations BERT's null strip_accents cannot say included (lowercased but accents kept).
TEST(WordPiece, DirectoryFilesGiveBackTheTokenizersOptions) {
  testing::TempDir dir;
  WordPieceOptions options;
  options.lowercase = true;
  options.strip_accents = false;
  options.split_cjk = false;
  auto t = bert_test_tokenizer(options);
  std::filesystem::create_directories(dir.path("wp"));
  write_wordpiece_files(t, dir.path("wp"), 512);
  std::filesystem::remove(dir.path("wp/tokenizer.json"));  // read vocab.txt + tokenizer_config.json
  auto loaded = load_tokenizer(dir.path("wp"));
  auto* wordpiece = dynamic_cast<WordPieceTokenizer*>(loaded.get());
  ASSERT_NE(wordpiece, nullptr);
  EXPECT_TRUE(wordpiece->options().lowercase);
  EXPECT_FALSE(wordpiece->options().strip_accents);
  EXPECT_FALSE(wordpiece->options().split_cjk);
  const Json config = read_json_file(dir.path("wp/tokenizer_config.json"));
  EXPECT_EQ(config["model_max_length"], 512);
  EXPECT_EQ(config["tokenizer_class"], "BertTokenizerFast");
}

TEST(WordPiece, RejectsBadTokenizerJson) {
  testing::TempDir dir;
  auto bad_type = dir.write("a/tokenizer.json",
                            R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "x": 5}},
                                "pre_tokenizer": {"type": "BertPreTokenizer"}, "normalizer": null})");
  EXPECT_THROW(load_hf_wordpiece(bad_type, "a"), Error);
  auto no_pre = dir.write("b/tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}},
                                                  "normalizer": null, "pre_tokenizer": null})");
  EXPECT_THROW(load_hf_wordpiece(no_pre, "b"), Error);
  auto ok = dir.write("c/tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "hi": 1}},
                                              "normalizer": null, "pre_tokenizer": {"type": "BertPreTokenizer"}})");
  auto t = load_hf_wordpiece(ok, "c");
  EXPECT_EQ(t->encode("hi Hi"), (std::vector<std::uint32_t>{1, 0}));  // no normalizer: case kept
}

TEST(WordPieceTrainer, MergesTheMostFrequentPairsAsWorkedOutByHand) {
  // Pair counts at the start: (##e, ##s) = (##s, ##t) = 9 (newest 6 + widest 3), (##w, ##e) = 8, ...
  // Merges: ##e+##s (tie broken by the smaller strings), ##es+##t, ##o+##w (7, tied with l+##o, and
  // "##o" < "l"), l+##ow, then ##e+##w (6, tied with n+##e and ##w+##est).
  std::unordered_map<std::string, std::uint64_t> words = {
      {"low", 5}, {"lower", 2}, {"newest", 6}, {"widest", 3}};
  WordPieceTrainOptions options;
  options.vocab_size = 21;
  auto vocab = train_wordpiece_vocab(words, options);
  Words expected = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##d", "##e",
                    "##i",   "##o",   "##r",   "##s",   "##t",    "##w", "l",
                    "n",     "w",     "##es",  "##est", "##ow",   "low", "##ew"};
  EXPECT_EQ(vocab, expected);
  WordPieceTokenizer t(vocab, {}, "trained");
  EXPECT_EQ(pieces(t, t.encode("Lowest newer")), (Words{"low", "##est", "n", "##ew", "##e", "##r"}));
  // min_frequency stops the merges early.
  options.vocab_size = 100;
  options.min_frequency = 7;
  EXPECT_EQ(train_wordpiece_vocab(words, options).size(), 16u + 4u);  // ##es, ##est, ##ow, low
}

}  // namespace
}  // namespace lmkit::text
