// seq2seq's model-format convention (the BART-layout models `lmkit seq2seq train` writes): the ids
// of a model are its tokenizer's ids followed by four specials — pad, start (= bos, the decoder's
// first input), end (eos) and mask — and text maps to ids through the tokenizer, with the marker
// "<mask>" in a source standing for the mask id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lmkit/nn/seq2seq_config.hpp"
#include "lmkit/text/tokenizer.hpp"

namespace lmkit::api {

inline constexpr std::string_view seq2seq_mask_marker = "<mask>";

// Sets config's vocab_size (tokenizer_vocab + 4) and its special ids: pad = tokenizer_vocab,
// bos = decoder_start = tokenizer_vocab + 1, eos = + 2, mask = + 3.
void set_seq2seq_special_ids(nn::Seq2SeqConfig& config, std::uint32_t tokenizer_vocab);

// Text ⇄ model ids for one tokenizer and model config (both must outlive the codec).
class Seq2SeqCodec {
 public:
  Seq2SeqCodec(const text::Tokenizer& tokenizer, const nn::Seq2SeqConfig& config);

  // The tokenizer's ids of `text`; with allow_mask (and a model with a mask id) each "<mask>" is
  // the mask id.
  std::vector<std::int32_t> encode(std::string_view text, bool allow_mask) const;
  // The text of `ids`: special ids other than the mask are left out, the mask is written "<mask>".
  std::string decode(const std::vector<std::int32_t>& ids) const;

 private:
  const text::Tokenizer& tokenizer_;
  const nn::Seq2SeqConfig& config_;
};

}  // namespace lmkit::api
