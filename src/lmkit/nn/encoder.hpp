// A transformer encoder stack (Phuong & Hutter, Algorithm 9 ETransformer without its embeddings and
// head): n_layer blocks of bidirectional multi-head self-attention over a padding mask and a two-layer
// MLP, each sublayer wrapped in a residual connection and a LayerNorm, either after the sum (post-LN:
// BERT, BART and the original Transformer) or before the sublayer (pre-LN, with an optional final
// LayerNorm). Models embed tokens themselves and hand the encoder (B, T, C) vectors; encoder-decoder
// models read its output as the cross-attention memory and pass its gradient back.
//
// The stack keeps no weights of its own: it registers them in the model's ParameterTable, named as
// Hugging Face's BERT names them under a prefix the model chooses ("bert.encoder." gives
// "bert.encoder.layer.0.attention.self.query.weight"), with torch.nn.Linear's (out, in) weight layout.
// Query, key and value are registered consecutively (weights, then biases), so they are one (3C, C)
// matrix and one (3C) bias to the kernels. Dropout is not modelled (it is the identity at inference).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "lmkit/nn/parameters.hpp"

namespace lmkit::nn {

// The MLP's nonlinearity: the exact GELU (BERT, PyTorch "gelu"), GPT-2's tanh approximation, or ReLU
// (the original Transformer).
enum class EncoderActivation { gelu, gelu_tanh, relu };

struct EncoderConfig {
  std::size_t n_layer = 0;
  std::size_t n_head = 0;
  std::size_t n_embd = 0;   // C, the model width
  std::size_t n_inner = 0;  // the MLP's hidden width (BERT's intermediate_size, usually 4C)
  bool pre_norm = false;    // false: post-LN blocks
  bool final_norm = false;  // a LayerNorm after the last block (usual with pre-LN)
  EncoderActivation activation = EncoderActivation::gelu;
  float norm_eps = 1e-12f;  // BERT's layer_norm_eps; PyTorch's default is 1e-5

  // Throws Error naming `context` and the field when a value is out of range.
  void validate(const std::string& context) const;
};

// "gelu", "gelu_new" (tanh), "relu" — Hugging Face's hidden_act names. from_string throws Error.
std::string to_string(EncoderActivation activation);
EncoderActivation encoder_activation_from_string(const std::string& name, const std::string& context);

// out = act(inp) over n values (overwrites out), and its backward: dinp += act'(inp) · dout.
void encoder_activation_forward(EncoderActivation kind, float* out, const float* inp, std::size_t n);
void encoder_activation_backward(EncoderActivation kind, float* dinp, const float* inp, const float* dout,
                                 std::size_t n);

class TransformerEncoder {
 public:
  // Registers the stack's tensors in `table` (before table.allocate()) under `prefix`. Per layer i:
  //   {prefix}layer.{i}.attention.self.{query,key,value}.weight  (C, C)   then their .bias (C)
  //   {prefix}layer.{i}.attention.output.dense.{weight (C, C), bias (C)}
  //   {prefix}layer.{i}.attention.output.LayerNorm.{weight, bias} (C)  — the norm around attention
  //   {prefix}layer.{i}.intermediate.dense.{weight (n_inner, C), bias (n_inner)}
  //   {prefix}layer.{i}.output.dense.{weight (C, n_inner), bias (C)}
  //   {prefix}layer.{i}.output.LayerNorm.{weight, bias} (C)            — the norm around the MLP
  // and with final_norm: {prefix}final_layer_norm.{weight, bias} (C).
  TransformerEncoder(EncoderConfig config, ParameterTable& table, const std::string& prefix);

  const EncoderConfig& config() const { return config_; }

  // BERT's initialization of the stack's own tensors: N(0, stddev) matrices, zero biases, unit norm gains.
  void init_weights(ParameterTable& table, std::mt19937_64& rng, float stddev = 0.02f) const;

  // Runs x (B, T, C) through the stack and keeps what the backward needs. key_valid (B, T), or null
  // when every position is real: keys with key_valid 0 (padding) are attended to by no query. Padding
  // positions still get outputs (computed from the real keys); callers ignore them.
  void forward(const ParameterTable& table, const float* x, const std::uint8_t* key_valid, std::size_t B,
               std::size_t T);
  // (B, T, C): the last forward's output.
  std::span<const float> output() const;

  // Given dout (B, T, C) = dL/d output() of the last forward, adds the parameters' gradients into
  // table.gradients() and dL/dx into dx (B, T, C) (dx may be null).
  void backward(ParameterTable& table, const float* dout, float* dx);

 private:
  struct LayerParams {  // indices into the table
    std::size_t qkv_w, qkv_b, attn_out_w, attn_out_b, norm1_w, norm1_b;
    std::size_t fc_w, fc_b, fc_out_w, fc_out_b, norm2_w, norm2_b;
  };
  // One layer's saved activations, N = B · T rows.
  struct LayerActs {
    std::vector<float> norm1, norm1_mean, norm1_rstd;  // (N, C), (N), (N)
    std::vector<float> qkv;                            // (N, 3C)
    std::vector<float> atty;                           // (N, C) attention output before its projection
    std::vector<float> att;                            // (B, n_head, T, T) probabilities
    std::vector<float> attn_out;                       // (N, C)
    std::vector<float> sum1;                           // (N, C) layer input + attention
    std::vector<float> norm2, norm2_mean, norm2_rstd;  // (N, C), (N), (N)
    std::vector<float> fc, fc_act;                     // (N, n_inner)
    std::vector<float> fc_out;                         // (N, C)
    std::vector<float> sum2;                           // (N, C)
  };

  void resize(std::size_t B, std::size_t T);  // activations; gradients wait for a backward
  void resize_gradients();
  const float* layer_input(std::size_t l) const;
  const float* layer_output(std::size_t l) const;

  EncoderConfig config_;
  std::vector<LayerParams> layers_;
  std::size_t final_w_ = 0, final_b_ = 0;

  std::size_t B_ = 0, T_ = 0;
  std::vector<std::uint8_t> key_valid_;  // (B, T), all 1 when the forward had no mask
  std::vector<float> input_;             // (B, T, C) copy of x
  std::vector<LayerActs> acts_;
  std::vector<float> final_, final_mean_, final_rstd_;  // (N, C), (N), (N)
  // Backward scratch, reused by every layer.
  std::vector<float> d_out_, d_in_, d_norm1_, d_qkv_, d_atty_, d_sum1_, d_norm2_, d_fc_, d_fc_act_, d_sum2_;
};

}  // namespace lmkit::nn
