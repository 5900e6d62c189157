// The pieces of the training loop (Algorithm 13 DTraining) that the `lmkit train` command strings
// together: deterministic batches, validation loss, checkpoints that resume bit for bit, and the
// loss-curve plot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/gpt.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::nn {

// Fills inputs and targets (B, T) with B windows of the token stream (targets = inputs shifted by
// one). The window starts depend only on (seed, step), so a resumed run draws the same batches.
// Needs tokens.size() > T.
void sample_batch(std::span<const std::int32_t> tokens, std::size_t B, std::size_t T, std::uint64_t seed,
                  std::uint64_t step, std::vector<std::int32_t>& inputs, std::vector<std::int32_t>& targets);

// Mean loss over up to n_batches × B windows spread evenly over `tokens` (the same windows every
// call). Needs tokens.size() > T.
float evaluate_loss(GptModel& model, std::span<const std::int32_t> tokens, std::size_t B, std::size_t T,
                    std::size_t n_batches);

struct LossPoint {
  std::uint64_t step = 0;  // steps completed
  float train_loss = 0;
  std::optional<float> val_loss;
};

// A checkpoint is a model directory (config.json, model.safetensors) plus optimizer.safetensors
// (AdamW's moments "m" and "v") and training.json (`state`: options, step, loss history).
// `extra_files`, when given, writes more files into the temporary directory before it is committed
// (the CLI copies the tokenizer's files in).
void save_checkpoint(const std::string& dir, bool replace_existing, const GptModel& model,
                     const AdamW& optimizer, const std::string& tokenizer_spec, const Json& state,
                     const std::vector<LossPoint>& history,
                     const std::function<void(const std::string& temp_dir)>& extra_files = {});
// The training half of any checkpoint, written into a directory being assembled (the model's files
// go beside them): optimizer.safetensors, training.json (`state` plus the history) and loss.svg.
void write_training_files(const std::string& temp_dir, const AdamW& optimizer, const Json& state,
                          const std::vector<LossPoint>& history, const std::string& plot_title);
// Restores the optimizer's moments and step count from `dir`; returns training.json's contents.
Json load_optimizer_state(const std::string& dir, AdamW& optimizer);

Json history_to_json(const std::vector<LossPoint>& history);
std::vector<LossPoint> history_from_json(const Json& json, const std::string& context);

// Where a training run stands: the steps taken and the loss history so far.
struct TrainingProgress {
  std::uint64_t step = 0;
  std::vector<LossPoint> history;
};
// Continuing the checkpoint in `dir` (its training.json already read into `state`): restores the
// optimizer's moments and returns the step and history recorded there. UsageError when the run has
// already reached `last_step`.
TrainingProgress resume_progress(const std::string& dir, const Json& state, AdamW& optimizer,
                                 std::uint64_t last_step);

// An SVG line plot of training (and validation, where present) loss against steps.
std::string loss_curve_svg(const std::vector<LossPoint>& history, const std::string& title);

}  // namespace lmkit::nn
