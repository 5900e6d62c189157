// The encoder-decoder transformer (Phuong & Hutter, Algorithm 8 EDTransformer), its teacher-forced
// training step (Algorithm 11 EDTraining) and the pieces of inference (Algorithm 15 EDInference):
// the encoder runs once per input, then the decoder runs new target positions against a per-layer
// self-attention KV cache and cross-attention keys and values computed once.
//
// All tensors live in one ParameterTable (one allocation for parameters, one for gradients). The
// encoder stack is nn/encoder's TransformerEncoder, registered under "encoder." with BERT's layer
// names; everything else has BART's names without the "model." prefix:
//   shared.weight (V, C)                    or encoder.embed_tokens.weight, decoder.embed_tokens.weight
//   {encoder,decoder}.embed_positions.weight (n_ctx + position_offset, C)   learned positions only
//   {encoder,decoder}.layernorm_embedding.{weight,bias} (C)                 with layernorm_embedding
//   decoder.layers.{i}.{self_attn,encoder_attn}.{q,k,v,out}_proj.{weight (C, C), bias (C)}
//   decoder.layers.{i}.{self_attn_layer_norm,encoder_attn_layer_norm,final_layer_norm}.{weight,bias}
//   decoder.layers.{i}.fc1.{weight (F, C), bias (F)}, decoder.layers.{i}.fc2.{weight (C, F), bias (C)}
//   decoder.layer_norm.{weight,bias} (C)    with final_norm (the encoder's is encoder.final_layer_norm)
//   lm_head.weight (V, C)                   when not tied
//   final_logits_bias (1, V)                with final_logits_bias
// nn/hf_bart.hpp maps these to and from Hugging Face's BART names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lmkit/nn/decoder.hpp"
#include "lmkit/nn/encoder.hpp"
#include "lmkit/nn/parameters.hpp"
#include "lmkit/nn/seq2seq_config.hpp"

namespace lmkit::nn {

// A padded batch of (source, target) pairs for teacher forcing. Sequences are right-padded.
struct Seq2SeqBatch {
  std::size_t B = 0, S = 0, T = 0;
  std::vector<std::int32_t> src;        // (B, S): source ids, pad_id after each source
  std::vector<std::uint8_t> src_valid;  // (B, S): 1 on real positions
  std::vector<std::int32_t> tgt_in;     // (B, T): decoder_start_id, then the target; pad_id after
  std::vector<std::uint8_t> tgt_valid;  // (B, T)
  std::vector<std::int32_t> targets;    // (B, T): the target, then eos_id; -1 (ignored) after
};

// Builds the batch for pairs (sources[i], targets[i]); targets are given without the end token.
// Throws Error when a source or target + 1 exceeds n_ctx, or a source is empty.
Seq2SeqBatch make_seq2seq_batch(const Seq2SeqConfig& config,
                                std::span<const std::vector<std::int32_t>> sources,
                                std::span<const std::vector<std::int32_t>> targets);

// The generation state of B rows: the source mask, and per decoder layer the self-attention cache
// (capacity positions) and the cross-attention keys and values of the encoder output.
struct Seq2SeqDecodeState {
  std::size_t B = 0, S = 0, capacity = 0;
  std::size_t length = 0;                 // target positions run so far
  std::vector<std::uint8_t> src_valid;    // (B, S)
  std::vector<std::uint8_t> self_valid;   // (B, capacity): all 1 (rows advance together)
  std::vector<DecoderLayerCache> layers;  // n_decoder_layer

  // Keeps the rows `rows` (in that order; repeats allowed): beam search reorders its hypotheses.
  void select_rows(std::span<const std::size_t> rows);
};

class Seq2SeqModel {
 public:
  explicit Seq2SeqModel(Seq2SeqConfig config);

  const Seq2SeqConfig& config() const { return config_; }
  const std::vector<ParameterSpec>& parameter_specs() const { return table_.specs(); }
  std::span<float> parameters() { return table_.parameters(); }
  std::span<const float> parameters() const { return table_.parameters(); }
  std::span<float> gradients() { return table_.gradients(); }
  const ParameterSpec& spec(const std::string& name) const { return table_.spec(name); }

  // N(0, 0.02) matrices and embeddings, zero biases, unit norm gains. Deterministic for a seed.
  void init_weights(std::uint64_t seed);

  // Teacher-forced forward: returns the mean cross-entropy over the targets that are not -1.
  float forward(const Seq2SeqBatch& batch);
  // (B, T, V) logits of the last forward.
  std::span<const float> logits() const { return logits_; }
  void zero_grad() { table_.zero_grad(); }
  // Adds the gradients of the last forward's mean loss into gradients().
  void backward();

  // Inference. Runs the encoder over src (B, S) with src_valid (B, S) and prepares the decoder's
  // caches for up to `capacity` target positions (≤ n_ctx).
  Seq2SeqDecodeState start_decoding(const std::int32_t* src, const std::uint8_t* src_valid, std::size_t B,
                                    std::size_t S, std::size_t capacity);
  // Runs tokens (B, T_new) at target positions [length, length + T_new) and writes the logits of each
  // row's last new position into last_logits (B, V).
  void decode_step(Seq2SeqDecodeState& state, const std::int32_t* tokens, std::size_t T_new,
                   float* last_logits) const;

 private:
  struct Side {  // the embedding tensors of one stack (table indices; npos when absent)
    std::size_t tokens = npos, positions = npos, ln_w = npos, ln_b = npos;
  };
  struct EmbedActs {
    std::vector<std::int32_t> positions;  // (N) rows of the position table
    std::vector<float> sum;               // (N, C) token · scale + position
    std::vector<float> out, mean, rstd;   // (N, C), (N), (N) after layernorm_embedding
  };
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  void check_ids(const std::int32_t* ids, std::size_t n, const char* what) const;
  // x (N, C) = embedding of ids at positions 0..T-1 of each of the N / T rows.
  void embed_forward(const Side& side, EmbedActs& acts, const std::int32_t* ids, std::size_t B, std::size_t T,
                     std::size_t first_position) const;
  const float* embed_output(const EmbedActs& acts) const;
  void embed_backward(const Side& side, const EmbedActs& acts, const std::int32_t* ids, float* dx,
                      std::size_t N);
  // Layer l's tensors inside `base` (the parameters or the gradients).
  DecoderLayerWeights layer_weights(std::size_t l, float* base) const;
  const float* param(std::size_t index) const { return index == npos ? nullptr : table_.param(index); }

  Seq2SeqConfig config_;
  ParameterTable table_;
  std::unique_ptr<TransformerEncoder> encoder_;
  Side enc_side_, dec_side_;
  std::vector<std::vector<std::size_t>>
      dec_layers_;  // per layer: the 26 tensor indices, in layer_weights order
  std::size_t dec_norm_w_ = npos, dec_norm_b_ = npos, head_ = npos, logits_bias_ = npos;

  // Training activations of the last forward.
  Seq2SeqBatch batch_;  // a copy: the activations point into its masks
  EmbedActs enc_embed_, dec_embed_;
  std::vector<DecoderLayerActs> dec_acts_;
  std::vector<float> dec_final_, dec_final_mean_, dec_final_rstd_;  // (B, T, C), (B, T), (B, T)
  std::vector<float> logits_, probs_, losses_;                      // (B, T, V), (B, T, V), (B, T)
  std::size_t n_counted_ = 0;
  bool have_forward_ = false;
};

}  // namespace lmkit::nn
