#include "lmkit/nn/training_memory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "lmkit/nn/model_limits.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {

namespace {

constexpr std::uint64_t value_bytes = 4;  // float and int32

std::uint64_t add(std::initializer_list<std::uint64_t> terms) {
  std::uint64_t sum = 0;
  for (std::uint64_t t : terms) sum = saturating_add(sum, t);
  return sum;
}
std::uint64_t mul(std::initializer_list<std::uint64_t> factors) {
  std::uint64_t product = 1;
  for (std::uint64_t f : factors) product = saturating_mul(product, f);
  return product;
}

// Parameters, gradients and AdamW state of n parameters, and `activation_values` values.
TrainingMemory make(std::uint64_t n_parameters, std::uint64_t activation_values, std::string batch) {
  const std::uint64_t weights = mul({n_parameters, value_bytes});
  return {.parameters = weights,
          .gradients = weights,
          .optimizer = mul({weights, 2}),
          .activations = mul({activation_values, value_bytes}),
          .batch = std::move(batch)};
}

// Values a TransformerEncoder keeps over (B, T) (encoder.cpp resize and resize_gradients).
std::uint64_t encoder_values(std::uint64_t layers, std::uint64_t heads, std::uint64_t C, std::uint64_t inner,
                             std::uint64_t B, std::uint64_t T) {
  const std::uint64_t N = mul({B, T}), NC = mul({N, C}), NI = mul({N, inner});
  const std::uint64_t per_layer = add({mul({9, NC}), mul({2, NI}), mul({4, N}), mul({heads, B, T, T})});
  // input and final output, the masks, and the backward's buffers (shared by the layers)
  return add({mul({layers, per_layer}), mul({2, NC}), mul({3, N}), mul({10, NC}), mul({2, NI})});
}

}  // namespace

std::uint64_t TrainingMemory::total() const { return add({parameters, gradients, optimizer, activations}); }

TrainingMemory gpt_training_memory(const GptConfig& c, std::uint64_t B, std::uint64_t T) {
  const std::uint64_t N = mul({B, T}), NC = mul({N, c.n_embd}), NV = mul({N, c.vocab_size});
  // Per block (gpt.cpp resize_activations): 18 (B, T, C)-sized activations and their 18 gradients,
  // LayerNorm statistics and the attention weights (B, NH, T, T).
  const std::uint64_t per_block = add({mul({36, NC}), mul({4, N}), mul({c.n_head, B, T, T})});
  // Embeddings and final LayerNorm (with gradients), logits and their gradient, probabilities,
  // losses, statistics, and the token, target and position ids (the model's and the batch's).
  const std::uint64_t values =
      add({mul({c.n_layer, per_block}), mul({4, NC}), mul({3, NV}), mul({3, N}), mul({5, N})});
  return make(c.n_parameters(), values, fmt::format("batch {} × ctx {}", B, T));
}

TrainingMemory seq2seq_training_memory(const Seq2SeqConfig& c, std::uint64_t n_parameters, std::uint64_t B,
                                       std::uint64_t S, std::uint64_t T) {
  const std::uint64_t C = c.n_embd, N = mul({B, T}), M = mul({B, S}), NC = mul({N, C}), MC = mul({M, C});
  // Per decoder layer (decoder.hpp DecoderLayerActs): self-attention q, k, v, y; cross-attention q, y
  // and k, v over the source; three residual sublayers; the MLP; the attention outputs; the weights
  // (B, NH, T, T) and (B, NH, T, S).
  const std::uint64_t per_decoder_layer = add({mul({15, NC}), mul({2, MC}), mul({2, N, c.n_ffn}), mul({6, N}),
                                               mul({c.n_head, B, T, T}), mul({c.n_head, B, T, S})});
  const std::uint64_t values = add({
      encoder_values(c.n_encoder_layer, c.n_head, C, c.n_ffn, B, S),
      mul({c.n_decoder_layer, per_decoder_layer}), mul({4, MC}),
      mul({4, NC}),                            // both stacks' embeddings and their gradients
      mul({8, NC}), mul({2, N, c.n_ffn}),      // the decoder backward's buffers
      mul({3, N, c.vocab_size}), mul({3, N}),  // logits, their gradient, probabilities, losses
      mul({3, N}), mul({2, M}),                // the batch's ids and masks
  });
  return make(n_parameters, values, fmt::format("batch {} × {} source × {} target tokens", B, S, T));
}

TrainingMemory seq2seq_training_memory(const Seq2SeqConfig& config, std::uint64_t n_parameters,
                                       std::uint64_t batch, std::span<const TokenPair> train,
                                       std::span<const TokenPair> validation) {
  std::uint64_t S = 1, T = 1;
  for (std::span<const TokenPair> pairs : {train, validation})
    for (const TokenPair& p : pairs) {
      S = std::max<std::uint64_t>(S, p.source.size());
      T = std::max<std::uint64_t>(T, p.target.size() + 1);
    }
  return seq2seq_training_memory(config, n_parameters, batch, S, T);
}

TrainingMemory bert_training_memory(const BertConfig& c, std::uint64_t n_parameters, std::uint64_t B,
                                    std::uint64_t T, double mask_prob) {
  const std::uint64_t C = c.hidden_size, N = mul({B, T}), NC = mul({N, C});
  std::uint64_t head = 0;
  if (c.mlm_head) {
    // The masked rows: about mask_prob of the positions (bert.cpp forward_mlm).
    const double expected = std::ceil(static_cast<double>(N) * std::min(1.0, std::max(0.0, mask_prob)));
    const std::uint64_t R = expected >= 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(expected);
    head = add({mul({8, R, C}), mul({3, R, c.vocab_size}), mul({4, R})});
  } else {
    head = add({mul({6, B, C}), mul({3, B, c.num_labels}), B});
  }
  const std::uint64_t values =
      add({encoder_values(c.num_hidden_layers, c.num_attention_heads, C, c.intermediate_size, B, T),
           mul({5, NC}), mul({2, N}),  // embeddings, their gradients and statistics
           mul({4, N}), head});        // ids, token types, positions, mask
  return make(n_parameters, values, fmt::format("batch {} × seq_len {}", B, T));
}

TrainingMemory bert_training_memory(const BertConfig& config, std::uint64_t n_parameters, std::uint64_t batch,
                                    std::span<const std::vector<std::int32_t>> train,
                                    std::span<const std::vector<std::int32_t>> validation, double mask_prob) {
  std::uint64_t T = 1;
  for (std::span<const std::vector<std::int32_t>> sequences : {train, validation})
    for (const auto& sequence : sequences) T = std::max<std::uint64_t>(T, sequence.size());
  return bert_training_memory(config, n_parameters, batch, T, mask_prob);
}

void check_training_memory(const TrainingMemory& m, const MemoryLimit& limit) {
  if (m.total() <= limit.bytes) return;
  fail(
      "training needs about {} for {} (parameters {}, gradients {}, AdamW state {}, activations {}); "
      "this process may use at most {} ({}): use a smaller batch or sequence length",
      format_bytes(m.total()), m.batch, format_bytes(m.parameters), format_bytes(m.gradients),
      format_bytes(m.optimizer), format_bytes(m.activations), format_bytes(limit.bytes), limit.source);
}

}  // namespace lmkit::nn
