// The decoder layer's backward against finite differences (post-LN and pre-LN, padded target and
// source), and its cached forward against the training forward.
#include "lmkit/nn/decoder.hpp"

#include <gtest/gtest.h>

#include "../tensor/gradient_check.hpp"

namespace lmkit::nn {
namespace {

using lmkit::testing::expect_gradient;
using lmkit::testing::random_values;
using lmkit::testing::weighted_sum;

Seq2SeqConfig layer_config(bool norm_first, FfnActivation activation) {
  return {.n_encoder_layer = 1,
          .n_decoder_layer = 1,
          .n_head = 2,
          .n_embd = 8,
          .n_ffn = 12,
          .n_ctx = 8,
          .vocab_size = 10,
          .norm_first = norm_first,
          .activation = activation};
}

// All of one layer's tensors in one allocation, laid out in a fixed order.
struct LayerParams {
  std::vector<float> values;
  std::vector<std::pair<std::string, std::size_t>> names;  // name, size, in order
  explicit LayerParams(const Seq2SeqConfig& c, std::uint32_t seed) {
    const std::size_t C = c.n_embd, F = c.n_ffn;
    auto add = [&](std::string name, std::size_t n) { names.emplace_back(std::move(name), n); };
    for (const char* attn : {"self", "cross"}) {
      for (const char* p : {"q", "k", "v", "out"}) {
        add(std::string(attn) + "." + p + ".w", C * C);
        add(std::string(attn) + "." + p + ".b", C);
      }
    }
    for (const char* n : {"norm1", "norm2", "norm3"})
      add(std::string(n) + ".w", C), add(std::string(n) + ".b", C);
    add("fc1.w", F * C), add("fc1.b", F), add("fc2.w", C * F), add("fc2.b", C);
    std::size_t total = 0;
    for (const auto& [name, n] : names) total += n;
    values = random_values(total, seed, 0.4f);
    for (const auto& [name, n] : names) {
      float* p = at(values.data(), name);
      if (name.starts_with("norm") && name.ends_with(".w"))
        for (std::size_t i = 0; i < n; ++i) p[i] += 1.0f;
    }
  }
  float* at(float* base, const std::string& name) const {
    std::size_t offset = 0;
    for (const auto& [n, size] : names) {
      if (n == name) return base + offset;
      offset += size;
    }
    throw std::runtime_error(name);
  }
  DecoderLayerWeights weights(float* base) const {
    auto lin = [&](const std::string& p) { return LinearWeights{at(base, p + ".w"), at(base, p + ".b")}; };
    auto attn = [&](const std::string& a) {
      return AttentionWeights{lin(a + ".q"), lin(a + ".k"), lin(a + ".v"), lin(a + ".out")};
    };
    auto norm = [&](const std::string& n) { return NormWeights{at(base, n + ".w"), at(base, n + ".b")}; };
    return {attn("self"), norm("norm1"), attn("cross"), norm("norm2"), lin("fc1"), lin("fc2"), norm("norm3")};
  }
};

void check_layer_gradients(const Seq2SeqConfig& c) {
  const std::size_t B = 2, T = 4, S = 5, C = c.n_embd;
  LayerParams params(c, 3);
  std::vector<float> x = random_values(B * T * C, 11), enc = random_values(B * S * C, 12);
  std::vector<float> w_out = random_values(B * T * C, 13);
  std::vector<std::uint8_t> tgt_valid = {1, 1, 1, 1, 1, 1, 1, 0}, src_valid = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
  DecoderLayerActs acts;
  auto loss = [&] {
    decoder_layer_forward(acts, params.weights(params.values.data()), c, x.data(), enc.data(),
                          tgt_valid.data(), src_valid.data(), {B, T, S});
    return weighted_sum(std::vector<float>(acts.out, acts.out + B * T * C), w_out);
  };
  loss();
  std::vector<float> dx(x.size(), 0.0f), denc(enc.size(), 0.0f), dparams(params.values.size(), 0.0f);
  decoder_layer_backward(dx.data(), denc.data(), params.weights(dparams.data()), w_out.data(), acts,
                         params.weights(params.values.data()), c);
  expect_gradient("x", x, dx, loss);
  expect_gradient("enc", enc, denc, loss);
  // Padded source positions get no gradient: no query attends to them.
  for (std::size_t i = 3 * C; i < 5 * C; ++i) EXPECT_EQ(denc[i], 0.0f);
  expect_gradient("parameters", params.values, dparams, loss, 1e-2, 2e-2, 600);
}

TEST(DecoderLayer, PostLnReluGradientsMatchFiniteDifferences) {
  check_layer_gradients(layer_config(false, FfnActivation::relu));
}

TEST(DecoderLayer, PreLnGeluGradientsMatchFiniteDifferences) {
  check_layer_gradients(layer_config(true, FfnActivation::gelu));
}

TEST(DecoderLayer, PostLnTanhGeluGradientsMatchFiniteDifferences) {
  check_layer_gradients(layer_config(false, FfnActivation::gelu_tanh));
}

// Running the target one position at a time against the cache gives the training forward's outputs.
void check_cached_matches_forward(const Seq2SeqConfig& c) {
  const std::size_t B = 2, T = 5, S = 3, C = c.n_embd, capacity = 7;
  LayerParams params(c, 5);
  DecoderLayerWeights w = params.weights(params.values.data());
  std::vector<float> x = random_values(B * T * C, 21), enc = random_values(B * S * C, 22);
  std::vector<std::uint8_t> src_valid = {1, 1, 0, 1, 1, 1};
  DecoderLayerActs acts;
  decoder_layer_forward(acts, w, c, x.data(), enc.data(), nullptr, src_valid.data(), {B, T, S});

  DecoderLayerCache cache;
  cache.self_keys.assign(B * capacity * C, 0.0f);
  cache.self_values.assign(B * capacity * C, 0.0f);
  cache.cross_keys.assign(B * S * C, 0.0f);
  cache.cross_values.assign(B * S * C, 0.0f);
  std::vector<std::uint8_t> self_valid(B * capacity, 1);
  decoder_cross_kv(cache.cross_keys.data(), cache.cross_values.data(), w, c, enc.data(), B, S);
  // Two positions, then one at a time.
  std::size_t start = 0;
  for (std::size_t step : {2, 1, 1, 1}) {
    std::vector<float> xs(B * step * C);
    for (std::size_t b = 0; b < B; ++b)
      std::copy_n(x.data() + (b * T + start) * C, step * C, xs.data() + b * step * C);
    decoder_layer_forward_cached(xs.data(), cache, w, c, B, step, start, capacity, S, self_valid.data(),
                                 src_valid.data());
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t i = 0; i < step * C; ++i)
        EXPECT_NEAR(xs[b * step * C + i], acts.out[(b * T + start) * C + i], 1e-5)
            << "row " << b << " position " << start + i / C;
    start += step;
  }
}

TEST(DecoderLayer, CachedForwardMatchesTrainingForwardPostLn) {
  check_cached_matches_forward(layer_config(false, FfnActivation::relu));
}

TEST(DecoderLayer, CachedForwardMatchesTrainingForwardPreLn) {
  check_cached_matches_forward(layer_config(true, FfnActivation::gelu));
}

}  // namespace
}  // namespace lmkit::nn
