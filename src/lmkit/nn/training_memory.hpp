// What training a model will hold in memory, estimated from its shape and the batch before anything
// is allocated: the parameters, their gradients, AdamW's two moments and the activations one batch's
// forward keeps for the backward (plus the backward's buffers), all in checked arithmetic, so that an
// absurd batch or context is refused with the estimate and the limit instead of growing until the
// machine runs out (issue 14). The activation counts follow the buffers gpt.cpp, encoder.cpp,
// decoder.cpp, seq2seq.cpp and bert.cpp allocate; short-lived scratch of a few (B, T, C) rows is left
// out, so the estimate is a little low rather than high.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lmkit/nn/bert.hpp"
#include "lmkit/nn/gpt_config.hpp"
#include "lmkit/nn/seq2seq_config.hpp"
#include "lmkit/nn/seq2seq_training.hpp"
#include "lmkit/util/memory.hpp"

namespace lmkit::nn {

// Bytes, each a saturating sum or product: a value past 2^64 - 1 stays at UINT64_MAX.
struct TrainingMemory {
  std::uint64_t parameters = 0;
  std::uint64_t gradients = 0;
  std::uint64_t optimizer = 0;    // AdamW's first and second moments
  std::uint64_t activations = 0;  // one batch's forward and backward
  std::string batch;              // the batch's shape, for messages ("batch 8 × ctx 256")
  std::uint64_t total() const;
};

// A GPT decoder trained on (batch, ctx) token windows.
TrainingMemory gpt_training_memory(const GptConfig& config, std::uint64_t batch, std::uint64_t ctx);
// An encoder-decoder trained on batches of `batch` pairs whose longest source has source_len tokens and
// whose longest decoder input (target + end token) has target_len.
TrainingMemory seq2seq_training_memory(const Seq2SeqConfig& config, std::uint64_t n_parameters,
                                       std::uint64_t batch, std::uint64_t source_len,
                                       std::uint64_t target_len);
// The same for batches drawn from these pairs (the longest source, the longest target + 1).
TrainingMemory seq2seq_training_memory(const Seq2SeqConfig& config, std::uint64_t n_parameters,
                                       std::uint64_t batch, std::span<const TokenPair> train,
                                       std::span<const TokenPair> validation);
// A BERT encoder trained on (batch, seq_len) sequences: masked-LM with `mask_prob` of the positions
// predicted (config.mlm_head), or a classifier (config.num_labels).
TrainingMemory bert_training_memory(const BertConfig& config, std::uint64_t n_parameters, std::uint64_t batch,
                                    std::uint64_t seq_len, double mask_prob);
// The same for batches of these sequences (their longest, with [CLS] and [SEP]).
TrainingMemory bert_training_memory(const BertConfig& config, std::uint64_t n_parameters, std::uint64_t batch,
                                    std::span<const std::vector<std::int32_t>> train,
                                    std::span<const std::vector<std::int32_t>> validation, double mask_prob);

// Throws Error when memory.total() exceeds limit.bytes, stating the estimate (and its parts), the
// batch and the limit with what sets it.
void check_training_memory(const TrainingMemory& memory, const MemoryLimit& limit = memory_limit());

}  // namespace lmkit::nn
