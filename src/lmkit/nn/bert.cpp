#include "lmkit/nn/bert.hpp"

#include <algorithm>

#include "lmkit/tensor/ops.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {

using namespace lmkit::tensor;

void BertConfig::validate(const std::string& context) const {
  if (vocab_size == 0) fail("{}: vocab_size must be at least 1", context);
  if (max_position_embeddings == 0) fail("{}: max_position_embeddings must be at least 1", context);
  if (type_vocab_size == 0) fail("{}: type_vocab_size must be at least 1", context);
  if (!mlm_head && num_labels == 0) fail("{}: the model has neither an MLM head nor labels", context);
  if (num_labels == 1) fail("{}: num_labels must be 0 (no classifier) or at least 2", context);
  encoder().validate(context);
}

EncoderConfig BertConfig::encoder() const {
  return {.n_layer = num_hidden_layers,
          .n_head = num_attention_heads,
          .n_embd = hidden_size,
          .n_inner = intermediate_size,
          .pre_norm = pre_norm,
          .final_norm = pre_norm,
          .activation = hidden_act,
          .norm_eps = layer_norm_eps};
}

bool bert_config_preset(const std::string& name, BertConfig& c) {
  auto set = [&](std::size_t layers, std::size_t width, std::size_t heads, std::size_t positions) {
    c.num_hidden_layers = layers;
    c.hidden_size = width;
    c.num_attention_heads = heads;
    c.intermediate_size = 4 * width;
    c.max_position_embeddings = positions;
  };
  if (name == "tiny")
    set(2, 64, 2, 128);
  else if (name == "small")
    set(4, 128, 4, 128);
  else if (name == "base")
    set(12, 768, 12, 512);
  else
    return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Parameters

BertModel::BertModel(BertConfig config)
    : config_((config.validate("BERT config"), config)),
      encoder_(config_.encoder(), table_, "bert.encoder.") {
  const std::size_t C = config_.hidden_size, V = config_.vocab_size;
  idx_.word = table_.add("bert.embeddings.word_embeddings.weight", {V, C}, true);
  idx_.position =
      table_.add("bert.embeddings.position_embeddings.weight", {config_.max_position_embeddings, C}, true);
  idx_.token_type =
      table_.add("bert.embeddings.token_type_embeddings.weight", {config_.type_vocab_size, C}, true);
  idx_.emb_norm_w = table_.add("bert.embeddings.LayerNorm.weight", {C}, false);
  idx_.emb_norm_b = table_.add("bert.embeddings.LayerNorm.bias", {C}, false);
  if (config_.mlm_head) {
    idx_.mlm_dense_w = table_.add("cls.predictions.transform.dense.weight", {C, C}, true);
    idx_.mlm_dense_b = table_.add("cls.predictions.transform.dense.bias", {C}, false);
    idx_.mlm_norm_w = table_.add("cls.predictions.transform.LayerNorm.weight", {C}, false);
    idx_.mlm_norm_b = table_.add("cls.predictions.transform.LayerNorm.bias", {C}, false);
    idx_.mlm_bias = table_.add("cls.predictions.bias", {V}, false);
  }
  if (config_.num_labels > 0) {
    idx_.pooler_w = table_.add("bert.pooler.dense.weight", {C, C}, true);
    idx_.pooler_b = table_.add("bert.pooler.dense.bias", {C}, false);
    idx_.classifier_w = table_.add("classifier.weight", {config_.num_labels, C}, true);
    idx_.classifier_b = table_.add("classifier.bias", {config_.num_labels}, false);
  }
  table_.allocate();
}

void BertModel::init_weights(std::uint64_t seed, bool only_heads) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (std::size_t i = 0; i < table_.specs().size(); ++i) {
    const ParameterSpec& s = table_.specs()[i];
    if (only_heads && !s.name.starts_with("bert.pooler.") && !s.name.starts_with("classifier.")) continue;
    float* p = table_.param(i);
    if (s.name.ends_with(".bias"))
      std::fill_n(p, s.size, 0.0f);
    else if (s.name.ends_with("LayerNorm.weight") || s.name.ends_with("layer_norm.weight"))
      std::fill_n(p, s.size, 1.0f);
    else
      for (std::size_t k = 0; k < s.size; ++k) p[k] = normal(rng);
  }
}

// ---------------------------------------------------------------------------------------------------
// Forward

void BertModel::embed(const std::int32_t* tokens, const std::int32_t* token_types, const std::uint8_t* valid,
                      std::size_t B, std::size_t T) {
  const std::size_t C = config_.hidden_size, N = B * T;
  if (B == 0 || T == 0) fail("BERT needs at least one sequence of at least one position");
  if (T > config_.max_position_embeddings)
    fail("sequence length {} is beyond max_position_embeddings = {}", T, config_.max_position_embeddings);
  for (std::size_t i = 0; i < N; ++i) {
    if (tokens[i] < 0 || static_cast<std::size_t>(tokens[i]) >= config_.vocab_size)
      fail("token id {} at position {} is outside the model's vocabulary of {}", tokens[i], i,
           config_.vocab_size);
    if (token_types &&
        (token_types[i] < 0 || static_cast<std::size_t>(token_types[i]) >= config_.type_vocab_size))
      fail("token type {} at position {} is outside [0, {})", token_types[i], i, config_.type_vocab_size);
  }
  B_ = B, T_ = T;
  tokens_.assign(tokens, tokens + N);
  if (token_types)
    types_.assign(token_types, token_types + N);
  else
    types_.assign(N, 0);
  positions_.resize(N);
  for (std::size_t i = 0; i < N; ++i) positions_[i] = static_cast<std::int32_t>(i % T);
  emb_sum_.assign(N * C, 0.0f);
  emb_out_.assign(N * C, 0.0f);
  emb_mean_.assign(N, 0.0f);
  emb_rstd_.assign(N, 0.0f);
  embedding_forward(emb_sum_.data(), tokens_.data(), table_.param(idx_.word), N, C);
  learned_position_forward(emb_sum_.data(), positions_.data(), table_.param(idx_.position), N, C);
  learned_position_forward(emb_sum_.data(), types_.data(), table_.param(idx_.token_type), N, C);
  layernorm_forward(emb_out_.data(), emb_mean_.data(), emb_rstd_.data(), emb_sum_.data(),
                    table_.param(idx_.emb_norm_w), table_.param(idx_.emb_norm_b), N, C,
                    config_.layer_norm_eps);
  encoder_.forward(table_, emb_out_.data(), valid, B, T);
}

void BertModel::forward_encoder(const std::int32_t* tokens, const std::int32_t* token_types,
                                const std::uint8_t* valid, std::size_t B, std::size_t T) {
  embed(tokens, token_types, valid, B, T);
  last_head_ = Head::none;
  have_targets_ = false;
}

float BertModel::forward_mlm(const std::int32_t* tokens, const std::int32_t* token_types,
                             const std::uint8_t* valid, const std::int32_t* targets, std::size_t B,
                             std::size_t T, bool all_positions) {
  if (!config_.mlm_head) fail("this BERT model has no masked-LM head");
  const std::size_t C = config_.hidden_size, V = config_.vocab_size, N = B * T;
  if (targets)
    for (std::size_t i = 0; i < N; ++i)
      if (targets[i] >= static_cast<std::int32_t>(V))
        fail("target id {} at position {} is outside the model's vocabulary of {}", targets[i], i, V);
  embed(tokens, token_types, valid, B, T);
  last_head_ = Head::mlm;
  have_targets_ = targets != nullptr;
  MlmActs& m = mlm_;
  m.positions.clear();
  m.targets.clear();
  for (std::size_t i = 0; i < N; ++i) {
    if (all_positions || (targets && targets[i] >= 0)) {
      m.positions.push_back(i);
      m.targets.push_back(targets ? targets[i] : -1);
    }
  }
  const std::size_t R = m.positions.size();
  m.input.resize(R * C);
  m.dense.resize(R * C);
  m.act.resize(R * C);
  m.norm.resize(R * C);
  m.norm_mean.resize(R);
  m.norm_rstd.resize(R);
  m.logits.resize(R * V);
  m.probs.resize(R * V);
  m.losses.resize(R);
  m.n_counted = 0;
  if (R == 0) return 0.0f;
  auto hidden = encoder_.output();
  for (std::size_t r = 0; r < R; ++r)
    std::copy_n(hidden.begin() + static_cast<std::ptrdiff_t>(m.positions[r] * C), C, m.input.begin() + r * C);
  linear_oi_forward(m.dense.data(), m.input.data(), table_.param(idx_.mlm_dense_w),
                    table_.param(idx_.mlm_dense_b), R, C, C);
  encoder_activation_forward(config_.hidden_act, m.act.data(), m.dense.data(), R * C);
  layernorm_forward(m.norm.data(), m.norm_mean.data(), m.norm_rstd.data(), m.act.data(),
                    table_.param(idx_.mlm_norm_w), table_.param(idx_.mlm_norm_b), R, C,
                    config_.layer_norm_eps);
  unembed_forward(m.logits.data(), m.norm.data(), table_.param(idx_.word), R, C, V);
  const float* bias = table_.param(idx_.mlm_bias);
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t v = 0; v < V; ++v) m.logits[r * V + v] += bias[v];
  if (!targets) return 0.0f;
  return softmax_cross_entropy_forward(m.probs.data(), m.losses.data(), m.logits.data(), m.targets.data(), R,
                                       V, &m.n_counted);
}

float BertModel::forward_classify(const std::int32_t* tokens, const std::int32_t* token_types,
                                  const std::uint8_t* valid, const std::int32_t* labels, std::size_t B,
                                  std::size_t T) {
  const std::size_t L = config_.num_labels, C = config_.hidden_size;
  if (L == 0) fail("this BERT model has no classifier (num_labels is 0)");
  if (labels)
    for (std::size_t b = 0; b < B; ++b)
      if (labels[b] < 0 || static_cast<std::size_t>(labels[b]) >= L)
        fail("label {} of sequence {} is outside [0, num_labels = {})", labels[b], b, L);
  embed(tokens, token_types, valid, B, T);
  last_head_ = Head::classify;
  have_targets_ = labels != nullptr;
  ClassifyActs& k = cls_;
  auto hidden = encoder_.output();
  k.first.resize(B * C);
  k.dense.resize(B * C);
  k.pooled.resize(B * C);
  k.logits.resize(B * L);
  k.probs.resize(B * L);
  k.losses.resize(B);
  for (std::size_t b = 0; b < B; ++b)
    std::copy_n(hidden.begin() + static_cast<std::ptrdiff_t>(b * T * C), C, k.first.begin() + b * C);
  linear_oi_forward(k.dense.data(), k.first.data(), table_.param(idx_.pooler_w), table_.param(idx_.pooler_b),
                    B, C, C);
  tanh_forward(k.pooled.data(), k.dense.data(), B * C);
  linear_oi_forward(k.logits.data(), k.pooled.data(), table_.param(idx_.classifier_w),
                    table_.param(idx_.classifier_b), B, C, L);
  if (!labels) return 0.0f;
  k.labels.assign(labels, labels + B);
  return softmax_cross_entropy_forward(k.probs.data(), k.losses.data(), k.logits.data(), k.labels.data(), B,
                                       L, &k.n_counted);
}

// ---------------------------------------------------------------------------------------------------
// Backward

void BertModel::backward() {
  if (!have_targets_ || last_head_ == Head::none)
    fail("BertModel::backward needs a forward with targets or labels first");
  const std::size_t C = config_.hidden_size, V = config_.vocab_size, B = B_, T = T_, N = B * T;
  d_hidden_.assign(N * C, 0.0f);
  if (last_head_ == Head::mlm) {
    MlmActs& m = mlm_;
    const std::size_t R = m.positions.size();
    if (m.n_counted > 0) {
      std::vector<float> dlogits(R * V, 0.0f), dnorm(R * C, 0.0f), dact(R * C, 0.0f), ddense(R * C, 0.0f),
          dinput(R * C, 0.0f);
      softmax_cross_entropy_backward(dlogits.data(), m.probs.data(), m.targets.data(), R, V,
                                     1.0f / static_cast<float>(m.n_counted));
      float* dbias = table_.grad(idx_.mlm_bias);
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t v = 0; v < V; ++v) dbias[v] += dlogits[r * V + v];
      unembed_backward(dnorm.data(), table_.grad(idx_.word), dlogits.data(), m.norm.data(),
                       table_.param(idx_.word), R, C, V);
      layernorm_backward(dact.data(), table_.grad(idx_.mlm_norm_w), table_.grad(idx_.mlm_norm_b),
                         dnorm.data(), m.act.data(), table_.param(idx_.mlm_norm_w), m.norm_mean.data(),
                         m.norm_rstd.data(), R, C);
      encoder_activation_backward(config_.hidden_act, ddense.data(), m.dense.data(), dact.data(), R * C);
      linear_oi_backward(dinput.data(), table_.grad(idx_.mlm_dense_w), table_.grad(idx_.mlm_dense_b),
                         ddense.data(), m.input.data(), table_.param(idx_.mlm_dense_w), R, C, C);
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t c = 0; c < C; ++c) d_hidden_[m.positions[r] * C + c] += dinput[r * C + c];
    }
  } else {
    ClassifyActs& k = cls_;
    const std::size_t L = config_.num_labels;
    std::vector<float> dlogits(B * L, 0.0f), dpooled(B * C, 0.0f), ddense(B * C, 0.0f), dfirst(B * C, 0.0f);
    softmax_cross_entropy_backward(dlogits.data(), k.probs.data(), k.labels.data(), B, L,
                                   1.0f / static_cast<float>(std::max<std::size_t>(1, k.n_counted)));
    linear_oi_backward(dpooled.data(), table_.grad(idx_.classifier_w), table_.grad(idx_.classifier_b),
                       dlogits.data(), k.pooled.data(), table_.param(idx_.classifier_w), B, C, L);
    tanh_backward(ddense.data(), k.pooled.data(), dpooled.data(), B * C);
    linear_oi_backward(dfirst.data(), table_.grad(idx_.pooler_w), table_.grad(idx_.pooler_b), ddense.data(),
                       k.first.data(), table_.param(idx_.pooler_w), B, C, C);
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t c = 0; c < C; ++c) d_hidden_[b * T * C + c] += dfirst[b * C + c];
  }
  backward_embeddings(d_hidden_.data());
}

void BertModel::backward_embeddings(const float* dhidden) {
  const std::size_t C = config_.hidden_size, N = B_ * T_;
  d_emb_out_.assign(N * C, 0.0f);
  d_emb_sum_.assign(N * C, 0.0f);
  encoder_.backward(table_, dhidden, d_emb_out_.data());
  layernorm_backward(d_emb_sum_.data(), table_.grad(idx_.emb_norm_w), table_.grad(idx_.emb_norm_b),
                     d_emb_out_.data(), emb_sum_.data(), table_.param(idx_.emb_norm_w), emb_mean_.data(),
                     emb_rstd_.data(), N, C);
  embedding_backward(table_.grad(idx_.word), d_emb_sum_.data(), tokens_.data(), N, C);
  learned_position_backward(table_.grad(idx_.position), d_emb_sum_.data(), positions_.data(), N, C);
  learned_position_backward(table_.grad(idx_.token_type), d_emb_sum_.data(), types_.data(), N, C);
}

// ---------------------------------------------------------------------------------------------------
// Masking

void mask_tokens(std::span<const std::int32_t> tokens, std::span<const std::uint8_t> maskable, float p,
                 std::int32_t mask_id, std::int32_t first_random_id, std::size_t vocab_size,
                 std::mt19937_64& rng, std::vector<std::int32_t>& inputs,
                 std::vector<std::int32_t>& targets) {
  if (maskable.size() != tokens.size())
    fail("mask_tokens: {} tokens but {} maskable flags", tokens.size(), maskable.size());
  if (first_random_id < 0 || static_cast<std::size_t>(first_random_id) >= vocab_size)
    fail("mask_tokens: no ids to draw random tokens from ([{}, {}))", first_random_id, vocab_size);
  inputs.assign(tokens.begin(), tokens.end());
  targets.assign(tokens.size(), -1);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::uniform_int_distribution<std::int32_t> random_id(first_random_id,
                                                        static_cast<std::int32_t>(vocab_size) - 1);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (!maskable[i] || uniform(rng) >= p) continue;
    targets[i] = tokens[i];
    float r = uniform(rng);
    if (r < 0.8f)
      inputs[i] = mask_id;
    else if (r < 0.9f)
      inputs[i] = random_id(rng);
  }
}

}  // namespace lmkit::nn
