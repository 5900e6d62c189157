// The training schedule every trainer (GPT, seq2seq, MLM, classifier) shares, checked once: the
// options a front-end passes are validated here, with InvalidArgument naming the field, before any
// data is read or memory allocated; and the guards the optimisation loop applies at each step — a
// non-finite loss or gradient norm stops the run before it can reach a checkpoint.
#pragma once

#include <cstdint>

namespace lmkit::api {

// The optimiser's schedule: linear warmup to lr, cosine decay to min_lr at `steps`, AdamW with
// decoupled weight decay, gradients clipped to a global norm.
struct TrainSchedule {
  std::uint64_t steps = 1000;         // the schedule's length, at least 1
  std::uint64_t warmup = 0;           // at most steps
  float lr = 1e-3f;                   // peak learning rate, in (0, max_learning_rate]
  float min_lr = 1e-4f;               // final learning rate, in [0, lr]
  float weight_decay = 0.1f;          // >= 0, finite
  float clip = 1.0f;                  // clip gradients to this global norm; > 0, finite
  float beta1 = 0.9f, beta2 = 0.95f;  // each in [0, 1)
  float eps = 1e-8f;                  // > 0, finite
};

// The largest peak learning rate accepted: AdamW's step is about lr per parameter, so anything near
// 1 already destroys a model; 10 leaves room for experiments and refuses typos like 1e30.
inline constexpr float max_learning_rate = 10.0f;

// Throws InvalidArgument (field "steps", "warmup", "lr", "min_lr", "weight_decay", "clip", "beta1",
// "beta2", "eps") for the first value outside its domain.
void validate(const TrainSchedule& schedule);

// Throws Error when a training loss, validation loss or gradient norm of step `step` (1-based, the
// step being taken) is NaN or infinite: the run stops there, before it writes anything, so the last
// checkpoint on disk stays the last good one. `what` names the quantity ("training loss").
void check_finite(float value, const char* what, std::uint64_t step);

}  // namespace lmkit::api
