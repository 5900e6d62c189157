// The transformer's layers as CPU kernels, each forward beside its backward (llm.c style), over raw
// row-major fp32 arrays with explicit sizes. N is a number of rows (batch × time), C a width.
//
// Conventions: forward functions overwrite their outputs; backward functions ADD into their gradient
// outputs (so a tensor used twice, like a tied embedding, accumulates both contributions), and a
// gradient pointer may be null when that gradient is not needed. Token ids and targets are int32;
// a target < 0 is an ignored position. Per-row work is spread over ThreadPool::global(); reductions
// into parameter gradients run in a fixed order, so results are identical run to run.
// Multi-head attention lives in attention.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lmkit::tensor {

// ---------------------------------------------------------------------------------------------------
// Linear maps: out (N, OC) = inp (N, C) · weight (C, OC) + bias (OC). The weight is stored (in, out),
// GPT-2's Conv1D layout; bias may be null.
void linear_forward(float* out, const float* inp, const float* weight, const float* bias, std::size_t N,
                    std::size_t C, std::size_t OC);
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, std::size_t N, std::size_t C, std::size_t OC);

// The same map with the weight stored (OC, C), torch.nn.Linear's layout (BERT, BART, T5 checkpoints):
// out (N, OC) = inp (N, C) · weightᵀ + bias. Layers whose outputs are concatenated (q, k, v) can then
// keep their weights as consecutive row blocks and run as one product.
void linear_oi_forward(float* out, const float* inp, const float* weight, const float* bias, std::size_t N,
                       std::size_t C, std::size_t OC);
void linear_oi_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                        const float* weight, std::size_t N, std::size_t C, std::size_t OC);

// Unembedding: logits (N, V) = inp (N, C) · table (V, C)ᵀ, with `table` the token embedding (tied)
// or a separate output head of the same (V, C) layout.
void unembed_forward(float* logits, const float* inp, const float* table, std::size_t N, std::size_t C,
                     std::size_t V);
void unembed_backward(float* dinp, float* dtable, const float* dlogits, const float* inp, const float* table,
                      std::size_t N, std::size_t C, std::size_t V);

// ---------------------------------------------------------------------------------------------------
// Token embedding: out (N, C) = table (V, C)[tokens (N)]. Token ids must be in [0, V) (the model checks).
void embedding_forward(float* out, const std::int32_t* tokens, const float* table, std::size_t N,
                       std::size_t C);
void embedding_backward(float* dtable, const float* dout, const std::int32_t* tokens, std::size_t N,
                        std::size_t C);

// Learned positions: out (N, C) += table (n_ctx, C)[positions (N)].
void learned_position_forward(float* out, const std::int32_t* positions, const float* table, std::size_t N,
                              std::size_t C);
void learned_position_backward(float* dtable, const float* dout, const std::int32_t* positions, std::size_t N,
                               std::size_t C);
// Sinusoidal positions (Vaswani et al.): out (N, C) += PE[positions], PE[p, 2i] = sin(p / 10000^(2i/C)),
// PE[p, 2i+1] = cos(same). No parameters, so the backward is the identity on dout. C must be even.
void sinusoidal_position_forward(float* out, const std::int32_t* positions, std::size_t N, std::size_t C);

// ---------------------------------------------------------------------------------------------------
// LayerNorm over the last dimension: out (N, C), saving mean (N) and rstd (N) for the backward.
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, std::size_t N, std::size_t C, float eps);
void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                        const float* weight, const float* mean, const float* rstd, std::size_t N,
                        std::size_t C);

// RMSNorm: out = inp / sqrt(mean(inp²) + eps) · weight, saving rstd (N).
void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, std::size_t N,
                     std::size_t C, float eps);
void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      const float* rstd, std::size_t N, std::size_t C);

// ---------------------------------------------------------------------------------------------------
// Elementwise activations over n values. GELU is GPT-2's tanh approximation ("gelu_new").
void gelu_forward(float* out, const float* inp, std::size_t n);
void gelu_backward(float* dinp, const float* inp, const float* dout, std::size_t n);
// The exact GELU, x · Φ(x) with the normal CDF through erf (BERT's and PyTorch's "gelu").
void gelu_erf_forward(float* out, const float* inp, std::size_t n);
void gelu_erf_backward(float* dinp, const float* inp, const float* dout, std::size_t n);
// tanh(x), the BERT pooler's activation.
void tanh_forward(float* out, const float* inp, std::size_t n);
void tanh_backward(float* dinp, const float* out, const float* dout, std::size_t n);
void relu_forward(float* out, const float* inp, std::size_t n);
void relu_backward(float* dinp, const float* inp, const float* dout, std::size_t n);

// Residual connection: out = a + b.
void residual_forward(float* out, const float* a, const float* b, std::size_t n);
void residual_backward(float* da, float* db, const float* dout, std::size_t n);

// ---------------------------------------------------------------------------------------------------
// Softmax cross-entropy. probs (N, V) = softmax(logits (N, V)); losses (N) = -log probs[target], 0 where
// the target is ignored (< 0). Returns the mean loss over the counted positions (0 if none) and sets
// *n_counted. Targets must be < V.
float softmax_cross_entropy_forward(float* probs, float* losses, const float* logits,
                                    const std::int32_t* targets, std::size_t N, std::size_t V,
                                    std::size_t* n_counted);
// dlogits += dloss · (probs − onehot(target)) on counted rows; dloss is d(total)/d(each row's loss),
// 1/n_counted for the mean loss.
void softmax_cross_entropy_backward(float* dlogits, const float* probs, const std::int32_t* targets,
                                    std::size_t N, std::size_t V, float dloss);

// Softmax over each row of x (N, V) in place (inference).
void softmax_rows(float* x, std::size_t N, std::size_t V);

}  // namespace lmkit::tensor
