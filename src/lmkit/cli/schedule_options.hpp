// The optimiser flags every training command takes, bound to the one api::TrainSchedule its options
// hold (each flag is named after the schedule's field, so InvalidArgument maps back to it; "eps" is
// spelled --adam-eps as in training.json).
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

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

// A checkpointed run's options, the same in every trainer that resumes: --out, --until, --seed,
// --val-every, --checkpoint-every, --resume.
template <typename Options>
void add_run_options(CLI::App* sub, Options& o) {
  sub->add_option("--out", o.out, "Model directory to write (must not exist unless --resume)");
  sub->add_option("--until", o.until, "Stop after this step and checkpoint (continue later with --resume)");
  sub->add_option("--seed", o.seed, "Seed for initialization and batches")->capture_default_str();
  sub->add_option("--val-every", o.val_every, "Steps between validation losses")->capture_default_str();
  sub->add_option("--checkpoint-every", o.checkpoint_every, "Steps between checkpoints (0: only at the end)")
      ->capture_default_str();
  sub->add_flag("--resume", o.resume, "Continue the checkpoint in --out where it stopped, bit for bit");
}

// The options given on `sub`'s command line by the library's field names (--val-every: val_every), for
// --resume to compare with the checkpoint's (api::apply_resume_changes). `renames` maps a flag's name
// to the key its checkpoint saves it under: the corpus reader's flags are saved as one "corpus"
// (kCorpusFields), and a trainer may name a flag's value otherwise (mlm's --ctx is "seq_len").
inline const std::map<std::string, std::string> kCorpusFields = {
    {"lines", "corpus"}, {"format", "corpus"}, {"text_field", "corpus"}, {"skip_bad", "corpus"}};
inline std::set<std::string> given_fields(const CLI::App* sub,
                                          const std::map<std::string, std::string>& renames = kCorpusFields) {
  std::set<std::string> given;
  for (const CLI::Option* option : sub->get_options())
    if (option->count() > 0 && !option->get_lnames().empty()) {
      std::string field = option->get_lnames().front();
      std::replace(field.begin(), field.end(), '-', '_');
      const auto renamed = renames.find(field);
      given.insert(renamed == renames.end() ? field : renamed->second);
    }
  return given;
}

}  // namespace lmkit::cli
