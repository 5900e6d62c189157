#include "lmkit/tensor/ops.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "lmkit/tensor/fast_math.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::tensor {

namespace {

// Row-parallel loop: body(row) for every row in [0, N), enough rows per task to amortize scheduling.
template <typename Body>
void for_rows(std::size_t N, std::size_t work_per_row, Body body) {
  std::size_t min_rows = std::max<std::size_t>(1, 16384 / std::max<std::size_t>(1, work_per_row));
  if (N <= min_rows) {
    for (std::size_t i = 0; i < N; ++i) body(i);
    return;
  }
  ThreadPool::global().parallel_for(
      N,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) body(i);
      },
      min_rows);
}

// Elementwise loop over [0, n): body(begin, end) on spans long enough to amortize scheduling.
template <typename Body>
void for_spans(std::size_t n, Body body) {
  constexpr std::size_t min_span = 16384;
  if (n <= min_span) {
    body(std::size_t{0}, n);
    return;
  }
  ThreadPool::global().parallel_for(n, body, min_span);
}

constexpr float gelu_scale = 0.7978845608028654f;  // sqrt(2 / pi)
constexpr float gelu_cubic = 0.044715f;

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Linear maps

void linear_forward(float* out, const float* inp, const float* weight, const float* bias, std::size_t N,
                    std::size_t C, std::size_t OC) {
  if (bias) {
    for_rows(N, OC, [&](std::size_t i) { std::copy(bias, bias + OC, out + i * OC); });
  }
  gemm(false, false, N, OC, C, 1.0f, inp, C, weight, OC, bias ? 1.0f : 0.0f, out, OC);
}

void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, std::size_t N, std::size_t C, std::size_t OC) {
  // dinp (N, C) += dout (N, OC) · weightᵀ (OC, C)
  if (dinp) gemm(false, true, N, C, OC, 1.0f, dout, OC, weight, OC, 1.0f, dinp, C);
  // dweight (C, OC) += inpᵀ (C, N) · dout (N, OC)
  if (dweight) gemm(true, false, C, OC, N, 1.0f, inp, C, dout, OC, 1.0f, dweight, OC);
  if (dbias) {
    for (std::size_t i = 0; i < N; ++i) {
      const float* row = dout + i * OC;
      for (std::size_t o = 0; o < OC; ++o) dbias[o] += row[o];
    }
  }
}

void linear_oi_forward(float* out, const float* inp, const float* weight, const float* bias, std::size_t N,
                       std::size_t C, std::size_t OC) {
  if (bias) {
    for_rows(N, OC, [&](std::size_t i) { std::copy(bias, bias + OC, out + i * OC); });
  }
  gemm(false, true, N, OC, C, 1.0f, inp, C, weight, C, bias ? 1.0f : 0.0f, out, OC);
}

void linear_oi_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                        const float* weight, std::size_t N, std::size_t C, std::size_t OC) {
  // dinp (N, C) += dout (N, OC) · weight (OC, C); dweight (OC, C) += doutᵀ (OC, N) · inp (N, C)
  if (dinp) gemm(false, false, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
  if (dweight) gemm(true, false, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
  if (dbias) {
    for (std::size_t i = 0; i < N; ++i) {
      const float* row = dout + i * OC;
      for (std::size_t o = 0; o < OC; ++o) dbias[o] += row[o];
    }
  }
}

void unembed_forward(float* logits, const float* inp, const float* table, std::size_t N, std::size_t C,
                     std::size_t V) {
  gemm(false, true, N, V, C, 1.0f, inp, C, table, C, 0.0f, logits, V);
}

void unembed_backward(float* dinp, float* dtable, const float* dlogits, const float* inp, const float* table,
                      std::size_t N, std::size_t C, std::size_t V) {
  // dinp (N, C) += dlogits (N, V) · table (V, C); dtable (V, C) += dlogitsᵀ (V, N) · inp (N, C)
  if (dinp) gemm(false, false, N, C, V, 1.0f, dlogits, V, table, C, 1.0f, dinp, C);
  if (dtable) gemm(true, false, V, C, N, 1.0f, dlogits, V, inp, C, 1.0f, dtable, C);
}

// ---------------------------------------------------------------------------------------------------
// Embeddings and positions

void embedding_forward(float* out, const std::int32_t* tokens, const float* table, std::size_t N,
                       std::size_t C) {
  for_rows(N, C, [&](std::size_t i) {
    const float* row = table + static_cast<std::size_t>(tokens[i]) * C;
    std::copy(row, row + C, out + i * C);
  });
}

void embedding_backward(float* dtable, const float* dout, const std::int32_t* tokens, std::size_t N,
                        std::size_t C) {
  for (std::size_t i = 0; i < N; ++i) {
    float* row = dtable + static_cast<std::size_t>(tokens[i]) * C;
    const float* g = dout + i * C;
    for (std::size_t c = 0; c < C; ++c) row[c] += g[c];
  }
}

void learned_position_forward(float* out, const std::int32_t* positions, const float* table, std::size_t N,
                              std::size_t C) {
  for_rows(N, C, [&](std::size_t i) {
    const float* row = table + static_cast<std::size_t>(positions[i]) * C;
    float* o = out + i * C;
    for (std::size_t c = 0; c < C; ++c) o[c] += row[c];
  });
}

void learned_position_backward(float* dtable, const float* dout, const std::int32_t* positions, std::size_t N,
                               std::size_t C) {
  embedding_backward(dtable, dout, positions, N, C);
}

void sinusoidal_position_forward(float* out, const std::int32_t* positions, std::size_t N, std::size_t C) {
  for_rows(N, C, [&](std::size_t i) {
    float* o = out + i * C;
    double p = positions[i];
    for (std::size_t c = 0; c + 1 < C; c += 2) {
      double angle = p / std::pow(10000.0, static_cast<double>(c) / static_cast<double>(C));
      o[c] += static_cast<float>(std::sin(angle));
      o[c + 1] += static_cast<float>(std::cos(angle));
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Normalization

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, std::size_t N, std::size_t C, float eps) {
  for_rows(N, C, [&](std::size_t i) {
    const float* x = inp + i * C;
    float m = 0;
    for (std::size_t c = 0; c < C; ++c) m += x[c];
    m /= static_cast<float>(C);
    float var = 0;
    for (std::size_t c = 0; c < C; ++c) var += (x[c] - m) * (x[c] - m);
    var /= static_cast<float>(C);
    float s = 1.0f / std::sqrt(var + eps);
    float* y = out + i * C;
    for (std::size_t c = 0; c < C; ++c) y[c] = (x[c] - m) * s * weight[c] + bias[c];
    mean[i] = m;
    rstd[i] = s;
  });
}

void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                        const float* weight, const float* mean, const float* rstd, std::size_t N,
                        std::size_t C) {
  if (dinp) {
    for_rows(N, C, [&](std::size_t i) {
      const float* x = inp + i * C;
      const float* g = dout + i * C;
      float dnorm_mean = 0, dnorm_norm_mean = 0;
      for (std::size_t c = 0; c < C; ++c) {
        float norm = (x[c] - mean[i]) * rstd[i];
        float dnorm = g[c] * weight[c];
        dnorm_mean += dnorm;
        dnorm_norm_mean += dnorm * norm;
      }
      dnorm_mean /= static_cast<float>(C);
      dnorm_norm_mean /= static_cast<float>(C);
      float* dx = dinp + i * C;
      for (std::size_t c = 0; c < C; ++c) {
        float norm = (x[c] - mean[i]) * rstd[i];
        float dnorm = g[c] * weight[c];
        dx[c] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * rstd[i];
      }
    });
  }
  for (std::size_t i = 0; i < N; ++i) {
    const float* x = inp + i * C;
    const float* g = dout + i * C;
    for (std::size_t c = 0; c < C; ++c) {
      if (dweight) dweight[c] += g[c] * (x[c] - mean[i]) * rstd[i];
      if (dbias) dbias[c] += g[c];
    }
  }
}

void rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, std::size_t N,
                     std::size_t C, float eps) {
  for_rows(N, C, [&](std::size_t i) {
    const float* x = inp + i * C;
    float ms = 0;
    for (std::size_t c = 0; c < C; ++c) ms += x[c] * x[c];
    ms /= static_cast<float>(C);
    float s = 1.0f / std::sqrt(ms + eps);
    float* y = out + i * C;
    for (std::size_t c = 0; c < C; ++c) y[c] = x[c] * s * weight[c];
    rstd[i] = s;
  });
}

void rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                      const float* rstd, std::size_t N, std::size_t C) {
  if (dinp) {
    for_rows(N, C, [&](std::size_t i) {
      const float* x = inp + i * C;
      const float* g = dout + i * C;
      float dnorm_norm_mean = 0;
      for (std::size_t c = 0; c < C; ++c) dnorm_norm_mean += g[c] * weight[c] * x[c] * rstd[i];
      dnorm_norm_mean /= static_cast<float>(C);
      float* dx = dinp + i * C;
      for (std::size_t c = 0; c < C; ++c)
        dx[c] += (g[c] * weight[c] - x[c] * rstd[i] * dnorm_norm_mean) * rstd[i];
    });
  }
  if (dweight) {
    for (std::size_t i = 0; i < N; ++i) {
      const float* x = inp + i * C;
      const float* g = dout + i * C;
      for (std::size_t c = 0; c < C; ++c) dweight[c] += g[c] * x[c] * rstd[i];
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Activations and residuals

// The elementwise activations run over spans of plain loops, one per task, so that each compiles to
// vector instructions (fast_math.hpp's exp / tanh / erf are branch-free for this reason).
namespace {

// out[i] = f(inp[i]).
template <typename F>
void map_elements(float* out, const float* inp, std::size_t n, F f) {
  for_spans(n, [&](std::size_t begin, std::size_t end) {
    float* __restrict o = out;
    const float* __restrict in = inp;
    for (std::size_t i = begin; i < end; ++i) o[i] = f(in[i]);
  });
}

// dinp[i] += dout[i] · f'(inp[i]), given derivative = f'.
template <typename F>
void add_through_derivative(float* dinp, const float* inp, const float* dout, std::size_t n, F derivative) {
  for_spans(n, [&](std::size_t begin, std::size_t end) {
    float* __restrict d = dinp;
    const float* __restrict in = inp;
    const float* __restrict g = dout;
    for (std::size_t i = begin; i < end; ++i) d[i] += g[i] * derivative(in[i]);
  });
}

}  // namespace

void gelu_forward(float* out, const float* inp, std::size_t n) {
  map_elements(out, inp, n, [](float x) {
    return 0.5f * x * (1.0f + fast::tanh(gelu_scale * (x + gelu_cubic * x * x * x)));
  });
}

void gelu_backward(float* dinp, const float* inp, const float* dout, std::size_t n) {
  add_through_derivative(dinp, inp, dout, n, [](float x) {
    const float t = fast::tanh(gelu_scale * (x + gelu_cubic * x * x * x));
    const float du = gelu_scale * (1.0f + 3.0f * gelu_cubic * x * x);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
  });
}

void gelu_erf_forward(float* out, const float* inp, std::size_t n) {
  map_elements(out, inp, n, [](float x) {
    return 0.5f * x * (1.0f + fast::erf(x * std::numbers::sqrt2_v<float> * 0.5f));
  });
}

void gelu_erf_backward(float* dinp, const float* inp, const float* dout, std::size_t n) {
  // d/dx x Φ(x) = Φ(x) + x φ(x)
  add_through_derivative(dinp, inp, dout, n, [](float x) {
    const float inv_sqrt_2pi = 0.5f * std::numbers::inv_sqrtpi_v<float> * std::numbers::sqrt2_v<float>;
    const float cdf = 0.5f * (1.0f + fast::erf(x * std::numbers::sqrt2_v<float> * 0.5f));
    const float pdf = inv_sqrt_2pi * fast::exp(-0.5f * x * x);
    return cdf + x * pdf;
  });
}

void tanh_forward(float* out, const float* inp, std::size_t n) {
  map_elements(out, inp, n, [](float x) { return fast::tanh(x); });
}

void tanh_backward(float* dinp, const float* out, const float* dout, std::size_t n) {
  for_rows(n, 1, [&](std::size_t i) { dinp[i] += dout[i] * (1.0f - out[i] * out[i]); });
}

void relu_forward(float* out, const float* inp, std::size_t n) {
  for_rows(n, 1, [&](std::size_t i) { out[i] = inp[i] > 0.0f ? inp[i] : 0.0f; });
}

void relu_backward(float* dinp, const float* inp, const float* dout, std::size_t n) {
  for_rows(n, 1, [&](std::size_t i) { dinp[i] += inp[i] > 0.0f ? dout[i] : 0.0f; });
}

void residual_forward(float* out, const float* a, const float* b, std::size_t n) {
  for_rows(n, 1, [&](std::size_t i) { out[i] = a[i] + b[i]; });
}

void residual_backward(float* da, float* db, const float* dout, std::size_t n) {
  for_rows(n, 1, [&](std::size_t i) {
    if (da) da[i] += dout[i];
    if (db) db[i] += dout[i];
  });
}

// ---------------------------------------------------------------------------------------------------
// Softmax cross-entropy

void softmax_rows(float* x, std::size_t N, std::size_t V) {
  for_rows(N, V, [&](std::size_t i) {
    float* row = x + i * V;
    float max = *std::max_element(row, row + V);
    for (std::size_t v = 0; v < V; ++v) row[v] = fast::exp(row[v] - max);
    double sum = 0;
    for (std::size_t v = 0; v < V; ++v) sum += row[v];
    float scale = static_cast<float>(1.0 / sum);
    for (std::size_t v = 0; v < V; ++v) row[v] *= scale;
  });
}

float softmax_cross_entropy_forward(float* probs, float* losses, const float* logits,
                                    const std::int32_t* targets, std::size_t N, std::size_t V,
                                    std::size_t* n_counted) {
  std::copy(logits, logits + N * V, probs);
  softmax_rows(probs, N, V);
  double total = 0;
  std::size_t counted = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (targets[i] < 0) {
      losses[i] = 0.0f;
      continue;
    }
    losses[i] = -std::log(std::max(probs[i * V + static_cast<std::size_t>(targets[i])], 1e-30f));
    total += losses[i];
    ++counted;
  }
  if (n_counted) *n_counted = counted;
  return counted ? static_cast<float>(total / static_cast<double>(counted)) : 0.0f;
}

void softmax_cross_entropy_backward(float* dlogits, const float* probs, const std::int32_t* targets,
                                    std::size_t N, std::size_t V, float dloss) {
  for_rows(N, V, [&](std::size_t i) {
    if (targets[i] < 0) return;
    const float* p = probs + i * V;
    float* d = dlogits + i * V;
    for (std::size_t v = 0; v < V; ++v) d[v] += dloss * p[v];
    d[static_cast<std::size_t>(targets[i])] -= dloss;
  });
}

}  // namespace lmkit::tensor
