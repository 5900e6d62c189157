// SentencePiece models (a `.model` file: Llama 1/2, T5, Mistral, ...) through the SentencePiece
// library itself, so lmkit's ids are SentencePiece's ids: its normalization, its unigram or BPE
// segmentation, its byte fallback. encode() never produces control tokens (<s>, </s>) from text —
// that is SentencePiece's own rule — while encode_with_specials() turns their literal text into
// their ids. Invalid UTF-8 is handled as SentencePiece handles it: each malformed byte becomes
// U+FFFD before segmentation (so decode(encode(x)) == x only for valid UTF-8).
#pragma once

#include <memory>
#include <string>

#include "lmkit/text/tokenizer.hpp"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace lmkit::text {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Loads `model_path`; throws Error naming it with SentencePiece's message when it cannot.
  SentencePieceTokenizer(const std::string& model_path, std::string spec);
  ~SentencePieceTokenizer() override;

  std::vector<std::uint32_t> encode(std::string_view text) const override;
  std::vector<std::uint32_t> encode_with_specials(std::string_view text) const override;
  std::string decode(std::span<const std::uint32_t> ids) const override;
  std::uint32_t vocab_size() const override;
  std::string piece(std::uint32_t id) const override;
  std::optional<std::uint32_t> id_of(std::string_view piece) const override;
  SpecialTokens specials() const override;
  std::string spec() const override { return spec_; }

 private:
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  std::vector<std::pair<std::string, std::uint32_t>> control_pieces_;  // literal text → id
  std::string path_;
  std::string spec_;
};

}  // namespace lmkit::text
