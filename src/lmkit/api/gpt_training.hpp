// Training a GPT-like decoder on a text corpus (Algorithm 13 DTraining) into a Hugging Face GPT-2
// model directory with the optimizer state, the loss history and a loss-curve SVG, checkpointing
// atomically as it goes; resuming continues a checkpoint bit for bit. What `lmkit train` runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lmkit/api/saved_options.hpp"
#include "lmkit/api/trainer.hpp"
#include "lmkit/text/corpus.hpp"

namespace lmkit::api {

struct GptTrainOptions {
  std::vector<std::string> data, val_data;  // corpora (files, directories, .jsonl, .gz / .zst)
  text::CorpusOptions corpus;               // how both are read
  std::string tokenizer, config, out;       // config: "tiny", "small" or a config.json file
  TrainSchedule schedule{.min_lr = -1};     // warmup 0: steps / 20; min_lr < 0: lr / 10 (with_defaults)
  std::uint64_t until = 0;
  std::size_t batch = 8, ctx = 0, val_every = 100, val_batches = 4,
              checkpoint_every = 500;  // ctx 0: min(n_ctx, 256)
  std::uint64_t seed = 1;
  bool resume = false;       // continue the checkpoint in `out` with its saved options
  bool steps_given = false;  // with resume: `steps` is a new total (else the checkpoint's)
  // With resume: the options the caller set (saved_fields keys, and "config"), compared with the
  // checkpoint's: tokenizer, ctx and a config describing another model are refused (InvalidArgument);
  // others that differ are warned about and used (see apply_resume_changes).
  std::set<std::string> given;
  bool quiet = false;                              // no progress bar or validation lines
  std::function<void(const StepReport&)> on_step;  // progress instead of the bar
};

// What a checkpoint saves of the options (not out, until, resume: see saved_options.hpp).
template <typename O, typename Visit>
void saved_fields(O& o, Visit visit) {
  visit_common(o, visit);
  visit("ctx", o.ctx);
  visit("min_lr", o.schedule.min_lr);
  visit("val_batches", o.val_batches);
  visit("corpus", o.corpus);
}

// What the run is about to do, reported before the first step.
struct GptTrainPlan {
  std::size_t parameters = 0, layers = 0, width = 0;
  std::size_t train_tokens = 0, val_tokens = 0, batch = 0, ctx = 0, threads = 0;
};

struct GptTrainResult {
  std::string out;
  std::uint64_t step = 0, steps = 0;  // where it stopped, the schedule's length
  float train_loss = 0;
  std::optional<float> val_loss;
  double tokens_per_second = 0;
  std::size_t parameters = 0;
  std::uint64_t skipped = 0;  // bad documents skipped in both corpora (corpus.skip_bad)
  std::vector<text::SkippedDocument> skipped_examples{};
};

// InvalidArgument naming the field for options out of their domain (before any data is read),
// Error for data that cannot train (no text, a corpus shorter than one window).
GptTrainResult train_gpt(GptTrainOptions options,
                         const std::function<void(const GptTrainPlan&)>& on_start = {});

}  // namespace lmkit::api
