// WordPiece, BERT's tokenizer. Text first goes through BERT's basic tokenizer: control characters are
// dropped and whitespace unified, CJK ideographs are split off as words of their own, words are
// optionally lowercased and stripped of accents (NFD, then drop the nonspacing marks, Unicode Mn), and
// punctuation (ASCII punctuation and Unicode P*) becomes a word of its own. Each word is then split
// greedily, longest match first, into vocabulary pieces, pieces after the first carrying the "##"
// prefix; a word that cannot be split completely, or has more than max_input_chars_per_word code
// points, becomes [UNK].
//
// Files: vocab.txt (one piece per line, the id is the line number; options from tokenizer_config.json
// beside it when there is one) and Hugging Face tokenizer.json whose model is WordPiece (normalizer
// BertNormalizer, pre_tokenizer BertPreTokenizer). encode() adds no [CLS] / [SEP]; the models add them.
// Lowercasing uses Unicode's simple case mapping (utf8proc), which differs from Python's str.lower only
// for the few characters whose lowercase is longer than one code point.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lmkit/text/tokenizer.hpp"

namespace lmkit::text {

struct WordPieceOptions {
  bool lowercase = true;
  bool strip_accents = true;
  bool split_cjk = true;  // BERT's tokenize_chinese_chars
  std::string continuing_prefix = "##";
  std::size_t max_input_chars_per_word = 100;
  std::string unk_token = "[UNK]";
};

// BERT's special tokens, in the order lmkit's trained vocabularies put them first.
inline const std::vector<std::string> bert_special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

// BERT's basic tokenizer alone: the words (UTF-8) of `text`, before WordPiece. Throws Error when text
// is not valid UTF-8.
std::vector<std::string> bert_basic_tokenize(std::string_view text, const WordPieceOptions& options);

class WordPieceTokenizer final : public Tokenizer {
 public:
  // vocab[i] is the piece of id i. Throws Error when a piece repeats or unk_token is absent.
  WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options, std::string spec);

  std::vector<std::uint32_t> encode(std::string_view text) const override;
  // Also turns the BERT specials written literally ("[CLS]", "[SEP]", "[MASK]", ...) into their ids.
  std::vector<std::uint32_t> encode_with_specials(std::string_view text) const override;
  // Pieces joined by spaces, continuation pieces glued to the previous one without their prefix
  // (so "un", "##aff", "##able" → "unaffable"); specials are written as themselves.
  std::string decode(std::span<const std::uint32_t> ids) const override;
  std::uint32_t vocab_size() const override { return static_cast<std::uint32_t>(vocab_.size()); }
  std::string piece(std::uint32_t id) const override;
  std::optional<std::uint32_t> id_of(std::string_view piece) const override;
  // pad = [PAD], unk = [UNK], bos = [CLS], eos = [SEP] (each when present).
  SpecialTokens specials() const override;
  std::string spec() const override { return spec_; }

  const WordPieceOptions& options() const { return options_; }
  const std::vector<std::string>& vocab() const { return vocab_; }
  // The id of a piece that must exist (for [CLS], [SEP], [MASK]): throws Error naming it otherwise.
  std::uint32_t required_id(std::string_view piece) const;
  // WordPiece of one basic-tokenizer word, appended to ids.
  void encode_word(std::string_view word, std::vector<std::uint32_t>& ids) const;

 private:
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, std::uint32_t> ids_;
  WordPieceOptions options_;
  std::string spec_;
  std::uint32_t unk_id_ = 0;
};

// vocab.txt (and tokenizer_config.json beside it for do_lower_case / strip_accents /
// tokenize_chinese_chars; BERT-uncased defaults otherwise).
std::unique_ptr<WordPieceTokenizer> load_wordpiece_vocab(const std::string& vocab_txt,
                                                         const std::string& spec);
// A Hugging Face tokenizer.json with a WordPiece model.
std::unique_ptr<WordPieceTokenizer> load_hf_wordpiece(const std::string& tokenizer_json,
                                                      const std::string& spec);
// Whether `tokenizer_json`'s model type is WordPiece (the file is parsed; errors name it).
bool is_wordpiece_tokenizer_json(const std::string& tokenizer_json);

// Writes vocab.txt, and tokenizer.json (WordPiece model, BertNormalizer, BertPreTokenizer, the
// [CLS] $A [SEP] template) that load_hf_wordpiece and Hugging Face tokenizers read; each atomically.
void write_wordpiece_vocab(const WordPieceTokenizer& tokenizer, const std::string& path);
void write_hf_wordpiece_json(const WordPieceTokenizer& tokenizer, const std::string& path);
// The one writer of a WordPiece tokenizer's directory files, for BERT model directories and trained
// tokenizers alike: vocab.txt, tokenizer.json and tokenizer_config.json (BertTokenizerFast, with
// do_lower_case, strip_accents, tokenize_chinese_chars and unk_token from the tokenizer's options,
// so load_wordpiece_vocab reads back the same tokenizer; model_max_length when not 0) into the
// existing directory `dir`, each file atomically.
void write_wordpiece_files(const WordPieceTokenizer& tokenizer, const std::string& dir,
                           std::size_t model_max_length = 0);

// Training, as Hugging Face's WordPieceTrainer does it: BPE over the characters of the basic
// tokenizer's words, where a piece that does not start a word carries the "##" prefix. The vocabulary
// is the BERT specials, then the alphabet (every character seen, plain and "##"-prefixed as it occurs),
// then one merged piece per merge, most frequent pair first (ties: the smaller pair of strings), until
// vocab_size pieces or no pair occurs min_frequency times.
struct WordPieceTrainOptions {
  std::size_t vocab_size = 8000;
  std::uint64_t min_frequency = 2;
  WordPieceOptions tokenizer;
};
// words: each distinct basic-tokenizer word and its count.
std::vector<std::string> train_wordpiece_vocab(const std::unordered_map<std::string, std::uint64_t>& words,
                                               const WordPieceTrainOptions& options);

}  // namespace lmkit::text
