#include "lmkit/nn/seq2seq_config.hpp"

#include "lmkit/util/error.hpp"

namespace lmkit::nn {

void Seq2SeqConfig::validate(const std::string& context) const {
  if (n_encoder_layer == 0) fail("{}: the encoder needs at least one layer", context);
  if (n_decoder_layer == 0) fail("{}: the decoder needs at least one layer", context);
  if (n_head == 0) fail("{}: n_head must be positive", context);
  if (n_embd == 0 || n_embd % n_head != 0)
    fail("{}: the width ({}) must be a positive multiple of n_head ({})", context, n_embd, n_head);
  if (n_ffn == 0) fail("{}: the MLP width must be positive", context);
  if (position == PositionKind::sinusoidal && n_embd % 2 != 0)
    fail("{}: sinusoidal positions need an even width, got {}", context, n_embd);
  if (n_ctx == 0) fail("{}: n_ctx must be positive", context);
  if (vocab_size == 0 || vocab_size > (1u << 31))
    fail("{}: vocab_size {} is out of range", context, vocab_size);
  if (!(norm_eps > 0)) fail("{}: the norm epsilon must be positive", context);
  const auto check_id = [&](const char* name, std::int32_t id) {
    if (id < 0 || static_cast<std::size_t>(id) >= vocab_size)
      fail("{}: {} {} is outside the vocabulary of {}", context, name, id, vocab_size);
  };
  check_id("pad_token_id", pad_id);
  check_id("bos_token_id", bos_id);
  check_id("eos_token_id", eos_id);
  check_id("decoder_start_token_id", decoder_start_id);
  if (mask_id >= 0) check_id("mask_token_id", mask_id);
}

bool seq2seq_config_preset(const std::string& name, Seq2SeqConfig& config) {
  if (name == "tiny") {
    config = Seq2SeqConfig{.n_encoder_layer = 2,
                           .n_decoder_layer = 2,
                           .n_head = 4,
                           .n_embd = 128,
                           .n_ffn = 512,
                           .n_ctx = 256,
                           .norm_first = true,
                           .activation = FfnActivation::gelu,
                           .final_norm = true};
    return true;
  }
  return false;
}

std::string to_string(FfnActivation kind) {
  switch (kind) {
    case FfnActivation::relu:
      return "relu";
    case FfnActivation::gelu:
      return "gelu";
    case FfnActivation::gelu_tanh:
      return "gelu_new";
  }
  return "relu";
}

FfnActivation ffn_activation_from_string(const std::string& name, const std::string& context) {
  if (name == "relu") return FfnActivation::relu;
  if (name == "gelu") return FfnActivation::gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return FfnActivation::gelu_tanh;
  fail("{}: activation \"{}\" is not supported (relu, gelu, gelu_new)", context, name);
}

}  // namespace lmkit::nn
