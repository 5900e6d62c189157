// The tokenizer interface: text ⇄ token ids. Every model and index in lmkit names its tokenizer by
// a spec string (see load_tokenizer), so queries can be given as text and models read text.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lmkit/util/error.hpp"

namespace lmkit::text {

// A tokenizer spec that is neither a built-in name nor a path to anything: a name lmkit has no files
// for (an index built from ids may record such a name as given).
class UnknownTokenizer : public UsageError {
 public:
  using UsageError::UsageError;
};

// The special tokens a tokenizer defines; absent ones are nullopt.
struct SpecialTokens {
  std::optional<std::uint32_t> eos;
  std::optional<std::uint32_t> bos;
  std::optional<std::uint32_t> pad;
  std::optional<std::uint32_t> unk;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // encode() must be safe to call from several threads at once (corpora are tokenized in parallel).
  virtual std::vector<std::uint32_t> encode(std::string_view text) const = 0;
  // Like encode(), but the tokenizer's special tokens written literally in the text (such as
  // "<|endoftext|>") become their ids. encode() never does this, so user text cannot inject them.
  virtual std::vector<std::uint32_t> encode_with_specials(std::string_view text) const {
    return encode(text);
  }
  // Throws Error naming the id when an id is outside [0, vocab_size()).
  virtual std::string decode(std::span<const std::uint32_t> ids) const = 0;
  virtual std::uint32_t vocab_size() const = 0;
  // The vocabulary entry for `id` as the tokenizer stores it (e.g. "Ġthe" for GPT-2).
  virtual std::string piece(std::uint32_t id) const = 0;
  virtual std::optional<std::uint32_t> id_of(std::string_view piece) const = 0;
  virtual SpecialTokens specials() const = 0;
  // The spec that load_tokenizer() turns back into this tokenizer ("bytes", "gpt2", a path).
  virtual std::string spec() const = 0;
};

// Raw UTF-8 bytes as ids 0–255: exact string matching, no vocabulary (Infini-gram's u8 mode).
class BytesTokenizer final : public Tokenizer {
 public:
  std::vector<std::uint32_t> encode(std::string_view text) const override;
  std::string decode(std::span<const std::uint32_t> ids) const override;
  std::uint32_t vocab_size() const override { return 256; }
  std::string piece(std::uint32_t id) const override;
  std::optional<std::uint32_t> id_of(std::string_view piece) const override;
  SpecialTokens specials() const override { return {}; }
  std::string spec() const override { return "bytes"; }
};

// Makes a tokenizer from a spec: "bytes"; further kinds are added by the tokenizer module
// ("gpt2", a tokenizer.json, an encoder.json + vocab.bpe directory, a SentencePiece .model).
// Throws UnknownTokenizer for a bare word that names nothing, UsageError naming the spec for a file
// or directory that is no tokenizer, Error for a path that does not exist or cannot be read.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& spec);

}  // namespace lmkit::text
