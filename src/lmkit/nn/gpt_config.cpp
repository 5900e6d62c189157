#include "lmkit/nn/gpt_config.hpp"

#include "lmkit/util/error.hpp"

namespace lmkit::nn {

void GptConfig::validate(const std::string& context) const {
  if (n_layer == 0) fail("{}: n_layer must be positive", context);
  if (n_head == 0) fail("{}: n_head must be positive", context);
  if (n_embd == 0 || n_embd % n_head != 0)
    fail("{}: n_embd ({}) must be a positive multiple of n_head ({})", context, n_embd, n_head);
  if (position == PositionKind::sinusoidal && n_embd % 2 != 0)
    fail("{}: sinusoidal positions need an even n_embd, got {}", context, n_embd);
  if (n_ctx == 0) fail("{}: n_ctx must be positive", context);
  if (vocab_size == 0 || vocab_size > (1u << 31))
    fail("{}: vocab_size {} is out of range", context, vocab_size);
  if (!(norm_eps > 0)) fail("{}: the norm epsilon must be positive", context);
}

std::size_t GptConfig::n_parameters() const {
  const std::size_t C = n_embd, V = vocab_size;
  std::size_t norm_size = norm == NormKind::layernorm ? 2 * C : C;
  std::size_t per_layer = 2 * norm_size + C * 3 * C + 3 * C + C * C + C + C * 4 * C + 4 * C + 4 * C * C + C;
  return V * C + (position == PositionKind::learned ? n_ctx * C : 0) + n_layer * per_layer + norm_size +
         (tied ? 0 : V * C);
}

bool gpt_config_preset(const std::string& name, GptConfig& config) {
  if (name == "tiny") {
    config = GptConfig{.n_layer = 2, .n_head = 4, .n_embd = 128, .n_ctx = 128};
    return true;
  }
  if (name == "small") {
    config = GptConfig{.n_layer = 12, .n_head = 12, .n_embd = 768, .n_ctx = 1024};
    return true;
  }
  return false;
}

std::string to_string(NormKind kind) { return kind == NormKind::layernorm ? "layernorm" : "rmsnorm"; }
std::string to_string(PositionKind kind) { return kind == PositionKind::learned ? "learned" : "sinusoidal"; }
std::string to_string(ActivationKind kind) { return kind == ActivationKind::gelu ? "gelu_new" : "relu"; }

}  // namespace lmkit::nn
