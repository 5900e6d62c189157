#include "lmkit/tensor/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "lmkit/tensor/fast_math.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::tensor {

namespace {

void check_shape(const AttentionShape& s) {
  if (s.n_head == 0 || s.C % s.n_head != 0)
    fail("attention: width {} is not divisible by {} heads", s.C, s.n_head);
  if (s.q_stride < s.C || s.kv_stride < s.C)
    fail("attention: row strides must be at least the width {}", s.C);
}

// The number of keys query t may see under the causal mask (all of them otherwise).
std::size_t visible_keys(const AttentionShape& s, std::size_t t) {
  return s.causal ? std::min(s.Tk, s.q_offset + t + 1) : s.Tk;
}

bool key_allowed(const AttentionShape& s, std::size_t b, std::size_t j) {
  return !s.key_valid || s.key_valid[b * s.Tk + j] != 0;
}

// a · b over n floats with 16 independent partial sums, so the compiler can vectorize it (a single
// running sum is a serial chain of dependent adds that it may not reorder).
inline float dot(const float* a, const float* b, std::size_t n) {
  float partial[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (std::size_t l = 0; l < 16; ++l) partial[l] += a[i + l] * b[i + l];
  // Halving, so that the sixteen are not added in one serial chain either.
  for (std::size_t width = 8; width >= 1; width /= 2)
    for (std::size_t l = 0; l < width; ++l) partial[l] += partial[l + width];
  float sum = partial[0];
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// Work split: one task per (batch, head), each owning its head's columns of out / dq / dk / dv.
template <typename Body>
void for_heads(const AttentionShape& s, Body body) {
  std::size_t n = s.B * s.n_head;
  std::size_t work = s.Tq * s.Tk * (s.C / s.n_head);
  if (n == 1 || work * n < 32768) {
    for (std::size_t i = 0; i < n; ++i) body(i / s.n_head, i % s.n_head);
    return;
  }
  ThreadPool::global().run(n, [&](std::size_t i) { body(i / s.n_head, i % s.n_head); });
}

// Turns row t's raw scores (already scaled) into probabilities over the keys it may see: masked keys
// and keys past the causal limit get exactly 0, and a row with no key left is all 0.
void softmax_scores(const AttentionShape& s, std::size_t b, std::size_t t, float* row) {
  const std::size_t n_keys = visible_keys(s, t);
  float max = -std::numeric_limits<float>::infinity();
  for (std::size_t j = 0; j < n_keys; ++j) {
    if (!key_allowed(s, b, j)) row[j] = -std::numeric_limits<float>::infinity();
    max = std::max(max, row[j]);
  }
  std::fill(row + n_keys, row + s.Tk, 0.0f);
  if (max == -std::numeric_limits<float>::infinity()) {
    std::fill(row, row + n_keys, 0.0f);
    return;
  }
  for (std::size_t j = 0; j < n_keys; ++j) row[j] = fast::exp(row[j] - max);  // e^−∞ = 0
  float sum = 0;
  for (std::size_t j = 0; j < n_keys; ++j) sum += row[j];
  const float inv = 1.0f / sum;
  for (std::size_t j = 0; j < n_keys; ++j) row[j] *= inv;
}

// One query per sequence (a decoding step), all heads at once: the cached keys and values are read
// row by row — each row is one position's keys (or values) of every head, contiguous — in blocks of
// kKeyBlock positions shared out among the threads. Reading one head's slice of every row instead
// (a quarter-KiB piece every few KiB) ran at a fifth of the memory bandwidth.
//
// Each block does its whole share at once (scores, its own softmax, the weighted values: "flash
// decoding"), so a step needs one round of the threads and no serial softmax between rounds: per
// head the block keeps its largest score m, the sum l of e^(score − m) and Σ e^(score − m) · value;
// the blocks are then combined in block order, each scaled by e^(m − the largest m of all), so the
// bits do not depend on the thread count.
constexpr std::size_t kKeyBlock = 64;

void attention_one_query(float* out, float* att, const float* q, const float* k, const float* v,
                         const AttentionShape& s, float scale) {
  const std::size_t H = s.n_head, hs = s.C / H, n_keys = visible_keys(s, 0);
  const std::size_t blocks = (n_keys + kKeyBlock - 1) / kKeyBlock, units = s.B * blocks;
  const std::size_t unit_floats = 2 * H + s.C;  // m, l, weighted values
  const float minus_inf = -std::numeric_limits<float>::infinity();
  auto probs = [&](std::size_t b, std::size_t h) { return att + (b * H + h) * s.Tk; };
  thread_local std::vector<float> buffer;  // the caller's; the pool's threads write through `state`
  buffer.assign(units * unit_floats, 0.0f);
  float* const state = buffer.data();

  auto run_block = [&](std::size_t u) {
    const std::size_t b = u / blocks, first = u % blocks * kKeyBlock,
                      end = std::min(n_keys, first + kKeyBlock);
    float *m = state + u * unit_floats, *l = m + H, *sum = l + H;
    const float* qb = q + b * s.q_stride;
    for (std::size_t j = first; j < end; ++j) {
      const float* row = k + (b * s.Tk + j) * s.kv_stride;
      const bool allowed = key_allowed(s, b, j);
      for (std::size_t h = 0; h < H; ++h)
        probs(b, h)[j] = allowed ? dot(qb + h * hs, row + h * hs, hs) * scale : minus_inf;
    }
    for (std::size_t h = 0; h < H; ++h) {
      float* p = probs(b, h);
      m[h] = minus_inf;
      for (std::size_t j = first; j < end; ++j) m[h] = std::max(m[h], p[j]);
      if (m[h] == minus_inf) {  // no key of this block visible: contributes nothing
        std::fill(p + first, p + end, 0.0f);
        continue;
      }
      for (std::size_t j = first; j < end; ++j) p[j] = fast::exp(p[j] - m[h]);  // e^−∞ = 0
      for (std::size_t j = first; j < end; ++j) l[h] += p[j];
    }
    for (std::size_t j = first; j < end; ++j) {
      const float* row = v + (b * s.Tk + j) * s.kv_stride;
      for (std::size_t h = 0; h < H; ++h) {
        const float a = probs(b, h)[j];
        if (a == 0.0f) continue;
        for (std::size_t i = h * hs; i < (h + 1) * hs; ++i) sum[i] += a * row[i];
      }
    }
  };
  if (units == 1 || units * kKeyBlock * s.C < 65536) {
    for (std::size_t u = 0; u < units; ++u) run_block(u);
  } else {
    ThreadPool::global().run(units, run_block);
  }

  for (std::size_t b = 0; b < s.B; ++b) {
    for (std::size_t h = 0; h < H; ++h) {
      float* p = probs(b, h);
      float* oh = out + b * s.C + h * hs;
      std::fill(p + n_keys, p + s.Tk, 0.0f);
      float top = minus_inf, total = 0.0f;
      for (std::size_t blk = 0; blk < blocks; ++blk)
        top = std::max(top, state[(b * blocks + blk) * unit_floats + h]);
      std::fill(oh, oh + hs, 0.0f);
      if (top == minus_inf) continue;  // nothing visible at all: zero output, zero probabilities
      for (std::size_t blk = 0; blk < blocks; ++blk) {
        float* st = state + (b * blocks + blk) * unit_floats;
        st[h] = fast::exp(st[h] - top);  // the block's max is needed no more: its weight takes the slot
        total += st[h] * st[H + h];
        for (std::size_t i = 0; i < hs; ++i) oh[i] += st[h] * st[2 * H + h * hs + i];
      }
      const float inv = 1.0f / total;
      for (std::size_t i = 0; i < hs; ++i) oh[i] *= inv;
      for (std::size_t blk = 0; blk < blocks; ++blk) {
        const float factor = state[(b * blocks + blk) * unit_floats + h] * inv;
        const std::size_t first = blk * kKeyBlock, end = std::min(n_keys, first + kKeyBlock);
        for (std::size_t j = first; j < end; ++j) p[j] *= factor;
      }
    }
  }
}

}  // namespace

// Several queries per head (training, prompts, encoders) go through GEMMs per (batch, head): scores
// Q·Kᵀ, then P·V (and the four products of the backward). A single query (one decoding step) takes
// dot products with each cached key instead (attention_one_query).
void attention_forward(float* out, float* att, const float* q, const float* k, const float* v,
                       const AttentionShape& s) {
  check_shape(s);
  const std::size_t hs = s.C / s.n_head;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  if (s.Tq == 1) {
    attention_one_query(out, att, q, k, v, s, scale);
    return;
  }
  for_heads(s, [&](std::size_t b, std::size_t h) {
    const float* qh = q + b * s.Tq * s.q_stride + h * hs;
    const float* kh = k + b * s.Tk * s.kv_stride + h * hs;
    const float* vh = v + b * s.Tk * s.kv_stride + h * hs;
    float* probs = att + (b * s.n_head + h) * s.Tq * s.Tk;
    float* oh = out + b * s.Tq * s.C + h * hs;
    gemm(false, true, s.Tq, s.Tk, hs, scale, qh, s.q_stride, kh, s.kv_stride, 0.0f, probs, s.Tk);
    for (std::size_t t = 0; t < s.Tq; ++t) softmax_scores(s, b, t, probs + t * s.Tk);
    gemm(false, false, s.Tq, hs, s.Tk, 1.0f, probs, s.Tk, vh, s.kv_stride, 0.0f, oh, s.C);
  });
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* att, const float* q,
                        const float* k, const float* v, const AttentionShape& s) {
  check_shape(s);
  const std::size_t hs = s.C / s.n_head;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  for_heads(s, [&](std::size_t b, std::size_t h) {
    const float* qh = q + b * s.Tq * s.q_stride + h * hs;
    const float* kh = k + b * s.Tk * s.kv_stride + h * hs;
    const float* vh = v + b * s.Tk * s.kv_stride + h * hs;
    const float* probs = att + (b * s.n_head + h) * s.Tq * s.Tk;
    const float* douth = dout + b * s.Tq * s.C + h * hs;
    float* dqh = dq ? dq + b * s.Tq * s.q_stride + h * hs : nullptr;
    float* dkh = dk ? dk + b * s.Tk * s.kv_stride + h * hs : nullptr;
    float* dvh = dv ? dv + b * s.Tk * s.kv_stride + h * hs : nullptr;
    // dP = dO · Vᵀ; dV += Pᵀ · dO (the scratch is the running thread's, kept between calls)
    thread_local std::vector<float> dscore;
    dscore.resize(s.Tq * s.Tk);
    gemm(false, true, s.Tq, s.Tk, hs, 1.0f, douth, s.C, vh, s.kv_stride, 0.0f, dscore.data(), s.Tk);
    if (dvh) gemm(true, false, s.Tk, hs, s.Tq, 1.0f, probs, s.Tk, douth, s.C, 1.0f, dvh, s.kv_stride);
    // Through the softmax: dS[j] = P[j] · (dP[j] − Σ P · dP) · scale (0 wherever P is 0).
    for (std::size_t t = 0; t < s.Tq; ++t) {
      const float* p = probs + t * s.Tk;
      float* d = dscore.data() + t * s.Tk;
      float weighted = 0;
      for (std::size_t j = 0; j < s.Tk; ++j) weighted += p[j] * d[j];
      for (std::size_t j = 0; j < s.Tk; ++j) d[j] = p[j] * (d[j] - weighted) * scale;
    }
    // dQ += dS · K; dK += dSᵀ · Q
    if (dqh)
      gemm(false, false, s.Tq, hs, s.Tk, 1.0f, dscore.data(), s.Tk, kh, s.kv_stride, 1.0f, dqh, s.q_stride);
    if (dkh)
      gemm(true, false, s.Tk, hs, s.Tq, 1.0f, dscore.data(), s.Tk, qh, s.q_stride, 1.0f, dkh, s.kv_stride);
  });
}

void attention_forward_naive(float* out, const float* q, const float* k, const float* v,
                             const AttentionShape& s) {
  check_shape(s);
  const std::size_t hs = s.C / s.n_head;
  for (std::size_t b = 0; b < s.B; ++b) {
    for (std::size_t h = 0; h < s.n_head; ++h) {
      for (std::size_t t = 0; t < s.Tq; ++t) {
        std::vector<double> score(s.Tk);
        std::vector<bool> allowed(s.Tk);
        double max = -std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j < s.Tk; ++j) {
          bool future = s.causal && j > s.q_offset + t;
          bool padded = s.key_valid && s.key_valid[b * s.Tk + j] == 0;
          allowed[j] = !future && !padded;
          if (!allowed[j]) continue;
          double dot = 0;
          for (std::size_t i = 0; i < hs; ++i)
            dot += static_cast<double>(q[(b * s.Tq + t) * s.q_stride + h * hs + i]) *
                   k[(b * s.Tk + j) * s.kv_stride + h * hs + i];
          score[j] = dot / std::sqrt(static_cast<double>(hs));
          max = std::max(max, score[j]);
        }
        double sum = 0;
        for (std::size_t j = 0; j < s.Tk; ++j)
          if (allowed[j]) sum += std::exp(score[j] - max);
        for (std::size_t i = 0; i < hs; ++i) {
          double acc = 0;
          for (std::size_t j = 0; j < s.Tk; ++j)
            if (allowed[j])
              acc += std::exp(score[j] - max) / sum * v[(b * s.Tk + j) * s.kv_stride + h * hs + i];
          out[(b * s.Tq + t) * s.C + h * hs + i] = static_cast<float>(acc);
        }
      }
    }
  }
}

}  // namespace lmkit::tensor
