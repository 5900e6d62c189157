// The optimisation loop the three trainers (train, seq2seq train, mlm train) share: from the step a
// run resumes at to its last step, each step one batch's forward (the trainer's), backward, clipping
// by global norm and an AdamW step at the scheduled learning rate; validation every val_every steps
// and at the end, the loss history, a progress bar with the losses and throughput, a checkpoint
// every checkpoint_every steps and at the end.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "lmkit/api/trainer.hpp"
#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/training.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::cli {

struct LoopSettings {
  std::uint64_t steps = 0;      // the schedule's length (--steps)
  std::uint64_t last_step = 0;  // where this run stops (--until, else steps)
  std::uint64_t warmup = 0, val_every = 0, checkpoint_every = 0;
  float lr = 0, min_lr = 0, clip = 0;
  std::string unit;    // what the throughput counts, per second: "tok", "target tok", "seq"
  bool quiet = false;  // no per-validation lines on stderr when the bar is off
};

// The settings from a trainer's options (its steps, warmup, val_every, checkpoint_every, lr, clip).
template <typename Options>
LoopSettings loop_settings(const Options& o, std::uint64_t last_step, float min_lr, std::string unit,
                           bool quiet) {
  return {.steps = o.steps,
          .last_step = last_step,
          .warmup = o.warmup,
          .val_every = o.val_every,
          .checkpoint_every = o.checkpoint_every,
          .lr = o.lr,
          .min_lr = min_lr,
          .clip = o.clip,
          .unit = std::move(unit),
          .quiet = quiet};
}

struct LoopResult {
  float train_loss = 0;
  std::optional<float> val_loss;
  double seconds = 0;
  double units_per_second = 0;
};

// forward(step) runs the step's batch forward and returns {loss, units in the batch}; evaluate()
// returns the validation loss; checkpoint() saves at progress.step.
template <typename Model, typename Forward, typename Evaluate, typename Checkpoint>
LoopResult run_training_loop(Model& model, nn::AdamW& optimizer, nn::TrainingProgress& progress,
                             ProgressBar& bar, const LoopSettings& s, Forward forward, Evaluate evaluate,
                             Checkpoint checkpoint) {
  LoopResult r;
  std::uint64_t& step = progress.step;
  double units = 0;
  const auto start = std::chrono::steady_clock::now();
  auto update_rate = [&] {
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.units_per_second = units / std::max(r.seconds, 1e-9);
  };
  while (step < s.last_step) {
    const auto [loss, batch_units] = forward(step);
    // A non-finite value stops the run before the optimizer or a checkpoint can spread it.
    api::check_finite(loss, "training loss", step + 1);
    r.train_loss = loss;
    model.zero_grad();
    model.backward();
    api::check_finite(nn::clip_grad_norm(model.gradients(), s.clip), "gradient norm", step + 1);
    optimizer.step(model.parameters(), model.gradients(), model.parameter_specs(),
                   nn::learning_rate(step, s.warmup, s.steps, s.lr, s.min_lr));
    ++step;
    units += static_cast<double>(batch_units);
    nn::LossPoint point{step, r.train_loss, std::nullopt};
    if (step % s.val_every == 0 || step == s.last_step) {
      point.val_loss = r.val_loss = evaluate();
      api::check_finite(*point.val_loss, "validation loss", step);
    }
    progress.history.push_back(point);
    update_rate();
    bar.set_note(fmt::format("loss {:.3f}{} {:.0f} {}/s", r.train_loss,
                             r.val_loss ? fmt::format(" val {:.3f}", *r.val_loss) : "", r.units_per_second,
                             s.unit));
    bar.set(step);
    if (point.val_loss && !bar.enabled() && !s.quiet)
      fmt::print(stderr, "step {}/{}: train loss {:.4f}, val loss {:.4f}, {:.0f} {}/s\n", step, s.steps,
                 r.train_loss, *point.val_loss, r.units_per_second, s.unit);
    if (s.checkpoint_every && step % s.checkpoint_every == 0 && step != s.last_step) checkpoint();
  }
  checkpoint();
  bar.finish();
  update_rate();
  return r;
}

}  // namespace lmkit::cli
