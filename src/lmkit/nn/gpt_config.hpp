// The hyperparameters of a GPT-like decoder (Phuong & Hutter, Algorithm 10 DTransformer): pre-LN
// blocks of causal self-attention and an MLP, a final norm, and an unembedding tied to the token
// embedding or separate. GPT-2 is layernorm + learned positions + GELU + tied.
#pragma once

#include <cstddef>
#include <string>

namespace lmkit::nn {

enum class NormKind { layernorm, rmsnorm };
enum class PositionKind { learned, sinusoidal };
enum class ActivationKind { gelu, relu };

struct GptConfig {
  std::size_t n_layer = 0;
  std::size_t n_head = 0;
  std::size_t n_embd = 0;
  std::size_t n_ctx = 0;  // longest sequence (learned position table rows)
  std::size_t vocab_size = 0;
  NormKind norm = NormKind::layernorm;
  PositionKind position = PositionKind::learned;
  ActivationKind activation = ActivationKind::gelu;
  bool tied = true;  // unembedding = token embedding
  float norm_eps = 1e-5f;

  // Throws Error naming `context` and the field when a value is out of range.
  void validate(const std::string& context) const;
  std::size_t head_size() const { return n_embd / n_head; }
  // The number of parameters.
  std::size_t n_parameters() const;
};

// Built-in sizes for `lmkit train --config`: "tiny" (2 layers, 128 wide, ctx 128) for tests and demos,
// "small" (GPT-2 small: 12 layers, 768 wide, 12 heads, ctx 1024). vocab_size is left 0 for the caller
// to fill from the tokenizer. Returns false for an unknown name.
bool gpt_config_preset(const std::string& name, GptConfig& config);

std::string to_string(NormKind kind);
std::string to_string(PositionKind kind);
std::string to_string(ActivationKind kind);

}  // namespace lmkit::nn
