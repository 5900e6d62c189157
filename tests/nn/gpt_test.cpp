// The whole GPT's backward against finite differences of its loss, for every variant of the config
// (norm, positions, activation, tied or separate head), and the parameter table's bookkeeping.
#include "lmkit/nn/gpt.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "lmkit/util/error.hpp"

#include "model_gradient_check.hpp"

namespace lmkit::nn {
namespace {

GptConfig tiny_config() { return {.n_layer = 2, .n_head = 2, .n_embd = 8, .n_ctx = 6, .vocab_size = 11}; }

struct Batch {
  std::vector<std::int32_t> tokens = {1, 5, 3, 9, 0, 2, 10, 4, 4, 7};    // (2, 5)
  std::vector<std::int32_t> targets = {5, 3, -1, 0, 2, 4, 4, 7, 1, -1};  // (2, 5), two ignored
};

void check_model_gradients(GptConfig config) {
  GptModel model(config);
  model.init_weights(7);
  // Larger-than-GPT-2 weights so every path contributes visibly to the loss.
  for (float& p : model.parameters()) p *= 2.0f;
  Batch batch;
  auto loss = [&] {
    return static_cast<double>(model.forward(batch.tokens.data(), batch.targets.data(), 2, 5));
  };
  testing::expect_model_gradients(model, loss);  // a few elements of every tensor
}

TEST(Gpt, Gpt2VariantGradientsMatchFiniteDifferences) { check_model_gradients(tiny_config()); }

TEST(Gpt, RmsNormSinusoidalReluUntiedGradientsMatchFiniteDifferences) {
  GptConfig c = tiny_config();
  c.norm = NormKind::rmsnorm;
  c.position = PositionKind::sinusoidal;
  c.activation = ActivationKind::relu;
  c.tied = false;
  check_model_gradients(c);
}

TEST(Gpt, ParameterTableHasGpt2NamesShapesAndCount) {
  GptConfig c = tiny_config();
  GptModel model(c);
  EXPECT_EQ(model.parameters().size(), c.n_parameters());
  EXPECT_EQ(model.spec("h.1.attn.c_attn.weight").shape, (std::vector<std::size_t>{8, 24}));
  EXPECT_EQ(model.spec("h.0.mlp.c_proj.weight").shape, (std::vector<std::size_t>{32, 8}));
  EXPECT_EQ(model.spec("wpe.weight").shape, (std::vector<std::size_t>{6, 8}));
  EXPECT_THROW(model.spec("lm_head.weight"), Error);  // tied
  c.tied = false;
  c.norm = NormKind::rmsnorm;
  GptModel untied(c);
  EXPECT_EQ(untied.parameters().size(), c.n_parameters());
  EXPECT_EQ(untied.spec("lm_head.weight").shape, (std::vector<std::size_t>{11, 8}));
  EXPECT_THROW(untied.spec("ln_f.bias"), Error);  // RMSNorm has no bias
}

TEST(Gpt, RejectsOutOfRangeTokensAndLengths) {
  GptModel model(tiny_config());
  std::vector<std::int32_t> bad = {1, 11};
  EXPECT_THROW(model.forward(bad.data(), nullptr, 1, 2), Error);
  std::vector<std::int32_t> too_long(7, 1);
  EXPECT_THROW(model.forward(too_long.data(), nullptr, 1, 7), Error);
  GptConfig c = tiny_config();
  c.n_head = 3;
  EXPECT_THROW(GptModel{c}, Error);
}

TEST(Gpt, InitialLossIsNearLogVocab) {
  GptConfig c{.n_layer = 2, .n_head = 4, .n_embd = 32, .n_ctx = 16, .vocab_size = 50};
  GptModel model(c);
  model.init_weights(1);
  std::vector<std::int32_t> tokens(16), targets(16);
  for (int i = 0; i < 16; ++i) tokens[i] = (i * 7) % 50, targets[i] = (i * 11) % 50;
  float loss = model.forward(tokens.data(), targets.data(), 1, 16);
  EXPECT_NEAR(loss, std::log(50.0), 0.1);
}

}  // namespace
}  // namespace lmkit::nn
