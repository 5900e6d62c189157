// lmkit's encoder-decoder against PyTorch's nn.Transformer: tiny_seq2seq_{post,pre}/ were written by
// make_seq2seq_reference.py (nn.Transformer plus a few lines of embedding code). Loading each as a
// seq2seq model directory must give the same logits, loss, every parameter gradient, and the same
// losses over 8 AdamW steps.
#include <gtest/gtest.h>

#include <cmath>

#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/hf_bart.hpp"
#include "lmkit/nn/safetensors.hpp"
#include "reference_fixture.hpp"

namespace lmkit::nn {
namespace {

using testing::max_relative_error;

struct Reference : testing::ReferenceFile {
  explicit Reference(const std::string& dir) : ReferenceFile(dir) {}
  // The batch as make_seq2seq_reference.py padded it: pads are pad_id (masked), ignored targets -1.
  Seq2SeqBatch batch(const Seq2SeqConfig& c) const {
    const SafetensorsEntry* src = file().find("src");
    const SafetensorsEntry* tgt = file().find("tgt_in");
    Seq2SeqBatch b;
    b.B = src->shape[0];
    b.S = src->shape[1];
    b.T = tgt->shape[1];
    for (float v : get("src")) {
      b.src.push_back(static_cast<std::int32_t>(v));
      b.src_valid.push_back(b.src.back() != c.pad_id);
    }
    for (float v : get("tgt_in")) {
      b.tgt_in.push_back(static_cast<std::int32_t>(v));
      b.tgt_valid.push_back(b.tgt_in.back() != c.pad_id);
    }
    for (float v : get("targets")) b.targets.push_back(static_cast<std::int32_t>(v));
    return b;
  }
};

class Seq2SeqReference : public ::testing::TestWithParam<std::string> {
 protected:
  std::string dir() const { return std::string(LMKIT_TEST_DATA_DIR) + "/tiny_seq2seq_" + GetParam(); }
};

TEST_P(Seq2SeqReference, LogitsLossAndGradientsMatchPyTorch) {
  Reference ref(dir());
  LoadedSeq2Seq loaded = load_seq2seq_dir(dir());
  Seq2SeqModel& model = *loaded.model;
  EXPECT_EQ(model.config().norm_first, GetParam() == "pre");
  Seq2SeqBatch batch = ref.batch(model.config());
  float loss = model.forward(batch);
  EXPECT_LT(max_relative_error(model.logits(), ref.get("logits"), 1e-2), 1e-4) << "logits";
  EXPECT_NEAR(loss, ref.get("loss")[0], 1e-5);

  model.zero_grad();
  model.backward();
  for (const auto& spec : model.parameter_specs()) {
    std::string name = bart_tensor_name(spec.name).substr(spec.name == "lm_head.weight" ? 0 : 6);
    auto expected = ref.get("grad." + name);
    auto got = model.gradients().subspan(spec.offset, spec.size);
    if (spec.name.ends_with("key.bias") || spec.name.ends_with("k_proj.bias")) {
      // Exactly 0 in theory (softmax ignores a shift shared by all scores): both sides hold rounding
      // noise only.
      for (std::size_t i = 0; i < spec.size; ++i) {
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

TEST_P(Seq2SeqReference, AdamWStepsFollowPyTorchsLosses) {
  Reference ref(dir());
  LoadedSeq2Seq loaded = load_seq2seq_dir(dir());
  Seq2SeqModel& model = *loaded.model;
  Seq2SeqBatch batch = ref.batch(model.config());
  auto expected = ref.get("adamw_losses");
  AdamW optimizer({.beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f},
                  model.parameters().size());
  for (std::size_t step = 0; step < expected.size(); ++step) {
    float loss = model.forward(batch);
    EXPECT_NEAR(loss, expected[step], 1e-4 * expected[step]) << "step " << step;
    model.zero_grad();
    model.backward();
    clip_grad_norm(model.gradients(), 1.0f);
    optimizer.step(model.parameters(), model.gradients(), model.parameter_specs(), 2e-3f);
  }
}

INSTANTIATE_TEST_SUITE_P(NnTransformer, Seq2SeqReference, ::testing::Values("post", "pre"));

}  // namespace
}  // namespace lmkit::nn
