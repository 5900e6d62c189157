// Byte-level BPE, the tokenizer of GPT-2 and of most models since (RoBERTa, GPT-J, Llama 3, ...).
// encode(text):
//   1. Invalid UTF-8 (see below) is cut out; each valid stretch is split into words by the
//      pre-tokenizer's regular expression (GPT-2's by default; see pretokenizer.hpp).
//   2. Each word's UTF-8 bytes start as one symbol per byte; the pair of adjacent symbols with the
//      lowest merge rank is merged, everywhere in the word from left to right, until no adjacent pair
//      has a rank. Results are cached per word (per thread).
//   3. Added (special) tokens such as <|endoftext|> are matched in the text only by
//      encode_with_specials(); encode() treats them as ordinary text, so user text can never inject
//      a control token.
// decode(ids) concatenates the bytes of the pieces, so decode(encode(x)) == x for every string x.
//
// Invalid UTF-8 input is not an error and loses nothing: each maximal run of bytes that are not part
// of a well-formed UTF-8 sequence becomes a word of its own, encoded through the same byte symbols and
// merges, and decodes back to the same bytes. Valid text on either side is pre-tokenized as if the
// run were a boundary (the run never joins a neighbouring word).
//
// Vocabulary pieces are stored as GPT-2 stores them: each byte written as one printable character of
// GPT-2's byte-to-unicode map (the space byte is "Ġ", newline "Ċ").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lmkit/text/pretokenizer.hpp"
#include "lmkit/text/tokenizer.hpp"

namespace lmkit::text {

// GPT-2's byte-to-unicode map: the printable character (as UTF-8) standing for byte b in pieces.
std::string byte_to_piece_char(std::uint8_t b);
// The bytes that a piece written in that alphabet stands for; nullopt if a character is outside it.
std::optional<std::string> piece_to_bytes(std::string_view piece);
// The piece that stands for `bytes`.
std::string bytes_to_piece(std::string_view bytes);

struct AddedToken {
  std::string content;  // the literal text, e.g. "<|endoftext|>"
  std::uint32_t id = 0;
  bool special = true;
};

struct ByteLevelBpeConfig {
  std::vector<std::string> pieces;                          // by id: the vocabulary as stored
  std::vector<std::pair<std::string, std::string>> merges;  // by rank (first = merged first)
  std::vector<AddedToken> added_tokens;                     // ids among pieces' ids
  std::string pattern{kGpt2Pattern};                        // the pre-tokenizer
  bool add_prefix_space = false;  // prepend " " to a text that does not start with one
  bool ignore_merges = false;     // a word that is itself a piece becomes that piece (Llama 3)
  SpecialTokens specials;
  std::string spec;    // what load_tokenizer() calls it
  std::string source;  // the file(s) it came from, for error messages
};

class ByteLevelBpe final : public Tokenizer {
 public:
  // Checks the vocabulary and merges; throws Error naming config.source and the bad entry.
  explicit ByteLevelBpe(ByteLevelBpeConfig config);
  ~ByteLevelBpe() override;

  std::vector<std::uint32_t> encode(std::string_view text) const override;
  std::vector<std::uint32_t> encode_with_specials(std::string_view text) const override;
  std::string decode(std::span<const std::uint32_t> ids) const override;
  std::uint32_t vocab_size() const override { return static_cast<std::uint32_t>(pieces_.size()); }
  std::string piece(std::uint32_t id) const override;
  std::optional<std::uint32_t> id_of(std::string_view piece) const override;
  SpecialTokens specials() const override { return specials_; }
  std::string spec() const override { return spec_; }

  // The merges of one word (raw bytes), uncached: the fast path (a heap of candidate pairs).
  std::vector<std::uint32_t> bpe_word(std::string_view word) const;
  // The same by GPT-2's own algorithm (openai/gpt-2 encoder.py), quadratic: the oracle in tests.
  std::vector<std::uint32_t> bpe_word_reference(std::string_view word) const;

  const std::string& pattern() const { return pretokenizer_.pattern(); }
  const std::vector<std::pair<std::string, std::string>>& merges() const { return merges_; }
  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }

 private:
  struct Merge {
    std::uint32_t rank;
    std::uint32_t merged_id;
  };
  void encode_text(std::string_view text, std::vector<std::uint32_t>& ids) const;
  void encode_valid(std::string_view text, std::vector<std::uint32_t>& ids) const;
  void encode_word(std::string_view word, std::vector<std::uint32_t>& ids) const;
  const Merge* find_merge(std::uint32_t left, std::uint32_t right) const;

  std::vector<std::string> pieces_;                           // by id
  std::vector<std::string> id_bytes_;                         // by id: the bytes decode() writes
  std::unordered_map<std::string, std::uint32_t> piece_ids_;  // piece → id
  std::unordered_map<std::string, std::uint32_t> bytes_ids_;  // bytes → id (ignore_merges)
  std::uint32_t byte_ids_[256];                               // the one-byte symbols
  std::unordered_map<std::uint64_t, Merge> merge_of_pair_;    // (left << 32 | right) → merge
  std::vector<std::pair<std::string, std::string>> merges_;
  std::vector<AddedToken> added_tokens_;
  Pretokenizer pretokenizer_;
  bool add_prefix_space_;
  bool ignore_merges_;
  SpecialTokens specials_;
  std::string spec_;
  std::uint64_t cache_owner_;  // tells this tokenizer's entries in the per-thread word cache apart
};

}  // namespace lmkit::text
