// The BERT-like encoder model (Phuong & Hutter, Algorithm 9 ETransformer, trained by Algorithm 12
// ETraining): token + learned position + token-type embeddings and a LayerNorm, the transformer
// encoder stack (nn/encoder.hpp), and two heads —
//   - the masked-LM head: dense + GELU + LayerNorm, then the unembedding tied to the word embeddings
//     plus a bias (BertForMaskedLM's cls.predictions);
//   - the sequence classifier on the first ([CLS]) position's final state: the pooler (dense + tanh)
//     and a linear layer to num_labels logits (BertForSequenceClassification).
// Parameter names are Hugging Face's ("bert.embeddings.word_embeddings.weight", "cls.predictions.bias",
// "classifier.weight"), weights in torch.nn.Linear's (out, in) layout, so hf_bert.hpp reads and writes
// checkpoints by looping over the table. No dropout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "lmkit/nn/encoder.hpp"
#include "lmkit/nn/parameters.hpp"

namespace lmkit::nn {

struct BertConfig {
  std::size_t vocab_size = 0;
  std::size_t hidden_size = 0;  // C
  std::size_t num_hidden_layers = 0;
  std::size_t num_attention_heads = 0;
  std::size_t intermediate_size = 0;
  std::size_t max_position_embeddings = 0;
  std::size_t type_vocab_size = 2;
  float layer_norm_eps = 1e-12f;
  EncoderActivation hidden_act = EncoderActivation::gelu;
  bool pre_norm = false;  // lmkit's variant: pre-LN blocks and a final LayerNorm (not BERT)
  // Heads: the masked-LM head, and a classifier when num_labels > 0.
  bool mlm_head = true;
  std::size_t num_labels = 0;

  void validate(const std::string& context) const;
  EncoderConfig encoder() const;
};

// Built-in sizes for `lmkit mlm train --config`: "tiny" (2 layers, 64 wide, 2 heads), "small" (4 layers,
// 128 wide, 4 heads), "base" (BERT-base). vocab_size is left for the caller. False for unknown names.
bool bert_config_preset(const std::string& name, BertConfig& config);

class BertModel {
 public:
  explicit BertModel(BertConfig config);

  const BertConfig& config() const { return config_; }
  ParameterTable& table() { return table_; }
  const ParameterTable& table() const { return table_; }
  const std::vector<ParameterSpec>& parameter_specs() const { return table_.specs(); }
  std::span<float> parameters() { return table_.parameters(); }
  std::span<const float> parameters() const { return table_.parameters(); }
  std::span<float> gradients() { return table_.gradients(); }
  void zero_grad() { table_.zero_grad(); }

  // BERT's initialization: N(0, 0.02) matrices and embeddings, zero biases, unit LayerNorm gains.
  // Deterministic for a seed. `only_heads` re-initializes just the pooler and classifier (fine-tuning
  // a pretrained encoder).
  void init_weights(std::uint64_t seed, bool only_heads = false);

  // Masked-LM forward over tokens (B, T). token_types (B, T) may be null (all 0); valid (B, T) marks
  // real positions (null: all real). targets (B, T): the original token where the loss counts, −1
  // elsewhere. The head runs on the positions with a target, or on every position when all_positions
  // (for inspection); returns the mean cross-entropy over the targets (0 when there are none).
  float forward_mlm(const std::int32_t* tokens, const std::int32_t* token_types, const std::uint8_t* valid,
                    const std::int32_t* targets, std::size_t B, std::size_t T, bool all_positions = false);
  // (rows, V) logits of the last forward_mlm, one row per position in mlm_positions() (b · T + t).
  std::span<const float> mlm_logits() const { return mlm_.logits; }
  const std::vector<std::size_t>& mlm_positions() const { return mlm_.positions; }

  // Classification forward: labels (B) in [0, num_labels) or null (no loss). Returns the mean loss.
  float forward_classify(const std::int32_t* tokens, const std::int32_t* token_types,
                         const std::uint8_t* valid, const std::int32_t* labels, std::size_t B, std::size_t T);
  // (B, num_labels) logits of the last forward_classify.
  std::span<const float> class_logits() const { return cls_.logits; }

  // The encoder alone (no head, no loss; any model, with or without heads), for its final hidden states.
  void forward_encoder(const std::int32_t* tokens, const std::int32_t* token_types, const std::uint8_t* valid,
                       std::size_t B, std::size_t T);

  // Adds the gradients of the last forward's mean loss into gradients() (needs targets / labels).
  void backward();

  // (B, T, C) final hidden states of the last forward.
  std::span<const float> hidden_states() const { return encoder_.output(); }

 private:
  enum class Head { none, mlm, classify };
  struct Indices {
    std::size_t word, position, token_type, emb_norm_w, emb_norm_b;
    std::size_t mlm_dense_w, mlm_dense_b, mlm_norm_w, mlm_norm_b, mlm_bias;
    std::size_t pooler_w, pooler_b, classifier_w, classifier_b;
  };

  void embed(const std::int32_t* tokens, const std::int32_t* token_types, const std::uint8_t* valid,
             std::size_t B, std::size_t T);
  void backward_embeddings(const float* dhidden);

  BertConfig config_;
  ParameterTable table_;
  Indices idx_{};
  TransformerEncoder encoder_;

  Head last_head_ = Head::none;
  bool have_targets_ = false;
  std::size_t B_ = 0, T_ = 0;
  std::vector<std::int32_t> tokens_, types_, positions_;        // (B, T)
  std::vector<float> emb_sum_, emb_out_, emb_mean_, emb_rstd_;  // (N, C), (N, C), (N), (N)
  std::vector<float> d_hidden_, d_emb_out_, d_emb_sum_;         // (N, C)
  struct MlmActs {
    std::vector<std::size_t> positions;             // R rows
    std::vector<std::int32_t> targets;              // (R)
    std::vector<float> input, dense, act;           // (R, C)
    std::vector<float> norm, norm_mean, norm_rstd;  // (R, C), (R), (R)
    std::vector<float> logits, probs, losses;       // (R, V), (R, V), (R)
    std::size_t n_counted = 0;
  } mlm_;
  struct ClassifyActs {
    std::vector<std::int32_t> labels;          // (B)
    std::vector<float> first, dense, pooled;   // (B, C)
    std::vector<float> logits, probs, losses;  // (B, L), (B, L), (B)
    std::size_t n_counted = 0;
  } cls_;
};

// BERT's masking for MLM training (80% [MASK], 10% a random token, 10% unchanged, each chosen position
// with probability p): from tokens (n) writes inputs (n) and targets (n, −1 where not chosen). Positions
// with maskable 0 (padding, [CLS], [SEP]) are never chosen. Random tokens are drawn from
// [first_random_id, vocab_size) (past the specials). Deterministic for the rng state.
void mask_tokens(std::span<const std::int32_t> tokens, std::span<const std::uint8_t> maskable, float p,
                 std::int32_t mask_id, std::int32_t first_random_id, std::size_t vocab_size,
                 std::mt19937_64& rng, std::vector<std::int32_t>& inputs, std::vector<std::int32_t>& targets);

}  // namespace lmkit::nn
