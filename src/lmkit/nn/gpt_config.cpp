#include "lmkit/nn/gpt_config.hpp"

#include "lmkit/nn/model_limits.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {

void GptConfig::validate(const std::string& context) const {
  if (n_layer == 0 || n_layer > max_model_layers)
    fail("{}: n_layer is {}; expected 1 to {}", context, n_layer, max_model_layers);
  if (n_head == 0 || n_head > max_model_width)
    fail("{}: n_head is {}; expected 1 to {}", context, n_head, max_model_width);
  if (n_embd > max_model_width)
    fail("{}: n_embd is {}; expected at most {}", context, n_embd, max_model_width);
  if (n_embd == 0 || n_embd % n_head != 0)
    fail("{}: n_embd ({}) must be a positive multiple of n_head ({})", context, n_embd, n_head);
  if (position == PositionKind::sinusoidal && n_embd % 2 != 0)
    fail("{}: sinusoidal positions need an even n_embd, got {}", context, n_embd);
  if (n_ctx == 0 || n_ctx > max_model_positions)
    fail("{}: n_ctx is {}; expected 1 to {}", context, n_ctx, max_model_positions);
  if (vocab_size == 0 || vocab_size > max_model_vocab_size)
    fail("{}: vocab_size {} is out of range", context, vocab_size);
  if (!(norm_eps > 0)) fail("{}: the norm epsilon must be positive", context);
  if (n_parameters() > max_model_parameters)
    fail("{}: {} parameters is more than lmkit's limit of {}", context, n_parameters(), max_model_parameters);
}

std::size_t GptConfig::n_parameters() const {
  // Saturating: a config from a file may hold any sizes; validate() compares the result with a limit.
  const auto add = saturating_add;
  const auto mul = saturating_mul;
  const std::uint64_t C = n_embd, V = vocab_size;
  const std::uint64_t norm_size = norm == NormKind::layernorm ? mul(2, C) : C;
  // 2 norms, c_attn (C, 3C) + 3C, attn c_proj (C, C) + C, c_fc (C, 4C) + 4C, mlp c_proj (4C, C) + C.
  const std::uint64_t per_layer = add(add(mul(2, norm_size), mul(12, mul(C, C))), mul(9, C));
  const std::uint64_t embeddings = add(mul(V, C), position == PositionKind::learned ? mul(n_ctx, C) : 0);
  return add(add(add(embeddings, mul(n_layer, per_layer)), norm_size), tied ? 0 : mul(V, C));
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
