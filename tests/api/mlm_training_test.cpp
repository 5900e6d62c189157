#include "lmkit/api/mlm_training.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "bert_fixtures.hpp"
#include "lmkit/api/encoder.hpp"
#include "lmkit/util/error.hpp"
#include "support/temp_dir.hpp"

namespace lmkit::api {
namespace {

MlmTrainOptions tiny_run(const lmkit::testing::TempDir& tmp, const std::string& out) {
  const std::filesystem::path corpus = tmp.path / "corpus.txt", wp = tmp.path / "wp";
  if (!std::filesystem::exists(corpus)) {
    std::ofstream f(corpus);
    for (int i = 0; i < 20; ++i)
      f << "in the beginning god created the heaven and the earth .\nlet there be light\n";
    testing::write_bert_dir(wp.string());
  }
  MlmTrainOptions o;
  o.data = {corpus.string()};
  o.lines = true;
  o.tokenizer = wp.string();
  o.out = (tmp.path / out).string();
  o.schedule.steps = 4;
  o.batch = 4;
  o.seq_len = 16;
  o.val_every = 2;
  o.val_batches = 1;
  o.steps_given = true;
  o.on_step = [](const StepReport&) {};
  return o;
}

TEST(TrainMlm, ResumingAnInterruptedRunEndsWithTheSameWeights) {
  lmkit::testing::TempDir tmp;
  const MlmTrainResult whole = train_mlm(tiny_run(tmp, "whole"));
  EXPECT_EQ(whole.step, 4u);
  ASSERT_TRUE(whole.val_loss.has_value());
  MlmTrainOptions part = tiny_run(tmp, "part");
  part.until = 2;
  EXPECT_EQ(train_mlm(part).step, 2u);
  MlmTrainOptions rest;
  rest.out = part.out;
  rest.resume = true;
  rest.on_step = [](const StepReport&) {};
  const MlmTrainResult resumed = train_mlm(rest);
  EXPECT_EQ(resumed.step, 4u);
  EXPECT_EQ(resumed.train_loss, whole.train_loss);
  const nn::BertModel a = nn::load_bert_dir(whole.out), b = nn::load_bert_dir(resumed.out);
  ASSERT_EQ(a.parameters().size(), b.parameters().size());
  EXPECT_EQ(std::memcmp(a.parameters().data(), b.parameters().data(), a.parameters().size() * sizeof(float)),
            0);
  // The directory carries its tokenizer and embeds.
  EXPECT_EQ(Encoder::load(whole.out)->embed({"god created"})[0].size(), 64u);
}

TEST(TrainMlm, RefusalsNameTheField) {
  lmkit::testing::TempDir tmp;
  auto field_of = [](const MlmTrainOptions& o) -> std::string {
    try {
      train_mlm(o);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "";
  };
  MlmTrainOptions o = tiny_run(tmp, "x");
  o.schedule.steps = 0;
  EXPECT_EQ(field_of(o), "steps");
  o = tiny_run(tmp, "x");
  o.mask_prob = 1.0f;
  EXPECT_EQ(field_of(o), "mask_prob");
  o = tiny_run(tmp, "x");
  o.config = "huge";
  EXPECT_EQ(field_of(o), "config");
  o = tiny_run(tmp, "x");
  o.resume = true;
  o.out = (tmp.path / "wp").string();  // a BERT directory, not a checkpoint
  EXPECT_EQ(field_of(o), "out");
}

}  // namespace
}  // namespace lmkit::api
