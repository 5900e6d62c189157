// Every op's backward against finite differences of its forward, plus hand-checked forward values.
#include "lmkit/tensor/ops.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "gradient_check.hpp"

namespace lmkit::tensor {
namespace {

using testing::expect_gradient;
using testing::random_values;
using testing::weighted_sum;

TEST(Linear, BackwardMatchesFiniteDifferences) {
  const std::size_t N = 5, C = 7, OC = 4;
  auto inp = random_values(N * C, 1), weight = random_values(C * OC, 2), bias = random_values(OC, 3);
  auto w = random_values(N * OC, 4);
  std::vector<float> out(N * OC);
  auto loss = [&] {
    linear_forward(out.data(), inp.data(), weight.data(), bias.data(), N, C, OC);
    return weighted_sum(out, w);
  };
  std::vector<float> dinp(N * C), dweight(C * OC), dbias(OC);
  loss();
  linear_backward(dinp.data(), dweight.data(), dbias.data(), w.data(), inp.data(), weight.data(), N, C, OC);
  expect_gradient("dinp", inp, dinp, loss);
  expect_gradient("dweight", weight, dweight, loss);
  expect_gradient("dbias", bias, dbias, loss);
}

TEST(Linear, ForwardIsInputTimesWeightPlusBias) {
  // inp (1, 2) = [1, 2]; weight (2, 3) = [[1, 2, 3], [4, 5, 6]]; bias = [1, 1, 1] → [10, 13, 16]
  float inp[] = {1, 2}, weight[] = {1, 2, 3, 4, 5, 6}, bias[] = {1, 1, 1}, out[3];
  linear_forward(out, inp, weight, bias, 1, 2, 3);
  EXPECT_FLOAT_EQ(out[0], 10);
  EXPECT_FLOAT_EQ(out[1], 13);
  EXPECT_FLOAT_EQ(out[2], 16);
}

TEST(LinearOutIn, IsLinearWithTheTransposedWeightAndBackwardMatchesFiniteDifferences) {
  const std::size_t N = 5, C = 7, OC = 4;
  auto inp = random_values(N * C, 1), weight = random_values(OC * C, 2), bias = random_values(OC, 3);
  auto w = random_values(N * OC, 4);
  std::vector<float> weight_in_out(C * OC), expected(N * OC), out(N * OC);
  for (std::size_t o = 0; o < OC; ++o)
    for (std::size_t c = 0; c < C; ++c) weight_in_out[c * OC + o] = weight[o * C + c];
  linear_forward(expected.data(), inp.data(), weight_in_out.data(), bias.data(), N, C, OC);
  auto loss = [&] {
    linear_oi_forward(out.data(), inp.data(), weight.data(), bias.data(), N, C, OC);
    return weighted_sum(out, w);
  };
  loss();
  for (std::size_t i = 0; i < N * OC; ++i) EXPECT_NEAR(out[i], expected[i], 1e-5);
  std::vector<float> dinp(N * C), dweight(OC * C), dbias(OC);
  linear_oi_backward(dinp.data(), dweight.data(), dbias.data(), w.data(), inp.data(), weight.data(), N, C,
                     OC);
  expect_gradient("dinp", inp, dinp, loss);
  expect_gradient("dweight", weight, dweight, loss);
  expect_gradient("dbias", bias, dbias, loss);
}

TEST(Unembed, BackwardMatchesFiniteDifferences) {
  const std::size_t N = 4, C = 6, V = 9;
  auto inp = random_values(N * C, 1), table = random_values(V * C, 2), w = random_values(N * V, 3);
  std::vector<float> out(N * V);
  auto loss = [&] {
    unembed_forward(out.data(), inp.data(), table.data(), N, C, V);
    return weighted_sum(out, w);
  };
  std::vector<float> dinp(N * C), dtable(V * C);
  loss();
  unembed_backward(dinp.data(), dtable.data(), w.data(), inp.data(), table.data(), N, C, V);
  expect_gradient("dinp", inp, dinp, loss);
  expect_gradient("dtable", table, dtable, loss);
}

TEST(Embedding, ForwardGathersAndBackwardScattersRepeatedTokens) {
  const std::size_t N = 6, C = 5, V = 4, n_ctx = 8;
  std::vector<std::int32_t> tokens = {3, 0, 3, 1, 3, 2}, positions = {0, 1, 2, 5, 7, 2};
  auto table = random_values(V * C, 1), pos_table = random_values(n_ctx * C, 2), w = random_values(N * C, 3);
  std::vector<float> out(N * C);
  auto loss = [&] {
    embedding_forward(out.data(), tokens.data(), table.data(), N, C);
    learned_position_forward(out.data(), positions.data(), pos_table.data(), N, C);
    return weighted_sum(out, w);
  };
  loss();
  EXPECT_FLOAT_EQ(out[1 * C + 2], table[0 * C + 2] + pos_table[1 * C + 2]);
  std::vector<float> dtable(V * C), dpos(n_ctx * C);
  embedding_backward(dtable.data(), w.data(), tokens.data(), N, C);
  learned_position_backward(dpos.data(), w.data(), positions.data(), N, C);
  expect_gradient("dtable", table, dtable, loss);
  expect_gradient("dpositions", pos_table, dpos, loss);
}

TEST(SinusoidalPositions, MatchTheFormula) {
  const std::size_t C = 8;
  std::vector<std::int32_t> positions = {0, 3};
  std::vector<float> out(2 * C, 1.0f);
  sinusoidal_position_forward(out.data(), positions.data(), 2, C);
  for (std::size_t c = 0; c < C; c += 2) {
    EXPECT_FLOAT_EQ(out[c], 1.0f);      // sin 0
    EXPECT_FLOAT_EQ(out[c + 1], 2.0f);  // cos 0
    double angle = 3.0 / std::pow(10000.0, static_cast<double>(c) / C);
    EXPECT_NEAR(out[C + c], 1.0 + std::sin(angle), 1e-6);
    EXPECT_NEAR(out[C + c + 1], 1.0 + std::cos(angle), 1e-6);
  }
}

TEST(LayerNorm, ForwardNormalizesAndBackwardMatchesFiniteDifferences) {
  const std::size_t N = 4, C = 10;
  auto inp = random_values(N * C, 1, 2.0f), weight = random_values(C, 2), bias = random_values(C, 3);
  auto w = random_values(N * C, 4);
  std::vector<float> out(N * C), mean(N), rstd(N);
  auto loss = [&] {
    layernorm_forward(out.data(), mean.data(), rstd.data(), inp.data(), weight.data(), bias.data(), N, C,
                      1e-5f);
    return weighted_sum(out, w);
  };
  loss();
  // With unit weight and zero bias each row has mean 0 and variance 1.
  std::vector<float> ones(C, 1.0f), zeros(C, 0.0f);
  layernorm_forward(out.data(), mean.data(), rstd.data(), inp.data(), ones.data(), zeros.data(), N, C, 1e-5f);
  double m = std::accumulate(out.begin(), out.begin() + C, 0.0) / C, var = 0;
  for (std::size_t c = 0; c < C; ++c) var += (out[c] - m) * (out[c] - m) / C;
  EXPECT_NEAR(m, 0.0, 1e-6);
  EXPECT_NEAR(var, 1.0, 1e-4);
  loss();
  std::vector<float> dinp(N * C), dweight(C), dbias(C);
  layernorm_backward(dinp.data(), dweight.data(), dbias.data(), w.data(), inp.data(), weight.data(),
                     mean.data(), rstd.data(), N, C);
  expect_gradient("dinp", inp, dinp, loss, 1e-2, 3e-2);
  expect_gradient("dweight", weight, dweight, loss);
  expect_gradient("dbias", bias, dbias, loss);
}

TEST(RmsNorm, BackwardMatchesFiniteDifferences) {
  const std::size_t N = 4, C = 10;
  auto inp = random_values(N * C, 1, 2.0f), weight = random_values(C, 2), w = random_values(N * C, 4);
  std::vector<float> out(N * C), rstd(N);
  auto loss = [&] {
    rmsnorm_forward(out.data(), rstd.data(), inp.data(), weight.data(), N, C, 1e-6f);
    return weighted_sum(out, w);
  };
  loss();
  double ms = 0;
  for (std::size_t c = 0; c < C; ++c) ms += inp[c] * inp[c] / C;
  EXPECT_NEAR(out[3], inp[3] / std::sqrt(ms + 1e-6) * weight[3], 1e-5);
  std::vector<float> dinp(N * C), dweight(C);
  rmsnorm_backward(dinp.data(), dweight.data(), w.data(), inp.data(), weight.data(), rstd.data(), N, C);
  expect_gradient("dinp", inp, dinp, loss, 1e-2, 3e-2);
  expect_gradient("dweight", weight, dweight, loss);
}

TEST(Activations, GeluAndReluMatchTheirFormulasAndDerivatives) {
  const std::size_t n = 50;
  auto inp = random_values(n, 1, 2.0f), w = random_values(n, 2);
  inp[0] = 0.0f;
  std::vector<float> out(n);
  gelu_forward(out.data(), inp.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    double x = inp[i];
    EXPECT_NEAR(out[i], 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))), 1e-6);
  }
  auto gelu_loss = [&] {
    gelu_forward(out.data(), inp.data(), n);
    return weighted_sum(out, w);
  };
  std::vector<float> dinp(n);
  gelu_backward(dinp.data(), inp.data(), w.data(), n);
  expect_gradient("gelu", inp, dinp, gelu_loss, 1e-3);

  // ReLU is not differentiable at 0: keep inputs away from it for the finite differences.
  for (auto& x : inp) x = std::abs(x) < 0.05f ? 0.5f : x;
  auto relu_loss = [&] {
    relu_forward(out.data(), inp.data(), n);
    return weighted_sum(out, w);
  };
  relu_loss();
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(out[i], std::max(inp[i], 0.0f));
  std::fill(dinp.begin(), dinp.end(), 0.0f);
  relu_backward(dinp.data(), inp.data(), w.data(), n);
  expect_gradient("relu", inp, dinp, relu_loss, 1e-3);
}

TEST(Activations, ExactGeluAndTanhMatchTheirFormulasAndDerivatives) {
  const std::size_t n = 50;
  auto inp = random_values(n, 5, 2.0f), w = random_values(n, 6);
  std::vector<float> out(n), dinp(n);
  auto gelu_loss = [&] {
    gelu_erf_forward(out.data(), inp.data(), n);
    return weighted_sum(out, w);
  };
  gelu_loss();
  // Hand-checked: GELU(1) = Φ(1) = 0.841345, GELU(-1) = -(1 - Φ(1)) = -0.158655.
  float ones[] = {1.0f, -1.0f}, ones_out[2];
  gelu_erf_forward(ones_out, ones, 2);
  EXPECT_NEAR(ones_out[0], 0.8413447, 1e-6);
  EXPECT_NEAR(ones_out[1], -0.1586553, 1e-6);
  for (std::size_t i = 0; i < n; ++i) {
    double x = inp[i];
    EXPECT_NEAR(out[i], 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))), 1e-6);
  }
  gelu_erf_backward(dinp.data(), inp.data(), w.data(), n);
  expect_gradient("gelu_erf", inp, dinp, gelu_loss, 1e-3);

  auto tanh_loss = [&] {
    tanh_forward(out.data(), inp.data(), n);
    return weighted_sum(out, w);
  };
  tanh_loss();
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(out[i], std::tanh(static_cast<double>(inp[i])), 1e-6);
  std::fill(dinp.begin(), dinp.end(), 0.0f);
  tanh_backward(dinp.data(), out.data(), w.data(), n);
  expect_gradient("tanh", inp, dinp, tanh_loss, 1e-3);
}

TEST(Residual, AddsAndPassesGradientToBothInputs) {
  std::vector<float> a = {1, 2}, b = {10, 20}, out(2), da = {1, 1}, db(2), dout = {0.5f, -1};
  residual_forward(out.data(), a.data(), b.data(), 2);
  EXPECT_EQ(out, (std::vector<float>{11, 22}));
  residual_backward(da.data(), db.data(), dout.data(), 2);
  EXPECT_EQ(da, (std::vector<float>{1.5f, 0}));  // accumulates
  EXPECT_EQ(db, dout);
}

TEST(CrossEntropy, LossIsMeanNegativeLogProbAndIgnoresNegativeTargets) {
  const std::size_t N = 5, V = 7;
  auto logits = random_values(N * V, 1, 2.0f);
  std::vector<std::int32_t> targets = {3, -1, 0, 6, -1};
  std::vector<float> probs(N * V), losses(N);
  std::size_t counted = 0;
  auto loss = [&] {
    return static_cast<double>(softmax_cross_entropy_forward(probs.data(), losses.data(), logits.data(),
                                                             targets.data(), N, V, &counted));
  };
  double mean = loss();
  EXPECT_EQ(counted, 3u);
  double expected = 0;
  for (std::size_t i : {0, 2, 3}) {
    double z = 0;
    for (std::size_t v = 0; v < V; ++v) z += std::exp(static_cast<double>(logits[i * V + v]));
    expected += -(logits[i * V + targets[i]] - std::log(z));
  }
  EXPECT_NEAR(mean, expected / 3, 1e-5);
  EXPECT_EQ(losses[1], 0.0f);
  std::vector<float> dlogits(N * V);
  softmax_cross_entropy_backward(dlogits.data(), probs.data(), targets.data(), N, V, 1.0f / 3);
  for (std::size_t v = 0; v < V; ++v) EXPECT_EQ(dlogits[1 * V + v], 0.0f);
  expect_gradient("dlogits", logits, dlogits, loss, 1e-2, 2e-2);
}

TEST(CrossEntropy, AllIgnoredGivesZero) {
  std::vector<float> logits = {1, 2, 3}, probs(3), losses(1);
  std::vector<std::int32_t> targets = {-1};
  std::size_t counted = 9;
  EXPECT_EQ(softmax_cross_entropy_forward(probs.data(), losses.data(), logits.data(), targets.data(), 1, 3,
                                          &counted),
            0.0f);
  EXPECT_EQ(counted, 0u);
}

}  // namespace
}  // namespace lmkit::tensor
