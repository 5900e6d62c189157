#include "lmkit/api/trainer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "lmkit/nn/gpt.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/nn/training.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "support/temp_dir.hpp"

namespace lmkit::api {
namespace {

nn::GptConfig tiny_config() { return {.n_layer = 2, .n_head = 2, .n_embd = 8, .n_ctx = 8, .vocab_size = 13}; }

std::vector<std::int32_t> token_stream() {
  std::vector<std::int32_t> tokens;
  for (int i = 0; i < 400; ++i) tokens.push_back((i * 7 + i / 5) % 13);
  return tokens;
}

TrainerOptions options(std::uint64_t until) {
  TrainerOptions o;
  o.schedule = {.steps = 8, .warmup = 2, .lr = 3e-3f, .min_lr = 3e-4f, .beta1 = 0.9f, .beta2 = 0.95f};
  o.until = until;
  o.val_every = 3;
  o.checkpoint_every = 0;
  o.on_step = [](const StepReport&) {};  // no progress bar in tests
  return o;
}

// Trains `model` with `trainer` on the tiny stream, checkpointing into `dir` (when not empty).
TrainResult train(Trainer& trainer, nn::GptModel& model, const std::string& dir, bool written) {
  const std::vector<std::int32_t> tokens = token_stream();
  std::vector<std::int32_t> inputs, targets;
  const std::size_t B = 2, T = 6;
  return trainer.run(
      trainable(model),
      [&](std::uint64_t step) {
        nn::sample_batch(tokens, B, T, 5, step, inputs, targets);
        return std::pair{model.forward(inputs.data(), targets.data(), B, T), B * T};
      },
      [&] { return nn::evaluate_loss(model, tokens, B, T, 2); },
      [&](const Trainer& t) {
        if (dir.empty()) return;
        nn::save_checkpoint(dir, written, model, t.optimizer(), "bytes", t.state("test-1", Json::object()),
                            t.history());
        written = true;
      });
}

TEST(Trainer, ResumingAfterKStepsEqualsAnUninterruptedRunBitForBit) {
  nn::GptModel whole(tiny_config());
  whole.init_weights(3);
  Trainer uninterrupted(options(0));
  train(uninterrupted, whole, "", false);
  ASSERT_EQ(uninterrupted.step(), 8u);

  testing::TempDir tmp;
  const std::string dir = (tmp.path / "run").string();
  {
    nn::GptModel first(tiny_config());
    first.init_weights(3);
    Trainer part(options(3));
    train(part, first, dir, false);
    ASSERT_EQ(part.step(), 3u);
  }
  nn::GptModel resumed = nn::load_gpt2_dir(dir).model;
  Trainer rest(options(0));
  rest.resume(dir, read_json_file(dir + "/training.json"), resumed.parameters().size());
  EXPECT_TRUE(rest.resumed());
  EXPECT_EQ(rest.step(), 3u);
  train(rest, resumed, dir, true);
  ASSERT_EQ(rest.step(), 8u);

  const auto a = whole.parameters(), b = resumed.parameters();
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  ASSERT_EQ(rest.history().size(), uninterrupted.history().size());
  for (std::size_t i = 0; i < rest.history().size(); ++i) {
    EXPECT_EQ(rest.history()[i].step, uninterrupted.history()[i].step);
    EXPECT_EQ(rest.history()[i].train_loss, uninterrupted.history()[i].train_loss);
    EXPECT_EQ(rest.history()[i].val_loss, uninterrupted.history()[i].val_loss);
  }
  // Validation every 3 steps and at the last: steps 3, 6, 8.
  std::vector<std::uint64_t> validated;
  for (const auto& p : rest.history())
    if (p.val_loss) validated.push_back(p.step);
  EXPECT_EQ(validated, (std::vector<std::uint64_t>{3, 6, 8}));
}

TEST(Trainer, ResumingARunThatReachedItsEndNamesSteps) {
  testing::TempDir tmp;
  const std::string dir = (tmp.path / "run").string();
  nn::GptModel model(tiny_config());
  model.init_weights(1);
  Trainer done(options(0));
  train(done, model, dir, false);
  Trainer again(options(0));
  try {
    again.resume(dir, read_json_file(dir + "/training.json"), model.parameters().size());
    FAIL() << "resumed a finished run";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "steps");
  }
}

TEST(Trainer, TheBetasAndEpsilonReachTheOptimizer) {
  // Two runs that differ only in beta2 end with different weights.
  auto run_with = [](float beta2) {
    nn::GptModel model(tiny_config());
    model.init_weights(2);
    TrainerOptions o = options(0);
    o.schedule.beta2 = beta2;
    Trainer t(o);
    train(t, model, "", false);
    return std::vector<float>(model.parameters().begin(), model.parameters().end());
  };
  EXPECT_NE(run_with(0.95f), run_with(0.5f));
}

TEST(TrainSchedule, WithDefaultsFillsOnlyTheValuesThatStandForTheDefault) {
  const TrainSchedule a = with_defaults({.steps = 100, .warmup = 0, .lr = 2e-3f, .min_lr = -1});
  EXPECT_EQ(a.warmup, 5u);
  EXPECT_FLOAT_EQ(a.min_lr, 2e-4f);
  EXPECT_EQ(with_defaults({.steps = 10, .warmup = 0}).warmup, 1u);  // at least one warmup step
  const TrainSchedule b = with_defaults({.steps = 100, .warmup = 7, .lr = 2e-3f, .min_lr = 0});
  EXPECT_EQ(b.warmup, 7u);
  EXPECT_EQ(b.min_lr, 0.0f);
}

TEST(Trainer, OptionsOutsideTheirDomainNameTheField) {
  auto field_of = [](TrainerOptions o) -> std::string {
    try {
      Trainer t(std::move(o));
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "";
  };
  TrainerOptions o = options(0);
  o.schedule.steps = 0;
  EXPECT_EQ(field_of(o), "steps");
  o = options(0);
  o.schedule.beta1 = 1.0f;
  EXPECT_EQ(field_of(o), "beta1");
  o = options(0);
  o.schedule.eps = 0;
  EXPECT_EQ(field_of(o), "adam_eps");
  o = options(0);
  o.val_every = 0;
  EXPECT_EQ(field_of(o), "val_every");
  EXPECT_EQ(field_of(options(0)), "");
}

TEST(Trainer, ANonFiniteLossStopsTheRunBeforeAnyCheckpoint) {
  nn::GptModel model(tiny_config());
  model.init_weights(1);
  Trainer t(options(0));
  int checkpoints = 0;
  EXPECT_THROW(
      t.run(
          trainable(model),
          [](std::uint64_t step) {
            return std::pair{step == 1 ? std::numeric_limits<float>::quiet_NaN() : 1.0f, std::size_t{1}};
          },
          [] { return 1.0f; }, [&](const Trainer&) { ++checkpoints; }),
      Error);
  EXPECT_EQ(checkpoints, 0);
}

TEST(Trainer, ProgressGoesToTheCallback) {
  nn::GptModel model(tiny_config());
  model.init_weights(1);
  TrainerOptions o = options(4);
  std::vector<StepReport> reports;
  o.on_step = [&](const StepReport& r) { reports.push_back(r); };
  Trainer t(o);
  train(t, model, "", false);
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_EQ(reports[3].step, 4u);
  EXPECT_EQ(reports[3].steps, 8u);
  EXPECT_FALSE(reports[1].validated);
  EXPECT_TRUE(reports[2].validated);  // step 3
  EXPECT_TRUE(reports[3].validated);  // the last step of this run
  EXPECT_TRUE(std::isfinite(reports[3].train_loss));
}

}  // namespace
}  // namespace lmkit::api
