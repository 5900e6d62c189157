// The pieces of the encoder-decoder's training loop (Algorithm 11 EDTraining) that `lmkit seq2seq
// train` strings together: deterministic batches of (source, target) pairs, validation loss, and
// checkpoints (a model directory plus the optimizer state and loss history, written atomically).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/seq2seq.hpp"
#include "lmkit/nn/training.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::nn {

struct TokenPair {
  std::vector<std::int32_t> source;
  std::vector<std::int32_t> target;  // without the end token
};

// B pairs drawn with replacement; the draw depends only on (seed, step), so runs are reproducible.
Seq2SeqBatch sample_pair_batch(const Seq2SeqConfig& config, const std::vector<TokenPair>& pairs,
                               std::size_t B, std::uint64_t seed, std::uint64_t step);

// The mean loss per target token (end tokens included) over the first max_pairs pairs (all if 0), in
// batches of B.
float evaluate_pairs_loss(Seq2SeqModel& model, const std::vector<TokenPair>& pairs, std::size_t B,
                          std::size_t max_pairs);

// Writes `dir` (atomically; replacing it only when replace_existing): config.json, model.safetensors,
// optimizer.safetensors, training.json (state plus "history") and loss.svg. nn::load_optimizer_state
// reads the optimizer back.
void save_seq2seq_checkpoint(const std::string& dir, bool replace_existing, const Seq2SeqModel& model,
                             const AdamW& optimizer, const std::string& tokenizer_spec, const Json& state,
                             const std::vector<LossPoint>& history);

}  // namespace lmkit::nn
