#include "lmkit/api/trainer.hpp"

#include <cmath>

#include "lmkit/util/error.hpp"

namespace lmkit::api {

void validate(const TrainSchedule& s) {
  if (s.steps == 0) invalid_argument("steps", s.steps, "must be at least 1");
  if (s.warmup > s.steps)
    invalid_argument("warmup", s.warmup, "exceeds the {} steps of the schedule", s.steps);
  if (!std::isfinite(s.lr) || s.lr <= 0 || s.lr > max_learning_rate)
    invalid_argument("lr", s.lr, "must be a number in (0, {}]", max_learning_rate);
  if (!std::isfinite(s.min_lr) || s.min_lr < 0 || s.min_lr > s.lr)
    invalid_argument("min_lr", s.min_lr, "must be a number in [0, lr = {}]", s.lr);
  if (!std::isfinite(s.weight_decay) || s.weight_decay < 0)
    invalid_argument("weight_decay", s.weight_decay, "must be a finite number >= 0");
  if (!std::isfinite(s.clip) || s.clip <= 0) invalid_argument("clip", s.clip, "must be a finite number > 0");
  if (!(s.beta1 >= 0 && s.beta1 < 1)) invalid_argument("beta1", s.beta1, "must be in [0, 1)");
  if (!(s.beta2 >= 0 && s.beta2 < 1)) invalid_argument("beta2", s.beta2, "must be in [0, 1)");
  if (!std::isfinite(s.eps) || s.eps <= 0) invalid_argument("eps", s.eps, "must be a finite number > 0");
}

void check_finite(float value, const char* what, std::uint64_t step) {
  if (!std::isfinite(value))
    fail("step {}: the {} is {}; training stopped, the last checkpoint written (if any) is kept", step, what,
         value);
}

}  // namespace lmkit::api
