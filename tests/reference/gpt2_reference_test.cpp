// lmkit's GPT against PyTorch (llm.c's test_gpt2 in spirit): tiny_gpt2/ was written by
// make_gpt2_reference.py from plain torch ops. Loading it as a Hugging Face GPT-2 directory must give
// the same logits, loss, every parameter gradient, and the same losses over 10 AdamW steps.
#include <gtest/gtest.h>

#include <cmath>

#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/nn/safetensors.hpp"
#include "reference_fixture.hpp"

namespace lmkit::nn {
namespace {

using testing::max_relative_error;

const std::string kDir = std::string(LMKIT_TEST_DATA_DIR) + "/tiny_gpt2";

struct Reference : testing::ReferenceFile {
  Reference() : ReferenceFile(kDir) {}
};

TEST(Gpt2Reference, LogitsLossAndGradientsMatchPyTorch) {
  Reference ref;
  LoadedModel loaded = load_gpt2_dir(kDir);
  GptModel& model = loaded.model;
  ASSERT_EQ(model.config().n_layer, 2u);
  ASSERT_TRUE(model.config().tied);
  auto tokens = ref.ids("tokens"), targets = ref.ids("targets");
  const std::size_t B = 2, T = 8;
  float loss = model.forward(tokens.data(), targets.data(), B, T);
  auto logits = ref.get("logits");
  EXPECT_LT(max_relative_error(model.logits(), logits, 1e-2), 1e-4) << "logits";
  EXPECT_NEAR(loss, ref.get("loss")[0], 1e-5);

  model.zero_grad();
  model.backward();
  for (const auto& spec : model.parameter_specs()) {
    auto expected = ref.get("grad." + spec.name);
    auto got = model.gradients().subspan(spec.offset, spec.size);
    // Gradients are compared relative to the tensor's largest gradient: tiny entries carry
    // cancellation noise in both implementations.
    double scale = 0;
    for (float g : expected) scale = std::max(scale, static_cast<double>(std::abs(g)));
    EXPECT_LT(max_relative_error(got, expected, scale), 1e-4) << spec.name;
  }
}

TEST(Gpt2Reference, TenAdamWStepsFollowPyTorchsLosses) {
  Reference ref;
  LoadedModel loaded = load_gpt2_dir(kDir);
  GptModel& model = loaded.model;
  auto tokens = ref.ids("tokens"), targets = ref.ids("targets");
  auto expected = ref.get("adamw_losses");
  AdamW optimizer({.beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f},
                  model.parameters().size());
  for (std::size_t step = 0; step < 10; ++step) {
    float loss = model.forward(tokens.data(), targets.data(), 2, 8);
    EXPECT_NEAR(loss, expected[step], 1e-4 * expected[step]) << "step " << step;
    model.zero_grad();
    model.backward();
    clip_grad_norm(model.gradients(), 1.0f);
    optimizer.step(model.parameters(), model.gradients(), model.parameter_specs(), 1e-3f);
  }
}

}  // namespace
}  // namespace lmkit::nn
