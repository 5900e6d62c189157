#include "lmkit/tensor/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

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
  float sum = 0;
  for (; i < n; ++i) sum += a[i] * b[i];
  for (float p : partial) sum += p;
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

}  // namespace

void attention_forward(float* out, float* att, const float* q, const float* k, const float* v,
                       const AttentionShape& s) {
  check_shape(s);
  const std::size_t hs = s.C / s.n_head;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  for_heads(s, [&](std::size_t b, std::size_t h) {
    for (std::size_t t = 0; t < s.Tq; ++t) {
      const float* qt = q + (b * s.Tq + t) * s.q_stride + h * hs;
      float* att_row = att + ((b * s.n_head + h) * s.Tq + t) * s.Tk;
      std::size_t n_keys = visible_keys(s, t);
      float max = -std::numeric_limits<float>::infinity();
      for (std::size_t j = 0; j < n_keys; ++j) {
        if (!key_allowed(s, b, j)) continue;
        const float* kj = k + (b * s.Tk + j) * s.kv_stride + h * hs;
        att_row[j] = dot(qt, kj, hs) * scale;
        max = std::max(max, att_row[j]);
      }
      float sum = 0;
      for (std::size_t j = 0; j < n_keys; ++j) {
        if (!key_allowed(s, b, j)) continue;
        att_row[j] = std::exp(att_row[j] - max);
        sum += att_row[j];
      }
      float inv = sum > 0 ? 1.0f / sum : 0.0f;
      for (std::size_t j = 0; j < s.Tk; ++j)
        att_row[j] = (j < n_keys && key_allowed(s, b, j)) ? att_row[j] * inv : 0;
      float* ot = out + (b * s.Tq + t) * s.C + h * hs;
      std::fill(ot, ot + hs, 0.0f);
      for (std::size_t j = 0; j < n_keys; ++j) {
        float a = att_row[j];
        if (a == 0.0f) continue;
        const float* vj = v + (b * s.Tk + j) * s.kv_stride + h * hs;
        for (std::size_t i = 0; i < hs; ++i) ot[i] += a * vj[i];
      }
    }
  });
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* att, const float* q,
                        const float* k, const float* v, const AttentionShape& s) {
  check_shape(s);
  const std::size_t hs = s.C / s.n_head;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  for_heads(s, [&](std::size_t b, std::size_t h) {
    std::vector<float> datt(s.Tk);
    for (std::size_t t = 0; t < s.Tq; ++t) {
      const float* att_row = att + ((b * s.n_head + h) * s.Tq + t) * s.Tk;
      const float* dot_row = dout + (b * s.Tq + t) * s.C + h * hs;
      std::size_t n_keys = visible_keys(s, t);
      // datt[j] = dout · v_j; dv_j += att[j] · dout
      float weighted = 0;
      for (std::size_t j = 0; j < n_keys; ++j) {
        const float* vj = v + (b * s.Tk + j) * s.kv_stride + h * hs;
        float d = dot(dot_row, vj, hs);
        datt[j] = d;
        weighted += att_row[j] * d;
        if (dv) {
          float* dvj = dv + (b * s.Tk + j) * s.kv_stride + h * hs;
          for (std::size_t i = 0; i < hs; ++i) dvj[i] += att_row[j] * dot_row[i];
        }
      }
      // Through the softmax: dscore[j] = att[j] · (datt[j] − Σ att · datt); then through q · k · scale.
      const float* qt = q + (b * s.Tq + t) * s.q_stride + h * hs;
      float* dqt = dq ? dq + (b * s.Tq + t) * s.q_stride + h * hs : nullptr;
      for (std::size_t j = 0; j < n_keys; ++j) {
        float dscore = att_row[j] * (datt[j] - weighted) * scale;
        if (dscore == 0.0f) continue;
        const float* kj = k + (b * s.Tk + j) * s.kv_stride + h * hs;
        if (dqt)
          for (std::size_t i = 0; i < hs; ++i) dqt[i] += dscore * kj[i];
        if (dk) {
          float* dkj = dk + (b * s.Tk + j) * s.kv_stride + h * hs;
          for (std::size_t i = 0; i < hs; ++i) dkj[i] += dscore * qt[i];
        }
      }
    }
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
