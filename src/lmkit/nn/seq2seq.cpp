#include "lmkit/nn/seq2seq.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "lmkit/nn/model_limits.hpp"
#include "lmkit/tensor/ops.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/memory.hpp"

namespace lmkit::nn {

using namespace lmkit::tensor;

namespace {

// The decoder layer's tensors, in the order layer_weights() reads them.
const char* const decoder_layer_tensors[] = {"self_attn.q_proj.weight",
                                             "self_attn.q_proj.bias",
                                             "self_attn.k_proj.weight",
                                             "self_attn.k_proj.bias",
                                             "self_attn.v_proj.weight",
                                             "self_attn.v_proj.bias",
                                             "self_attn.out_proj.weight",
                                             "self_attn.out_proj.bias",
                                             "self_attn_layer_norm.weight",
                                             "self_attn_layer_norm.bias",
                                             "encoder_attn.q_proj.weight",
                                             "encoder_attn.q_proj.bias",
                                             "encoder_attn.k_proj.weight",
                                             "encoder_attn.k_proj.bias",
                                             "encoder_attn.v_proj.weight",
                                             "encoder_attn.v_proj.bias",
                                             "encoder_attn.out_proj.weight",
                                             "encoder_attn.out_proj.bias",
                                             "encoder_attn_layer_norm.weight",
                                             "encoder_attn_layer_norm.bias",
                                             "fc1.weight",
                                             "fc1.bias",
                                             "fc2.weight",
                                             "fc2.bias",
                                             "final_layer_norm.weight",
                                             "final_layer_norm.bias"};

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Batches and decoding state

Seq2SeqBatch make_seq2seq_batch(const Seq2SeqConfig& c, std::span<const std::vector<std::int32_t>> sources,
                                std::span<const std::vector<std::int32_t>> targets) {
  if (sources.size() != targets.size())
    fail("{} sources but {} targets; training needs pairs", sources.size(), targets.size());
  Seq2SeqBatch batch;
  batch.B = sources.size();
  for (std::size_t b = 0; b < batch.B; ++b) {
    if (sources[b].empty()) fail("source {} of the batch is empty", b);
    if (sources[b].size() > c.n_ctx)
      fail("source {} has {} tokens, beyond the model's n_ctx of {}", b, sources[b].size(), c.n_ctx);
    if (targets[b].size() + 1 > c.n_ctx)
      fail("target {} has {} tokens; with the end token it exceeds the model's n_ctx of {}", b,
           targets[b].size(), c.n_ctx);
    batch.S = std::max(batch.S, sources[b].size());
    batch.T = std::max(batch.T, targets[b].size() + 1);
  }
  const std::size_t B = batch.B, S = batch.S, T = batch.T;
  batch.src.assign(B * S, c.pad_id);
  batch.src_valid.assign(B * S, 0);
  batch.tgt_in.assign(B * T, c.pad_id);
  batch.tgt_valid.assign(B * T, 0);
  batch.targets.assign(B * T, -1);
  for (std::size_t b = 0; b < B; ++b) {
    std::copy(sources[b].begin(), sources[b].end(), batch.src.begin() + static_cast<std::ptrdiff_t>(b * S));
    std::fill_n(batch.src_valid.begin() + static_cast<std::ptrdiff_t>(b * S), sources[b].size(), 1);
    const auto& tgt = targets[b];
    batch.tgt_in[b * T] = c.decoder_start_id;
    std::copy(tgt.begin(), tgt.end(), batch.tgt_in.begin() + static_cast<std::ptrdiff_t>(b * T + 1));
    std::fill_n(batch.tgt_valid.begin() + static_cast<std::ptrdiff_t>(b * T), tgt.size() + 1, 1);
    std::copy(tgt.begin(), tgt.end(), batch.targets.begin() + static_cast<std::ptrdiff_t>(b * T));
    batch.targets[b * T + tgt.size()] = c.eos_id;
  }
  return batch;
}

void Seq2SeqDecodeState::select_rows(std::span<const std::size_t> rows) {
  auto gather = [&](auto& v, std::size_t row_size) {
    std::remove_reference_t<decltype(v)> out(rows.size() * row_size);
    for (std::size_t r = 0; r < rows.size(); ++r)
      std::copy_n(v.begin() + static_cast<std::ptrdiff_t>(rows[r] * row_size), row_size,
                  out.begin() + static_cast<std::ptrdiff_t>(r * row_size));
    v = std::move(out);
  };
  for (std::size_t r : rows)
    if (r >= B) fail("select_rows: row {} of a state of {} rows", r, B);
  gather(src_valid, S);
  gather(self_valid, capacity);
  for (auto& layer : layers) {
    const std::size_t C = layer.cross_keys.size() / (B * S);
    gather(layer.self_keys, capacity * C);
    gather(layer.self_values, capacity * C);
    gather(layer.cross_keys, S * C);
    gather(layer.cross_values, S * C);
  }
  B = rows.size();
}

// ---------------------------------------------------------------------------------------------------
// Parameters

Seq2SeqModel::Seq2SeqModel(Seq2SeqConfig config) : config_(config) {
  config_.validate("seq2seq config");
  const Seq2SeqConfig& c = config_;
  const std::size_t C = c.n_embd, V = c.vocab_size, F = c.n_ffn, P = c.n_ctx + c.position_offset;
  auto add_side = [&](Side& side, const std::string& stack) {
    if (c.position == PositionKind::learned)
      side.positions = table_.add(stack + ".embed_positions.weight", {P, C}, true);
    if (c.layernorm_embedding) {
      side.ln_w = table_.add(stack + ".layernorm_embedding.weight", {C}, false);
      side.ln_b = table_.add(stack + ".layernorm_embedding.bias", {C}, false);
    }
  };
  if (c.shared_embeddings) {
    enc_side_.tokens = dec_side_.tokens = table_.add("shared.weight", {V, C}, true);
  } else {
    enc_side_.tokens = table_.add("encoder.embed_tokens.weight", {V, C}, true);
  }
  add_side(enc_side_, "encoder");
  encoder_ =
      std::make_unique<TransformerEncoder>(EncoderConfig{.n_layer = c.n_encoder_layer,
                                                         .n_head = c.n_head,
                                                         .n_embd = C,
                                                         .n_inner = F,
                                                         .pre_norm = c.norm_first,
                                                         .final_norm = c.final_norm,
                                                         .activation = encoder_activation(c.activation),
                                                         .norm_eps = c.norm_eps},
                                           table_, "encoder.");
  if (!c.shared_embeddings) dec_side_.tokens = table_.add("decoder.embed_tokens.weight", {V, C}, true);
  add_side(dec_side_, "decoder");
  for (std::size_t l = 0; l < c.n_decoder_layer; ++l) {
    const std::string p = "decoder.layers." + std::to_string(l) + ".";
    std::vector<std::size_t> indices;
    for (const char* name : decoder_layer_tensors) {
      std::string n = name;
      const bool matrix = n.ends_with("proj.weight") || n == "fc1.weight" || n == "fc2.weight";
      std::vector<std::size_t> shape = {C};
      if (n == "fc1.weight")
        shape = {F, C};
      else if (n == "fc2.weight")
        shape = {C, F};
      else if (n == "fc1.bias")
        shape = {F};
      else if (matrix)
        shape = {C, C};
      indices.push_back(table_.add(p + n, shape, matrix));
    }
    dec_layers_.push_back(std::move(indices));
  }
  if (c.final_norm) {
    dec_norm_w_ = table_.add("decoder.layer_norm.weight", {C}, false);
    dec_norm_b_ = table_.add("decoder.layer_norm.bias", {C}, false);
  }
  head_ = c.tied ? dec_side_.tokens : table_.add("lm_head.weight", {V, C}, true);
  if (c.final_logits_bias) logits_bias_ = table_.add("final_logits_bias", {1, V}, false);
  table_.allocate();
}

DecoderLayerWeights Seq2SeqModel::layer_weights(std::size_t l, float* base) const {
  const auto& idx = dec_layers_[l];
  auto at = [&](std::size_t k) { return base + table_.specs()[idx[k]].offset; };
  auto lin = [&](std::size_t k) { return LinearWeights{at(k), at(k + 1)}; };
  auto norm = [&](std::size_t k) { return NormWeights{at(k), at(k + 1)}; };
  return {{lin(0), lin(2), lin(4), lin(6)},
          norm(8),
          {lin(10), lin(12), lin(14), lin(16)},
          norm(18),
          lin(20),
          lin(22),
          norm(24)};
}

void Seq2SeqModel::init_weights(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (std::size_t i = 0; i < table_.specs().size(); ++i) {
    const ParameterSpec& s = table_.specs()[i];
    float* p = table_.param(i);
    const bool norm = s.name.find("norm") != std::string::npos;
    if (s.decay) {
      for (std::size_t k = 0; k < s.size; ++k) p[k] = normal(rng);
    } else {
      std::fill(p, p + s.size, norm && s.name.ends_with(".weight") ? 1.0f : 0.0f);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Embeddings

void Seq2SeqModel::check_ids(const std::int32_t* ids, std::size_t n, const char* what) const {
  for (std::size_t i = 0; i < n; ++i)
    if (ids[i] < 0 || static_cast<std::size_t>(ids[i]) >= config_.vocab_size)
      fail("{} id {} at position {} is outside the model's vocabulary of {}", what, ids[i], i,
           config_.vocab_size);
}

void Seq2SeqModel::embed_forward(const Side& side, EmbedActs& a, const std::int32_t* ids, std::size_t B,
                                 std::size_t T, std::size_t first_position) const {
  const Seq2SeqConfig& c = config_;
  const std::size_t C = c.n_embd, N = B * T;
  a.sum.resize(N * C);
  a.positions.resize(N);
  embedding_forward(a.sum.data(), ids, param(side.tokens), N, C);
  if (c.scale_embedding) {
    const float scale = std::sqrt(static_cast<float>(C));
    for (float& v : a.sum) v *= scale;
  }
  for (std::size_t i = 0; i < N; ++i) a.positions[i] = static_cast<std::int32_t>(first_position + i % T);
  if (c.position == PositionKind::learned) {
    for (auto& p : a.positions) p += static_cast<std::int32_t>(c.position_offset);
    learned_position_forward(a.sum.data(), a.positions.data(), param(side.positions), N, C);
  } else {
    sinusoidal_position_forward(a.sum.data(), a.positions.data(), N, C);
  }
  if (c.layernorm_embedding) {
    a.out.resize(N * C);
    a.mean.resize(N);
    a.rstd.resize(N);
    layernorm_forward(a.out.data(), a.mean.data(), a.rstd.data(), a.sum.data(), param(side.ln_w),
                      param(side.ln_b), N, C, c.norm_eps);
  }
}

const float* Seq2SeqModel::embed_output(const EmbedActs& a) const {
  return config_.layernorm_embedding ? a.out.data() : a.sum.data();
}

void Seq2SeqModel::embed_backward(const Side& side, const EmbedActs& a, const std::int32_t* ids, float* dx,
                                  std::size_t N) {
  const Seq2SeqConfig& c = config_;
  const std::size_t C = c.n_embd;
  std::vector<float> dsum(dx, dx + N * C);
  if (c.layernorm_embedding) {
    std::fill(dsum.begin(), dsum.end(), 0.0f);
    layernorm_backward(dsum.data(), table_.grad(side.ln_w), table_.grad(side.ln_b), dx, a.sum.data(),
                       param(side.ln_w), a.mean.data(), a.rstd.data(), N, C);
  }
  if (c.position == PositionKind::learned)
    learned_position_backward(table_.grad(side.positions), dsum.data(), a.positions.data(), N, C);
  if (c.scale_embedding) {
    const float scale = std::sqrt(static_cast<float>(C));
    for (float& v : dsum) v *= scale;
  }
  embedding_backward(table_.grad(side.tokens), dsum.data(), ids, N, C);
}

// ---------------------------------------------------------------------------------------------------
// Training forward and backward

float Seq2SeqModel::forward(const Seq2SeqBatch& batch) {
  const Seq2SeqConfig& c = config_;
  const std::size_t B = batch.B, S = batch.S, T = batch.T, C = c.n_embd, V = c.vocab_size, N = B * T;
  if (B == 0 || S == 0 || T == 0) fail("an empty batch ({} × {} source, {} target positions)", B, S, T);
  if (S > c.n_ctx || T > c.n_ctx)
    fail("a batch of {} source and {} target positions exceeds n_ctx = {}", S, T, c.n_ctx);
  if (batch.src.size() != B * S || batch.src_valid.size() != B * S || batch.tgt_in.size() != N ||
      batch.tgt_valid.size() != N || batch.targets.size() != N)
    fail("the batch's arrays do not match its shape ({}, {}, {})", B, S, T);
  check_ids(batch.src.data(), B * S, "source");
  check_ids(batch.tgt_in.data(), N, "target");
  for (std::size_t i = 0; i < N; ++i)
    if (batch.targets[i] >= static_cast<std::int32_t>(V))
      fail("target id {} at position {} is outside the model's vocabulary of {}", batch.targets[i], i, V);
  batch_ = batch;

  embed_forward(enc_side_, enc_embed_, batch_.src.data(), B, S, 0);
  encoder_->forward(table_, embed_output(enc_embed_), batch_.src_valid.data(), B, S);
  const float* enc = encoder_->output().data();

  embed_forward(dec_side_, dec_embed_, batch_.tgt_in.data(), B, T, 0);
  const float* h = embed_output(dec_embed_);
  dec_acts_.resize(c.n_decoder_layer);
  float* params = table_.parameters().data();
  for (std::size_t l = 0; l < c.n_decoder_layer; ++l) {
    decoder_layer_forward(dec_acts_[l], layer_weights(l, params), c, h, enc, batch_.tgt_valid.data(),
                          batch_.src_valid.data(), {B, T, S});
    h = dec_acts_[l].out;
  }
  if (c.final_norm) {
    dec_final_.resize(N * C);
    dec_final_mean_.resize(N);
    dec_final_rstd_.resize(N);
    layernorm_forward(dec_final_.data(), dec_final_mean_.data(), dec_final_rstd_.data(), h,
                      param(dec_norm_w_), param(dec_norm_b_), N, C, c.norm_eps);
    h = dec_final_.data();
  }
  logits_.resize(N * V);
  unembed_forward(logits_.data(), h, param(head_), N, C, V);
  if (c.final_logits_bias) {
    const float* bias = param(logits_bias_);
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t v = 0; v < V; ++v) logits_[i * V + v] += bias[v];
  }
  probs_.resize(N * V);
  losses_.resize(N);
  have_forward_ = true;
  return softmax_cross_entropy_forward(probs_.data(), losses_.data(), logits_.data(), batch_.targets.data(),
                                       N, V, &n_counted_);
}

void Seq2SeqModel::backward() {
  if (!have_forward_) fail("Seq2SeqModel::backward needs a forward first");
  const Seq2SeqConfig& c = config_;
  const std::size_t B = batch_.B, S = batch_.S, T = batch_.T, C = c.n_embd, V = c.vocab_size, N = B * T;
  std::vector<float> dlogits(N * V, 0.0f);
  if (n_counted_ > 0)
    softmax_cross_entropy_backward(dlogits.data(), probs_.data(), batch_.targets.data(), N, V,
                                   1.0f / static_cast<float>(n_counted_));
  if (c.final_logits_bias) {
    float* dbias = table_.grad(logits_bias_);
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t v = 0; v < V; ++v) dbias[v] += dlogits[i * V + v];
  }
  const std::size_t L = c.n_decoder_layer;
  const float* last = dec_acts_[L - 1].out;
  std::vector<float> dh(N * C, 0.0f);
  unembed_backward(dh.data(), table_.grad(head_), dlogits.data(), c.final_norm ? dec_final_.data() : last,
                   param(head_), N, C, V);
  if (c.final_norm) {
    std::vector<float> dlast(N * C, 0.0f);
    layernorm_backward(dlast.data(), table_.grad(dec_norm_w_), table_.grad(dec_norm_b_), dh.data(), last,
                       param(dec_norm_w_), dec_final_mean_.data(), dec_final_rstd_.data(), N, C);
    dh = std::move(dlast);
  }
  std::vector<float> denc(B * S * C, 0.0f), dx(N * C);
  float* params = table_.parameters().data();
  float* grads = table_.gradients().data();
  for (std::size_t l = L; l-- > 0;) {
    std::fill(dx.begin(), dx.end(), 0.0f);
    decoder_layer_backward(dx.data(), denc.data(), layer_weights(l, grads), dh.data(), dec_acts_[l],
                           layer_weights(l, params), c);
    std::swap(dx, dh);
  }
  embed_backward(dec_side_, dec_embed_, batch_.tgt_in.data(), dh.data(), N);
  std::vector<float> dx_enc(B * S * C, 0.0f);
  encoder_->backward(table_, denc.data(), dx_enc.data());
  embed_backward(enc_side_, enc_embed_, batch_.src.data(), dx_enc.data(), B * S);
}

// ---------------------------------------------------------------------------------------------------
// Inference

Seq2SeqDecodeState Seq2SeqModel::start_decoding(const std::int32_t* src, const std::uint8_t* src_valid,
                                                std::size_t B, std::size_t S, std::size_t capacity) {
  const Seq2SeqConfig& c = config_;
  const std::size_t C = c.n_embd;
  if (B == 0 || S == 0) fail("start_decoding needs at least one source position");
  if (S > c.n_ctx) fail("a source of {} tokens exceeds the model's n_ctx of {}", S, c.n_ctx);
  if (capacity == 0 || capacity > c.n_ctx)
    fail("a target capacity of {} is outside [1, n_ctx = {}]", capacity, c.n_ctx);
  check_ids(src, B * S, "source");
  EmbedActs embed;
  embed_forward(enc_side_, embed, src, B, S, 0);
  encoder_->forward(table_, embed_output(embed), src_valid, B, S);
  const float* enc = encoder_->output().data();

  Seq2SeqDecodeState state;
  state.B = B;
  state.S = S;
  state.capacity = capacity;
  state.src_valid.assign(src_valid, src_valid + B * S);
  state.self_valid.assign(B * capacity, 1);
  state.layers.resize(c.n_decoder_layer);
  float* params = table_.parameters().data();
  // Per decoder layer: self-attention keys and values (B, capacity, C), cross-attention ones (B, S, C).
  const std::uint64_t cache_values =
      saturating_mul(saturating_mul(c.n_decoder_layer, B), saturating_mul(2 * (capacity + S), C));
  allocating(fmt::format("the decoder's KV cache of {} rows × {} positions", B, capacity),
             bytes_of(cache_values, sizeof(float)), [&] {
               for (DecoderLayerCache& cache : state.layers) {
                 cache.self_keys.assign(B * capacity * C, 0.0f);
                 cache.self_values.assign(B * capacity * C, 0.0f);
                 cache.cross_keys.assign(B * S * C, 0.0f);
                 cache.cross_values.assign(B * S * C, 0.0f);
               }
             });
  for (std::size_t l = 0; l < c.n_decoder_layer; ++l) {
    DecoderLayerCache& cache = state.layers[l];
    decoder_cross_kv(cache.cross_keys.data(), cache.cross_values.data(), layer_weights(l, params), c, enc, B,
                     S);
  }
  return state;
}

void Seq2SeqModel::decode_step(Seq2SeqDecodeState& state, const std::int32_t* tokens, std::size_t T_new,
                               float* last_logits) const {
  const Seq2SeqConfig& c = config_;
  const std::size_t B = state.B, C = c.n_embd, V = c.vocab_size, N = B * T_new;
  if (T_new == 0) fail("decode_step needs at least one new position");
  if (state.length + T_new > state.capacity)
    fail("the target would grow to {} positions, beyond the decoding capacity of {}", state.length + T_new,
         state.capacity);
  check_ids(tokens, N, "target");
  EmbedActs embed;
  embed_forward(dec_side_, embed, tokens, B, T_new, state.length);
  const float* e = embed_output(embed);
  std::vector<float> x(e, e + N * C);
  // The weights are only read; layer_weights hands out mutable pointers for the training path.
  float* params = const_cast<float*>(table_.parameters().data());
  for (std::size_t l = 0; l < c.n_decoder_layer; ++l)
    decoder_layer_forward_cached(x.data(), state.layers[l], layer_weights(l, params), c, B, T_new,
                                 state.length, state.capacity, state.S, state.self_valid.data(),
                                 state.src_valid.data());
  state.length += T_new;

  std::vector<float> last(B * C), normed(B * C), mean(B), rstd(B);  // each row's last new position
  for (std::size_t b = 0; b < B; ++b)
    std::copy_n(x.data() + (b * T_new + T_new - 1) * C, C, last.data() + b * C);
  const float* h = last.data();
  if (c.final_norm) {
    layernorm_forward(normed.data(), mean.data(), rstd.data(), h, param(dec_norm_w_), param(dec_norm_b_), B,
                      C, c.norm_eps);
    h = normed.data();
  }
  unembed_forward(last_logits, h, param(head_), B, C, V);
  if (c.final_logits_bias) {
    const float* bias = param(logits_bias_);
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t v = 0; v < V; ++v) last_logits[b * V + v] += bias[v];
  }
}

}  // namespace lmkit::nn
