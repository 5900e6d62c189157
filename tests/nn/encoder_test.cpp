// The encoder stack's backward against finite differences (every parameter tensor and the input, for
// post-LN and pre-LN blocks with each activation), and the padding mask's contract: what sits at a
// padded position cannot change any real position's output.
#include "lmkit/nn/encoder.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "lmkit/util/error.hpp"

namespace lmkit::nn {
namespace {

constexpr std::size_t B = 2, T = 5, C = 8;

std::vector<float> random_vector(std::size_t n, std::uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

struct Fixture {
  ParameterTable table;
  TransformerEncoder encoder;
  std::vector<float> x = random_vector(B * T * C, 1, 1.0f);
  std::vector<float> w = random_vector(B * T * C, 2, 1.0f);          // L = Σ w ⊙ output
  std::vector<std::uint8_t> valid = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};  // the second sequence is 3 long

  explicit Fixture(EncoderConfig config) : encoder(config, table, "enc.") {
    table.allocate();
    std::mt19937_64 rng(3);
    // Larger-than-BERT weights (and non-trivial norm gains and biases) so every path shows in the loss.
    encoder.init_weights(table, rng, 0.3f);
    auto noise = random_vector(table.parameters().size(), 4, 0.1f);
    for (std::size_t i = 0; i < noise.size(); ++i) table.parameters()[i] += noise[i];
  }

  double loss() {
    encoder.forward(table, x.data(), valid.data(), B, T);
    double s = 0;
    auto out = encoder.output();
    for (std::size_t i = 0; i < out.size(); ++i) s += static_cast<double>(out[i]) * w[i];
    return s;
  }
};

void check_gradients(EncoderConfig config) {
  Fixture f(config);
  f.loss();
  f.table.zero_grad();
  std::vector<float> dx(f.x.size(), 0.0f);
  f.encoder.backward(f.table, f.w.data(), dx.data());
  std::vector<float> analytic(f.table.gradients().begin(), f.table.gradients().end());
  auto params = f.table.parameters();
  const double h = 1e-3;
  auto numeric_at = [&](float& value) {
    float saved = value;
    value = static_cast<float>(saved + h);
    double up = f.loss();
    value = static_cast<float>(saved - h);
    double down = f.loss();
    value = saved;
    return (up - down) / (2 * h);
  };
  for (const auto& spec : f.table.specs()) {
    for (std::size_t k = 0; k < 5; ++k) {
      std::size_t i = spec.offset + (k * 7919) % spec.size;
      double numeric = numeric_at(params[i]);
      EXPECT_NEAR(analytic[i], numeric, 3e-3 + 3e-2 * std::abs(numeric))
          << spec.name << " element " << i - spec.offset;
    }
  }
  for (std::size_t i = 0; i < f.x.size(); i += 3) {
    double numeric = numeric_at(f.x[i]);
    EXPECT_NEAR(dx[i], numeric, 3e-3 + 3e-2 * std::abs(numeric)) << "dx element " << i;
  }
}

EncoderConfig small_config() { return {.n_layer = 2, .n_head = 2, .n_embd = C, .n_inner = 12}; }

TEST(Encoder, PostLnGeluGradientsMatchFiniteDifferences) { check_gradients(small_config()); }

TEST(Encoder, PreLnReluFinalNormGradientsMatchFiniteDifferences) {
  EncoderConfig c = small_config();
  c.pre_norm = true;
  c.final_norm = true;
  c.activation = EncoderActivation::relu;
  c.norm_eps = 1e-5f;
  check_gradients(c);
}

TEST(Encoder, PreLnTanhGeluGradientsMatchFiniteDifferences) {
  EncoderConfig c = small_config();
  c.pre_norm = true;
  c.activation = EncoderActivation::gelu_tanh;
  check_gradients(c);
}

TEST(Encoder, PaddedPositionsDoNotReachRealOnes) {
  Fixture f(small_config());
  f.loss();
  std::vector<float> before(f.encoder.output().begin(), f.encoder.output().end());
  for (std::size_t t = 3; t < T; ++t)
    for (std::size_t c = 0; c < C; ++c) f.x[(1 * T + t) * C + c] += 5.0f;
  f.loss();
  auto after = f.encoder.output();
  for (std::size_t i = 0; i < (T + 3) * C; ++i) EXPECT_FLOAT_EQ(after[i], before[i]) << i;
  // ...while the padded positions' own outputs do change, so the test can see a leak.
  EXPECT_NE(after[(T + 4) * C], before[(T + 4) * C]);
}

TEST(Encoder, ParameterNamesFollowBertAndQkvIsContiguous) {
  ParameterTable table;
  TransformerEncoder encoder(small_config(), table, "bert.encoder.");
  table.allocate();
  EXPECT_EQ(table.specs().size(), 2u * 16u);
  const auto& q = table.spec("bert.encoder.layer.1.attention.self.query.weight");
  const auto& k = table.spec("bert.encoder.layer.1.attention.self.key.weight");
  const auto& v = table.spec("bert.encoder.layer.1.attention.self.value.weight");
  EXPECT_EQ(k.offset, q.offset + C * C);
  EXPECT_EQ(v.offset, k.offset + C * C);
  EXPECT_EQ(table.spec("bert.encoder.layer.0.intermediate.dense.weight").shape,
            (std::vector<std::size_t>{12, C}));
  EXPECT_EQ(table.spec("bert.encoder.layer.0.output.dense.weight").shape, (std::vector<std::size_t>{C, 12}));
  EXPECT_FALSE(table.spec("bert.encoder.layer.0.output.LayerNorm.weight").decay);
  EXPECT_TRUE(table.spec("bert.encoder.layer.0.output.dense.weight").decay);
  EXPECT_THROW(table.spec("bert.encoder.final_layer_norm.weight"), Error);
}

TEST(Encoder, RejectsBadConfigs) {
  ParameterTable table;
  EncoderConfig c = small_config();
  c.n_head = 3;
  EXPECT_THROW(TransformerEncoder(c, table, ""), Error);
  c = small_config();
  c.n_inner = 0;
  EXPECT_THROW(TransformerEncoder(c, table, ""), Error);
}

}  // namespace
}  // namespace lmkit::nn
