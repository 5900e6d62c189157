// Multi-head scaled dot-product attention, forward and backward, for every attention the models need:
// causal self-attention (GPT), bidirectional self-attention (BERT encoders), attention with padding
// masks (batched prompts of different lengths), and cross-attention (queries from one sequence, keys
// and values from another: encoder-decoder models). The projections around it are linear_forward calls;
// this kernel sees q, k and v already projected, each split into n_head heads of C / n_head columns.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lmkit::tensor {

struct AttentionShape {
  std::size_t B = 0;   // batch
  std::size_t Tq = 0;  // query positions
  std::size_t Tk = 0;  // key / value positions
  std::size_t C = 0;   // model width, n_head * head size
  std::size_t n_head = 0;
  // Floats between consecutive rows of q and of k / v: C for separate tensors, 3C when q, k and v are
  // column blocks of one fused (B, T, 3C) projection.
  std::size_t q_stride = 0;
  std::size_t kv_stride = 0;
  // Causal: query t may attend to keys [0, q_offset + t]. q_offset is where the queries start among the
  // keys: 0 in training, the cache length when new positions are run against a KV cache.
  bool causal = false;
  std::size_t q_offset = 0;
  // Optional (B, Tk) padding mask: key j of sequence b is attended to only if key_valid[b * Tk + j] != 0.
  // A query with no key left to attend to gets a zero output.
  const std::uint8_t* key_valid = nullptr;
};

// q (B, Tq, ·) rows of q_stride; k, v (B, Tk, ·) rows of kv_stride; out (B, Tq, C) contiguous;
// att (B, n_head, Tq, Tk) receives the attention probabilities (zero where masked), kept for the backward.
void attention_forward(float* out, float* att, const float* q, const float* k, const float* v,
                       const AttentionShape& shape);

// Adds the gradients into dq, dk, dv (same layouts and strides as q, k, v; any may be the same fused
// buffer as in the forward). dout (B, Tq, C); att from the forward.
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* att, const float* q,
                        const float* k, const float* v, const AttentionShape& shape);

// The reference: the same attention by explicit per-element loops in double precision, with its own
// mask logic; the tests check attention_forward against it.
void attention_forward_naive(float* out, const float* q, const float* k, const float* v,
                             const AttentionShape& shape);

}  // namespace lmkit::tensor
