// The encoder-decoder's decoder layer (Phuong & Hutter, Algorithm 8, lines 9–16): causal
// self-attention over the target, cross-attention from the target to the encoder's output (keys and
// values projected from it, source padding masked), and an MLP, each a residual sublayer with a
// LayerNorm after the sum (post-LN, the original Transformer and BART) or before the sublayer (pre-LN).
//
// Weights use torch.nn.Linear's (out, in) layout and BART's names (see seq2seq.hpp), so checkpoints
// load without transposes. The training forward keeps every activation for the backward; the cached
// forward runs new target positions against a per-layer self-attention KV cache and cross-attention
// keys and values computed once per input (Algorithm 15 EDInference).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lmkit/nn/encoder.hpp"
#include "lmkit/nn/seq2seq_config.hpp"

namespace lmkit::nn {

struct LinearWeights {
  float* w;  // (out, in)
  float* b;  // (out)
};

struct NormWeights {
  float* w;  // (C)
  float* b;  // (C)
};

struct AttentionWeights {
  LinearWeights q, k, v, out;  // each (C, C) + (C)
};

struct DecoderLayerWeights {
  AttentionWeights self_attn;
  NormWeights self_attn_norm;
  AttentionWeights cross_attn;
  NormWeights cross_attn_norm;
  LinearWeights fc1;  // (F, C)
  LinearWeights fc2;  // (C, F)
  NormWeights final_norm;
};

// The shape of one call: B rows of T target positions against S source positions.
struct DecoderDims {
  std::size_t B = 0, T = 0, S = 0;
};

// What the training forward keeps for the backward.
struct DecoderLayerActs {
  DecoderDims dims;
  const float* x = nullptr;                 // (B, T, C) the layer's input
  const float* enc = nullptr;               // (B, S, C) the encoder's output
  const std::uint8_t* tgt_valid = nullptr;  // (B, T) or null
  const std::uint8_t* src_valid = nullptr;  // (B, S) or null
  struct Attention {
    std::vector<float> q, k, v;  // (B, Tq, C), (B, Tk, C), (B, Tk, C)
    std::vector<float> att;      // (B, NH, Tq, Tk)
    std::vector<float> y;        // (B, Tq, C) heads concatenated
  };
  // A residual sublayer: pre-LN: normed = LN(in), sum = in + f(normed), out = sum;
  // post-LN: sum = in + f(in), normed = LN(sum), out = normed.
  struct Sublayer {
    std::vector<float> normed, mean, rstd, sum;  // (B, T, C), (B, T), (B, T), (B, T, C)
  };
  Attention self_attn, cross_attn;
  Sublayer sub[3];
  std::vector<float> fc, fc_act, fc2;  // (B, T, F), (B, T, F), (B, T, C)
  std::vector<float> att_out[2];       // (B, T, C) the attention sublayers' output projections
  const float* out = nullptr;          // (B, T, C) into sub[2]
};

// out = layer(x, enc), keeping activations in `acts` (x, enc and the masks must stay alive and
// unchanged until the backward). tgt_valid masks target keys (padding), src_valid source keys.
void decoder_layer_forward(DecoderLayerActs& acts, const DecoderLayerWeights& w, const Seq2SeqConfig& c,
                           const float* x, const float* enc, const std::uint8_t* tgt_valid,
                           const std::uint8_t* src_valid, DecoderDims dims);

// Adds d(loss)/dx into dx (B, T, C), d(loss)/denc into denc (B, S, C) and the weight gradients into
// `grads`, given dout (B, T, C) = d(loss)/d(out).
void decoder_layer_backward(float* dx, float* denc, const DecoderLayerWeights& grads, const float* dout,
                            const DecoderLayerActs& acts, const DecoderLayerWeights& w,
                            const Seq2SeqConfig& c);

// Cross-attention keys and values of the layer for an encoder output enc (B, S, C): keys, values
// (B, S, C) each. Run once per input in generation.
void decoder_cross_kv(float* keys, float* values, const DecoderLayerWeights& w, const Seq2SeqConfig& c,
                      const float* enc, std::size_t B, std::size_t S);

// Per-layer state of cached generation for B rows. Self-attention keys and values hold `capacity`
// positions per row; cross-attention keys and values hold S source positions per row.
struct DecoderLayerCache {
  std::vector<float> self_keys, self_values;    // (B, capacity, C)
  std::vector<float> cross_keys, cross_values;  // (B, S, C)
};

// Runs T_new new target positions x (B, T_new, C), in place, through the layer: their keys and values
// are written at positions [start, start + T_new) of the self-attention cache, and queries attend to
// cache positions ≤ their own that self_valid (B, capacity) marks, and to source positions that
// src_valid (B, S) marks (null: all).
void decoder_layer_forward_cached(float* x, DecoderLayerCache& cache, const DecoderLayerWeights& w,
                                  const Seq2SeqConfig& c, std::size_t B, std::size_t T_new, std::size_t start,
                                  std::size_t capacity, std::size_t S, const std::uint8_t* self_valid,
                                  const std::uint8_t* src_valid);

// The same activation as the encoder's (one implementation: encoder_activation_forward/backward).
EncoderActivation encoder_activation(FfnActivation kind);

// The MLP's activation forward (overwrites out) and backward (adds into dinp).
void ffn_activation_forward(FfnActivation kind, float* out, const float* inp, std::size_t n);
void ffn_activation_backward(FfnActivation kind, float* dinp, const float* inp, const float* dout,
                             std::size_t n);

}  // namespace lmkit::nn
