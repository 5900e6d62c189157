// Masked-language-model pretraining of a BERT-like encoder (Algorithm 12 ETraining) on a corpus, one
// example per document or per line, into a Hugging Face BERT directory (config.json,
// model.safetensors, vocab.txt, tokenizer.json, tokenizer_config.json) with the optimizer state and
// loss history, checkpointing atomically; resuming continues a checkpoint bit for bit. What `lmkit
// mlm train` runs; its output is what classifier training's `init` fine-tunes and Encoder embeds with.
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

struct MlmTrainOptions {
  std::vector<std::string> data, val_data;  // corpora; val_data empty: the last tenth of the examples
  bool lines = false;                       // one example per line of each document
  text::CorpusOptions corpus{};             // how both are read (format, text_field, skip_bad)
  std::string tokenizer;                    // a WordPiece tokenizer spec
  std::string config = "tiny";              // tiny, small or base
  std::string out;
  // warmup 0: steps / 20; min_lr < 0: lr / 10
  TrainSchedule schedule{.min_lr = -1, .weight_decay = 0.01f, .beta2 = 0.999f};
  std::uint64_t until = 0;  // stop (and checkpoint) after this step; 0: at schedule.steps
  std::size_t batch = 32, seq_len = 64;
  float mask_prob = 0.15f;  // in (0, 1)
  std::uint64_t seed = 1;
  std::size_t val_every = 100, val_batches = 8, checkpoint_every = 0;
  bool resume = false;       // continue the checkpoint in `out` with its saved options
  bool steps_given = false;  // with resume: schedule.steps is a new total (else the checkpoint's)
  // With resume: the options the caller set (saved_fields keys), compared with the checkpoint's:
  // config, tokenizer and seq_len are refused (InvalidArgument) when they differ; others that differ
  // are warned about and used (see apply_resume_changes).
  std::set<std::string> given;
  bool force = false;  // replace `out` if it exists
  bool quiet = false;  // no progress bar or validation lines
  std::function<void(const StepReport&)> on_step;
};

// What a checkpoint saves of the options (not out, until, resume, force: see saved_options.hpp).
template <typename O, typename Visit>
void saved_fields(O& o, Visit visit) {
  visit("lines", o.lines);
  visit("config", o.config);
  visit_common(o, visit);
  visit("min_lr", o.schedule.min_lr);
  visit("seq_len", o.seq_len);
  visit("mask_prob", o.mask_prob);
  visit("val_batches", o.val_batches);
  visit("corpus", o.corpus);
}

// What the run is about to do, reported before the first step.
struct MlmTrainPlan {
  std::size_t parameters = 0, layers = 0, width = 0;
  std::size_t train_sequences = 0, val_sequences = 0, batch = 0, seq_len = 0, threads = 0;
};

struct MlmTrainResult {
  std::string out;
  std::uint64_t step = 0, steps = 0;  // where it stopped, the schedule's length
  float train_loss = 0;
  std::optional<float> val_loss;
  double sequences_per_second = 0, seconds = 0;
  std::size_t parameters = 0;
  std::uint64_t skipped = 0;  // bad documents skipped (corpus.skip_bad)
};

// InvalidArgument naming the field for options out of their domain (before any data is read),
// Error for data that cannot train.
MlmTrainResult train_mlm(MlmTrainOptions options,
                         const std::function<void(const MlmTrainPlan&)>& on_start = {});

}  // namespace lmkit::api
