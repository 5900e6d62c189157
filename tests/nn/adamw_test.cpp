// The optimizer pieces against hand-computed values (the full AdamW is also checked against PyTorch
// in tests/reference).
#include "lmkit/nn/adamw.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace lmkit::nn {
namespace {

TEST(LearningRate, WarmsUpLinearlyThenDecaysByCosineToTheFloor) {
  EXPECT_FLOAT_EQ(learning_rate(0, 10, 110, 1.0f, 0.1f), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate(9, 10, 110, 1.0f, 0.1f), 1.0f);
  EXPECT_FLOAT_EQ(learning_rate(10, 10, 110, 1.0f, 0.1f), 1.0f);
  EXPECT_NEAR(learning_rate(60, 10, 110, 1.0f, 0.1f), 0.55f, 1e-6);  // halfway: cos = 0
  EXPECT_FLOAT_EQ(learning_rate(110, 10, 110, 1.0f, 0.1f), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate(500, 10, 110, 1.0f, 0.1f), 0.1f);
}

TEST(ClipGradNorm, ScalesOnlyWhenAboveTheLimit) {
  std::vector<float> g = {3.0f, 4.0f};
  EXPECT_FLOAT_EQ(clip_grad_norm(g, 10.0f), 5.0f);
  EXPECT_EQ(g, (std::vector<float>{3.0f, 4.0f}));
  EXPECT_FLOAT_EQ(clip_grad_norm(g, 1.0f), 5.0f);
  EXPECT_NEAR(std::hypot(g[0], g[1]), 1.0, 1e-5);
}

TEST(AdamW, FirstStepMovesByLrTimesSignAndDecaysOnlyMarkedTensors) {
  // After one step m̂ = g and v̂ = g², so each parameter moves by lr · g / (|g| + eps) ≈ lr · sign(g).
  std::vector<ParameterSpec> specs = {{"w", {2}, 0, 2, true}, {"b", {1}, 2, 1, false}};
  std::vector<float> params = {1.0f, -2.0f, 0.5f}, grads = {0.3f, -4.0f, 2.0f};
  AdamW opt({.weight_decay = 0.5f}, 3);
  opt.step(params, grads, specs, 0.1f);
  EXPECT_NEAR(params[0], 1.0f * (1 - 0.05f) - 0.1f, 1e-6);
  EXPECT_NEAR(params[1], -2.0f * (1 - 0.05f) + 0.1f, 1e-6);
  EXPECT_NEAR(params[2], 0.5f - 0.1f, 1e-6);
  EXPECT_EQ(opt.steps_taken(), 1u);
}

}  // namespace
}  // namespace lmkit::nn
