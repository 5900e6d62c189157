// The one trainer every model (GPT, seq2seq, MLM, classifier) uses: the schedule checked once (the
// options a front-end passes are validated here, with InvalidArgument naming the field, before any
// data is read or memory allocated); the optimisation loop — each step one batch's forward (the
// caller's), backward, clipping by global norm and an AdamW step at the scheduled learning rate;
// validation every val_every steps and at the end; the loss history; a checkpoint every
// checkpoint_every steps and at the end (the caller's writer, atomic through util/atomic_file.hpp);
// resuming a checkpoint's training.json bit for bit; progress through a callback or a progress bar;
// and the guard that stops a run at a non-finite loss or gradient norm before it reaches a checkpoint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/training.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::api {

// The optimiser's schedule: linear warmup to lr, cosine decay to min_lr at `steps`, AdamW with
// decoupled weight decay, gradients clipped to a global norm. Every trainer's options hold one
// (field `schedule`, with that trainer's defaults) that a front-end fills once; with_defaults() then
// resolves the values that stand for "the default".
struct TrainSchedule {
  std::uint64_t steps = 1000;         // the schedule's length, at least 1
  std::uint64_t warmup = 0;           // at most steps
  float lr = 1e-3f;                   // peak learning rate, in (0, max_learning_rate]
  float min_lr = 1e-4f;               // final learning rate, in [0, lr]
  float weight_decay = 0.1f;          // >= 0, finite
  float clip = 1.0f;                  // clip gradients to this global norm; > 0, finite
  float beta1 = 0.9f, beta2 = 0.95f;  // each in [0, 1)
  float eps = 1e-8f;                  // > 0, finite (field "adam_eps" in errors)
};

// `schedule` with warmup 0 read as steps / 20 (at least 1) and a negative min_lr as lr / 10.
TrainSchedule with_defaults(TrainSchedule schedule);

// The largest peak learning rate accepted: AdamW's step is about lr per parameter, so anything near
// 1 already destroys a model; 10 leaves room for experiments and refuses typos like 1e30.
inline constexpr float max_learning_rate = 10.0f;

// Throws InvalidArgument (field "steps", "warmup", "lr", "min_lr", "weight_decay", "clip", "beta1",
// "beta2", "adam_eps") for the first value outside its domain.
void validate(const TrainSchedule& schedule);

// Throws Error when a training loss, validation loss or gradient norm of step `step` (1-based, the
// step being taken) is NaN or infinite: the run stops there, before it writes anything, so the last
// checkpoint on disk stays the last good one. `what` names the quantity ("training loss").
void check_finite(float value, const char* what, std::uint64_t step);

// Where a run stands after a step, for a progress callback.
struct StepReport {
  std::uint64_t step = 0, steps = 0;  // steps completed, the schedule's length
  float train_loss = 0;
  std::optional<float> val_loss;  // the latest validation loss, if any yet
  double units_per_second = 0;    // throughput in TrainerOptions::unit
  bool validated = false;         // this step ran a validation
};

struct TrainerOptions {
  TrainSchedule schedule;
  std::uint64_t until = 0;             // stop (and checkpoint) after this step; 0: at schedule.steps
  std::uint64_t val_every = 100;       // steps between validations (>= 1); also at the last step
  std::uint64_t checkpoint_every = 0;  // steps between checkpoints; 0: only at the last step
  std::string unit = "tok";            // what the throughput counts, per second
  std::string label = "train";         // the progress bar's label
  bool quiet = false;                  // no bar, no per-validation lines on stderr
  // When set, called after every step instead of drawing the progress bar.
  std::function<void(const StepReport&)> on_step;
};

// What the loop needs of a model: its parameters, gradients and their specs, and backward of the
// last forward. trainable(model) makes one from any of lmkit's models.
struct Trainable {
  std::function<std::span<float>()> parameters, gradients;
  std::function<const std::vector<nn::ParameterSpec>&()> specs;
  std::function<void()> zero_grad, backward;
};
template <typename Model>
Trainable trainable(Model& m) {
  return {.parameters = [&m] { return std::span<float>(m.parameters()); },
          .gradients = [&m] { return std::span<float>(m.gradients()); },
          .specs = [&m]() -> const std::vector<nn::ParameterSpec>& { return m.parameter_specs(); },
          .zero_grad = [&m] { m.zero_grad(); },
          .backward = [&m] { m.backward(); }};
}

struct TrainResult {
  float train_loss = 0;
  std::optional<float> val_loss;
  double seconds = 0;
  double units_per_second = 0;
};

class Trainer {
 public:
  // forward(step) runs the batch of `step` (0-based) forward and returns {loss, units in the batch}.
  using Forward = std::function<std::pair<float, std::size_t>(std::uint64_t step)>;
  using Evaluate = std::function<float()>;
  // Writes a checkpoint at trainer.step() (the caller's writer: model files plus
  // nn::write_training_files with trainer.state(...), history() and optimizer()).
  using Checkpoint = std::function<void(const Trainer& trainer)>;

  // Validates the schedule and val_every (InvalidArgument), before any data is read or model built.
  explicit Trainer(TrainerOptions options);

  // Continues the checkpoint in `dir` whose training.json is `state`, for a model of n_parameters:
  // restores the optimizer's moments, the step and the history. InvalidArgument ("steps") when it
  // has already reached last_step().
  void resume(const std::string& dir, const Json& state, std::size_t n_parameters);

  // Steps from step() to last_step(), then a checkpoint.
  TrainResult run(const Trainable& model, const Forward& forward, const Evaluate& evaluate,
                  const Checkpoint& checkpoint);

  const TrainerOptions& options() const { return options_; }
  std::uint64_t step() const { return progress_.step; }
  std::uint64_t last_step() const;
  bool resumed() const { return resumed_; }
  const std::vector<nn::LossPoint>& history() const { return progress_.history; }
  // The optimizer (made by resume() or the first run()); Error before.
  const nn::AdamW& optimizer() const;
  // {"format": format, "step": step(), "options": options}: what training.json records besides the
  // history (nn::write_training_files adds it).
  Json state(const std::string& format, const Json& options) const;

 private:
  TrainerOptions options_;
  nn::AdamW& make_optimizer(std::size_t n_parameters);

  std::optional<nn::AdamW> optimizer_;
  nn::TrainingProgress progress_;
  bool resumed_ = false;
};

// A checkpoint's options record the corpus and tokenizer paths ("data", "val_data", "tokenizer" when
// it names a file or directory) relative to the checkpoint directory `dir`, marked by
// "paths": "relative to the checkpoint", so that a checkpoint opens from any working directory and
// resumes after being moved together with its data. portable_paths() makes them so before saving;
// resolved_paths() turns them back into paths from here when reading (a checkpoint of an earlier
// version, unmarked, keeps its paths as recorded: absolute, or relative to where it was trained).
Json portable_paths(Json options, const std::string& dir);
Json resolved_paths(Json options, const std::string& dir);

}  // namespace lmkit::api
