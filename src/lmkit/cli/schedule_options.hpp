// The optimiser flags every training command takes, bound to the one api::TrainSchedule its options
// hold (each flag is named after the schedule's field, so InvalidArgument maps back to it; "eps" is
// spelled --adam-eps as in training.json).
#pragma once

#include <CLI/CLI.hpp>

#include "lmkit/api/trainer.hpp"

namespace lmkit::cli {

// --lr, --weight-decay, --clip, --beta1, --beta2, --adam-eps; with `length` also --steps, --warmup and
// --min-lr, returning --steps (its count() says whether it was given). The defaults shown are those
// `schedule` holds; warmup 0 and a negative min-lr mean api::with_defaults().
inline CLI::Option* add_schedule_options(CLI::App* sub, api::TrainSchedule& schedule, bool length = true) {
  CLI::Option* steps = nullptr;
  if (length) {
    steps = sub->add_option("--steps", schedule.steps,
                            "Optimizer steps in total (with --resume: a new total, to train further)")
                ->capture_default_str();
    sub->add_option("--warmup", schedule.warmup, "Linear warmup steps (default steps / 20)");
    sub->add_option("--min-lr", schedule.min_lr, "Final learning rate of the cosine decay (default lr / 10)");
  }
  sub->add_option("--lr", schedule.lr, "Peak learning rate")->capture_default_str();
  sub->add_option("--weight-decay", schedule.weight_decay, "AdamW weight decay on matrices")
      ->capture_default_str();
  sub->add_option("--clip", schedule.clip, "Clip gradients to this global norm")->capture_default_str();
  sub->add_option("--beta1", schedule.beta1, "AdamW's first-moment decay")->capture_default_str();
  sub->add_option("--beta2", schedule.beta2, "AdamW's second-moment decay")->capture_default_str();
  sub->add_option("--adam-eps", schedule.eps, "AdamW's epsilon")->capture_default_str();
  return steps;
}

}  // namespace lmkit::cli
