// lmkit's BERT against PyTorch: tiny_bert/ was written by make_bert_reference.py, whose encoder blocks
// are torch.nn.TransformerEncoderLayer (post-LN, exact GELU, key padding mask). Loading it as a Hugging
// Face BERT directory must give the same MLM and classifier logits and losses, every parameter
// gradient of their sum, and the same losses over 5 AdamW steps.
#include <gtest/gtest.h>

#include <cmath>

#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/hf_bert.hpp"
#include "lmkit/nn/safetensors.hpp"
#include "reference_fixture.hpp"

namespace lmkit::nn {
namespace {

using testing::max_relative_error;

const std::string kDir = std::string(LMKIT_TEST_DATA_DIR) + "/tiny_bert";
constexpr std::size_t B = 2, T = 7;

struct Reference : testing::ReferenceFile {
  Reference() : ReferenceFile(kDir) {}
};

struct Inputs {
  std::vector<std::int32_t> tokens, types, targets, labels;
  std::vector<std::uint8_t> valid;
  explicit Inputs(const Reference& ref)
      : tokens(ref.ids("tokens")),
        types(ref.ids("token_types")),
        targets(ref.ids("mlm_targets")),
        labels(ref.ids("labels")),
        valid(ref.mask("valid")) {}
};

// Both losses' gradients accumulate, as the reference's backward of their sum.
float both_losses(BertModel& model, const Inputs& in) {
  model.zero_grad();
  float mlm = model.forward_mlm(in.tokens.data(), in.types.data(), in.valid.data(), in.targets.data(), B, T);
  model.backward();
  float cls =
      model.forward_classify(in.tokens.data(), in.types.data(), in.valid.data(), in.labels.data(), B, T);
  model.backward();
  return mlm + cls;
}

TEST(BertReference, LogitsLossesAndGradientsMatchPyTorch) {
  Reference ref;
  Inputs in(ref);
  BertModel model = load_bert_dir(kDir);
  ASSERT_TRUE(model.config().mlm_head);
  ASSERT_EQ(model.config().num_labels, 3u);
  ASSERT_EQ(model.config().num_hidden_layers, 2u);

  // Logits at every position (padding too: torch computes them from the real keys as lmkit does).
  model.forward_mlm(in.tokens.data(), in.types.data(), in.valid.data(), in.targets.data(), B, T, true);
  EXPECT_LT(max_relative_error(model.mlm_logits(), ref.get("mlm_logits"), 1e-2), 1e-4) << "mlm logits";
  float mlm_loss =
      model.forward_mlm(in.tokens.data(), in.types.data(), in.valid.data(), in.targets.data(), B, T);
  EXPECT_NEAR(mlm_loss, ref.get("mlm_loss")[0], 1e-5 * ref.get("mlm_loss")[0]);
  EXPECT_EQ(model.mlm_positions().size(), 5u);
  float class_loss =
      model.forward_classify(in.tokens.data(), in.types.data(), in.valid.data(), in.labels.data(), B, T);
  EXPECT_LT(max_relative_error(model.class_logits(), ref.get("class_logits"), 1e-2), 1e-4) << "class logits";
  EXPECT_NEAR(class_loss, ref.get("class_loss")[0], 1e-5);

  both_losses(model, in);
  for (const auto& spec : model.parameter_specs()) {
    auto expected = ref.get("grad." + spec.name);
    auto got = model.gradients().subspan(spec.offset, spec.size);
    if (spec.name.ends_with("attention.self.key.bias")) {
      // Zero in exact arithmetic (softmax ignores a constant added to every key's score): both sides
      // hold only rounding noise.
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_LT(std::abs(got[i]), 1e-6) << spec.name;
        EXPECT_LT(std::abs(expected[i]), 1e-6) << spec.name;
      }
      continue;
    }
    // Relative to the tensor's largest gradient: tiny entries carry cancellation noise in both.
    double scale = 0;
    for (float g : expected) scale = std::max(scale, static_cast<double>(std::abs(g)));
    EXPECT_LT(max_relative_error(got, expected, scale), 1e-4) << spec.name;
  }
}

TEST(BertReference, FiveAdamWStepsFollowPyTorchsLosses) {
  Reference ref;
  Inputs in(ref);
  BertModel model = load_bert_dir(kDir);
  auto expected = ref.get("adamw_losses");
  AdamW optimizer({.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.01f},
                  model.parameters().size());
  for (std::size_t step = 0; step < 5; ++step) {
    float loss = both_losses(model, in);
    EXPECT_NEAR(loss, expected[step], 1e-4 * expected[step]) << "step " << step;
    optimizer.step(model.parameters(), model.gradients(), model.parameter_specs(), 1e-3f);
  }
}

}  // namespace
}  // namespace lmkit::nn
