#include "lmkit/api/seq2seq_codec.hpp"

namespace lmkit::api {

void set_seq2seq_special_ids(nn::Seq2SeqConfig& config, std::uint32_t tokenizer_vocab) {
  const auto base = static_cast<std::int32_t>(tokenizer_vocab);
  config.vocab_size = tokenizer_vocab + 4;
  config.pad_id = base;
  config.bos_id = config.decoder_start_id = base + 1;
  config.eos_id = base + 2;
  config.mask_id = base + 3;
}

Seq2SeqCodec::Seq2SeqCodec(const text::Tokenizer& tokenizer, const nn::Seq2SeqConfig& config)
    : tokenizer_(tokenizer), config_(config) {}

std::vector<std::int32_t> Seq2SeqCodec::encode(std::string_view text, bool allow_mask) const {
  std::vector<std::int32_t> ids;
  auto append = [&](std::string_view piece) {
    for (std::uint32_t id : tokenizer_.encode(piece)) ids.push_back(static_cast<std::int32_t>(id));
  };
  while (allow_mask && config_.mask_id >= 0) {
    const std::size_t at = text.find(seq2seq_mask_marker);
    if (at == std::string_view::npos) break;
    append(text.substr(0, at));
    ids.push_back(config_.mask_id);
    text.remove_prefix(at + seq2seq_mask_marker.size());
  }
  append(text);
  return ids;
}

std::string Seq2SeqCodec::decode(const std::vector<std::int32_t>& ids) const {
  std::string out;
  std::vector<std::uint32_t> run;
  auto flush = [&] {
    out += tokenizer_.decode(run);
    run.clear();
  };
  for (std::int32_t id : ids) {
    if (id >= 0 && static_cast<std::uint32_t>(id) < tokenizer_.vocab_size()) {
      run.push_back(static_cast<std::uint32_t>(id));
    } else if (id == config_.mask_id) {
      flush();
      out += seq2seq_mask_marker;
    }
  }
  flush();
  return out;
}

}  // namespace lmkit::api
