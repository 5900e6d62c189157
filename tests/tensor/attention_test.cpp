// Attention against the naive double-precision reference for every mask kind, KV-cache style offsets
// against full recomputation, and the backward against finite differences.
#include "lmkit/tensor/attention.hpp"

#include <gtest/gtest.h>

#include "gradient_check.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::tensor {
namespace {

using testing::expect_gradient;
using testing::random_values;
using testing::weighted_sum;

void expect_matches_naive(const std::vector<float>& q, const std::vector<float>& k,
                          const std::vector<float>& v, const AttentionShape& s) {
  std::vector<float> out(s.B * s.Tq * s.C), att(s.B * s.n_head * s.Tq * s.Tk), ref(out.size());
  attention_forward(out.data(), att.data(), q.data(), k.data(), v.data(), s);
  attention_forward_naive(ref.data(), q.data(), k.data(), v.data(), s);
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], ref[i], 1e-5) << "element " << i;
}

TEST(Attention, CausalSelfAttentionOnAFusedQkvBufferMatchesNaive) {
  AttentionShape s{
      .B = 2, .Tq = 6, .Tk = 6, .C = 8, .n_head = 2, .q_stride = 24, .kv_stride = 24, .causal = true};
  auto qkv = random_values(s.B * s.Tq * 3 * s.C, 1);
  std::vector<float> q(qkv), k(qkv.begin() + 8, qkv.end()), v(qkv.begin() + 16, qkv.end());
  k.resize(qkv.size()), v.resize(qkv.size());
  expect_matches_naive(q, k, v, s);
}

TEST(Attention, FirstCausalPositionCopiesItsValue) {
  AttentionShape s{
      .B = 1, .Tq = 3, .Tk = 3, .C = 4, .n_head = 2, .q_stride = 4, .kv_stride = 4, .causal = true};
  auto q = random_values(12, 1), k = random_values(12, 2), v = random_values(12, 3);
  std::vector<float> out(12), att(2 * 9);
  attention_forward(out.data(), att.data(), q.data(), k.data(), v.data(), s);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(out[i], v[i]);
  EXPECT_FLOAT_EQ(att[1], 0.0f);  // head 0, query 0 never sees key 1
}

TEST(Attention, BidirectionalWithPaddingMaskMatchesNaive) {
  std::vector<std::uint8_t> valid = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0};  // second sequence: 2 real keys of 5
  AttentionShape s{.B = 2,
                   .Tq = 5,
                   .Tk = 5,
                   .C = 6,
                   .n_head = 3,
                   .q_stride = 6,
                   .kv_stride = 6,
                   .key_valid = valid.data()};
  auto q = random_values(60, 1), k = random_values(60, 2), v = random_values(60, 3);
  expect_matches_naive(q, k, v, s);
}

TEST(Attention, CrossAttentionWithDifferentLengthsMatchesNaive) {
  std::vector<std::uint8_t> valid = {1, 1, 1, 1, 0, 0, 1, 1};
  AttentionShape s{.B = 2,
                   .Tq = 3,
                   .Tk = 4,
                   .C = 8,
                   .n_head = 2,
                   .q_stride = 8,
                   .kv_stride = 16,
                   .key_valid = valid.data()};
  auto q = random_values(48, 1), kv = random_values(2 * 4 * 16, 2);
  std::vector<float> k(kv), v(kv.begin() + 8, kv.end());
  v.resize(kv.size());
  expect_matches_naive(q, k, v, s);
}

TEST(Attention, CausalWithOffsetEqualsTheLastRowsOfTheFullComputation) {
  // Running positions 4..5 against 6 cached keys must give rows 4..5 of the full causal attention.
  const std::size_t B = 2, T = 6, C = 8, H = 2;
  AttentionShape full{
      .B = B, .Tq = T, .Tk = T, .C = C, .n_head = H, .q_stride = C, .kv_stride = C, .causal = true};
  auto q = random_values(B * T * C, 1), k = random_values(B * T * C, 2), v = random_values(B * T * C, 3);
  std::vector<float> out(B * T * C), att(B * H * T * T);
  attention_forward(out.data(), att.data(), q.data(), k.data(), v.data(), full);
  AttentionShape tail = full;
  tail.Tq = 2;
  tail.q_offset = 4;
  std::vector<float> q_tail;
  for (std::size_t b = 0; b < B; ++b)
    q_tail.insert(q_tail.end(), q.begin() + (b * T + 4) * C, q.begin() + (b * T + 6) * C);
  std::vector<float> out_tail(B * 2 * C), att_tail(B * H * 2 * T);
  attention_forward(out_tail.data(), att_tail.data(), q_tail.data(), k.data(), v.data(), tail);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t i = 0; i < 2 * C; ++i)
      EXPECT_FLOAT_EQ(out_tail[b * 2 * C + i], out[(b * T + 4) * C + i]);
}

TEST(Attention, FullyMaskedQueryGetsZeroOutput) {
  std::vector<std::uint8_t> valid = {0, 0, 1};
  AttentionShape s{.B = 1,
                   .Tq = 3,
                   .Tk = 3,
                   .C = 2,
                   .n_head = 1,
                   .q_stride = 2,
                   .kv_stride = 2,
                   .causal = true,
                   .key_valid = valid.data()};
  auto q = random_values(6, 1), k = random_values(6, 2), v = random_values(6, 3);
  std::vector<float> out(6, 7.0f), att(9);
  attention_forward(out.data(), att.data(), q.data(), k.data(), v.data(), s);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[3], 0.0f);
  EXPECT_FLOAT_EQ(out[4], v[4]);  // query 2 sees only key 2
}

// One query per sequence (a decoding step) against a long cache: keys in blocks of 64 shared among
// threads, a padding mask, the causal limit inside the third block, q/k/v strides of fused buffers.
AttentionShape one_query_shape(const std::vector<std::uint8_t>& valid) {
  return {.B = 2,
          .Tq = 1,
          .Tk = 150,
          .C = 256,
          .n_head = 4,
          .q_stride = 768,
          .kv_stride = 512,
          .causal = true,
          .q_offset = 140,
          .key_valid = valid.data()};
}

std::vector<std::uint8_t> one_query_mask() {
  std::vector<std::uint8_t> valid(2 * 150, 1);
  for (std::size_t j = 0; j < 30; ++j) valid[150 + j] = 0;  // second sequence left-padded
  valid[150 + 100] = 0;
  return valid;
}

TEST(Attention, OneQueryAgainstALongCacheMatchesNaive) {
  auto valid = one_query_mask();
  AttentionShape s = one_query_shape(valid);
  auto q = random_values(2 * 768, 1), kv = random_values(2 * 150 * 512, 2);
  std::vector<float> k(kv), v(kv.begin() + 256, kv.end());
  v.resize(kv.size());
  expect_matches_naive(q, k, v, s);
}

TEST(Attention, OneQueryGivesTheSameBitsOnOneThreadAsOnThePool) {
  auto valid = one_query_mask();
  AttentionShape s = one_query_shape(valid);
  auto q = random_values(2 * 768, 3), k = random_values(2 * 150 * 512, 4),
       v = random_values(2 * 150 * 512, 5);
  std::vector<float> pooled(2 * 256), alone(2 * 256), att(2 * 4 * 150);
  attention_forward(pooled.data(), att.data(), q.data(), k.data(), v.data(), s);
  // Inside a task of the pool, a kernel's own run() goes inline: all blocks on this one thread.
  ThreadPool::global().run(
      1, [&](std::size_t) { attention_forward(alone.data(), att.data(), q.data(), k.data(), v.data(), s); });
  EXPECT_EQ(pooled, alone);
}

void check_backward(AttentionShape s, std::size_t q_size, std::size_t kv_size, bool fused) {
  auto q = random_values(q_size, 1), k = random_values(kv_size, 2), v = random_values(kv_size, 3);
  auto w = random_values(s.B * s.Tq * s.C, 4);
  std::vector<float> out(w.size()), att(s.B * s.n_head * s.Tq * s.Tk);
  // Fused: q, k and v are column blocks of one buffer, as in GPT's c_attn output.
  auto loss = [&] {
    if (fused)
      attention_forward(out.data(), att.data(), q.data(), q.data() + s.C, q.data() + 2 * s.C, s);
    else
      attention_forward(out.data(), att.data(), q.data(), k.data(), v.data(), s);
    return weighted_sum(out, w);
  };
  loss();
  std::vector<float> dq(q.size()), dk(k.size()), dv(v.size());
  if (fused) {
    attention_backward(dq.data(), dq.data() + s.C, dq.data() + 2 * s.C, w.data(), att.data(), q.data(),
                       q.data() + s.C, q.data() + 2 * s.C, s);
    expect_gradient("dqkv", q, dq, loss, 1e-2, 2e-2, 400);
    return;
  }
  attention_backward(dq.data(), dk.data(), dv.data(), w.data(), att.data(), q.data(), k.data(), v.data(), s);
  expect_gradient("dq", q, dq, loss);
  expect_gradient("dk", k, dk, loss);
  expect_gradient("dv", v, dv, loss);
}

TEST(Attention, CausalFusedBackwardMatchesFiniteDifferences) {
  AttentionShape s{
      .B = 2, .Tq = 4, .Tk = 4, .C = 6, .n_head = 2, .q_stride = 18, .kv_stride = 18, .causal = true};
  check_backward(s, 2 * 4 * 18, 0, true);
}

TEST(Attention, PaddedCrossAttentionBackwardMatchesFiniteDifferences) {
  static const std::vector<std::uint8_t> valid = {1, 1, 0, 1, 1, 1, 1, 0, 1, 1};
  AttentionShape s{.B = 2,
                   .Tq = 3,
                   .Tk = 5,
                   .C = 4,
                   .n_head = 2,
                   .q_stride = 4,
                   .kv_stride = 4,
                   .key_valid = valid.data()};
  check_backward(s, 2 * 3 * 4, 2 * 5 * 4, false);
}

}  // namespace
}  // namespace lmkit::tensor
