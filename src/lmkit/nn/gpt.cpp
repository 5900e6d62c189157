#include "lmkit/nn/gpt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "lmkit/nn/model_limits.hpp"
#include "lmkit/nn/training_memory.hpp"
#include "lmkit/tensor/attention.hpp"
#include "lmkit/tensor/ops.hpp"
#include "lmkit/tensor/tensor.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/memory.hpp"

namespace lmkit::nn {

using namespace lmkit::tensor;

namespace {

void norm_forward(const GptConfig& c, float* out, float* mean, float* rstd, const float* inp,
                  const float* weight, const float* bias, std::size_t N) {
  if (c.norm == NormKind::layernorm)
    layernorm_forward(out, mean, rstd, inp, weight, bias, N, c.n_embd, c.norm_eps);
  else
    rmsnorm_forward(out, rstd, inp, weight, N, c.n_embd, c.norm_eps);
}

void norm_backward(const GptConfig& c, float* dinp, float* dweight, float* dbias, const float* dout,
                   const float* inp, const float* weight, const float* mean, const float* rstd,
                   std::size_t N) {
  if (c.norm == NormKind::layernorm)
    layernorm_backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, c.n_embd);
  else
    rmsnorm_backward(dinp, dweight, dout, inp, weight, rstd, N, c.n_embd);
}

void activation_forward(const GptConfig& c, float* out, const float* inp, std::size_t n) {
  if (c.activation == ActivationKind::gelu)
    gelu_forward(out, inp, n);
  else
    relu_forward(out, inp, n);
}

void activation_backward(const GptConfig& c, float* dinp, const float* inp, const float* dout,
                         std::size_t n) {
  if (c.activation == ActivationKind::gelu)
    gelu_backward(dinp, inp, dout, n);
  else
    relu_backward(dinp, inp, dout, n);
}

void add_positions(const GptConfig& c, float* x, const std::int32_t* positions, const float* wpe,
                   std::size_t N) {
  if (c.position == PositionKind::learned)
    learned_position_forward(x, positions, wpe, N, c.n_embd);
  else
    sinusoidal_position_forward(x, positions, N, c.n_embd);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Parameters

GptModel::GptModel(GptConfig config) : config_(config) {
  config_.validate("GPT config");
  const std::size_t C = config_.n_embd, V = config_.vocab_size;
  std::size_t offset = 0;
  auto add = [&](std::string name, std::vector<std::size_t> shape, bool decay) {
    std::size_t size = shape_size(shape);
    specs_.push_back({std::move(name), std::move(shape), offset, size, decay});
    offset += size;
  };
  const bool layernorm = config_.norm == NormKind::layernorm;
  add("wte.weight", {V, C}, true);
  if (config_.position == PositionKind::learned) add("wpe.weight", {config_.n_ctx, C}, true);
  for (std::size_t l = 0; l < config_.n_layer; ++l) {
    std::string h = "h." + std::to_string(l) + ".";
    add(h + "ln_1.weight", {C}, false);
    if (layernorm) add(h + "ln_1.bias", {C}, false);
    add(h + "attn.c_attn.weight", {C, 3 * C}, true);
    add(h + "attn.c_attn.bias", {3 * C}, false);
    add(h + "attn.c_proj.weight", {C, C}, true);
    add(h + "attn.c_proj.bias", {C}, false);
    add(h + "ln_2.weight", {C}, false);
    if (layernorm) add(h + "ln_2.bias", {C}, false);
    add(h + "mlp.c_fc.weight", {C, 4 * C}, true);
    add(h + "mlp.c_fc.bias", {4 * C}, false);
    add(h + "mlp.c_proj.weight", {4 * C, C}, true);
    add(h + "mlp.c_proj.bias", {C}, false);
  }
  add("ln_f.weight", {C}, false);
  if (layernorm) add("ln_f.bias", {C}, false);
  if (!config_.tied) add("lm_head.weight", {V, C}, true);
  allocating(fmt::format("the GPT model's {} parameters", offset), bytes_of(offset, sizeof(float)),
             [&] { params_.assign(offset, 0.0f); });
  weights_ = weights_at(params_.data());
}

void GptModel::ensure_gradients() {
  if (grads_.size() == params_.size()) return;
  allocating(fmt::format("the gradients of {} parameters", params_.size()),
             bytes_of(params_.size(), sizeof(float)), [&] { grads_.assign(params_.size(), 0.0f); });
  grad_weights_ = weights_at(grads_.data());
}

std::span<float> GptModel::gradients() {
  ensure_gradients();
  return grads_;
}

const ParameterSpec& GptModel::spec(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return s;
  fail("GPT model has no parameter \"{}\"", name);
}

ModelWeights GptModel::weights_at(float* base) const {
  auto at = [&](const std::string& name) -> float* {
    for (const auto& s : specs_)
      if (s.name == name) return base + s.offset;
    return nullptr;
  };
  ModelWeights w;
  w.wte = at("wte.weight");
  w.wpe = at("wpe.weight");
  for (std::size_t l = 0; l < config_.n_layer; ++l) {
    std::string h = "h." + std::to_string(l) + ".";
    w.blocks.push_back({at(h + "ln_1.weight"), at(h + "ln_1.bias"), at(h + "attn.c_attn.weight"),
                        at(h + "attn.c_attn.bias"), at(h + "attn.c_proj.weight"), at(h + "attn.c_proj.bias"),
                        at(h + "ln_2.weight"), at(h + "ln_2.bias"), at(h + "mlp.c_fc.weight"),
                        at(h + "mlp.c_fc.bias"), at(h + "mlp.c_proj.weight"), at(h + "mlp.c_proj.bias")});
  }
  w.ln_f_w = at("ln_f.weight");
  w.ln_f_b = at("ln_f.bias");
  w.lm_head = config_.tied ? w.wte : at("lm_head.weight");
  return w;
}

void GptModel::init_weights(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const float std_base = 0.02f;
  const float std_residual = std_base / std::sqrt(2.0f * static_cast<float>(config_.n_layer));
  for (const auto& s : specs_) {
    float* p = params_.data() + s.offset;
    bool is_norm = s.name.find("ln_") != std::string::npos;
    bool is_bias = s.name.ends_with(".bias");
    if (is_norm && !is_bias)
      std::fill(p, p + s.size, 1.0f);
    else if (is_bias)
      std::fill(p, p + s.size, 0.0f);
    else {
      bool residual = s.name.ends_with("c_proj.weight");
      std::normal_distribution<float> normal(0.0f, residual ? std_residual : std_base);
      for (std::size_t i = 0; i < s.size; ++i) p[i] = normal(rng);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Training forward and backward

void GptModel::check_tokens(const std::int32_t* tokens, std::size_t n) const {
  for (std::size_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || static_cast<std::size_t>(tokens[i]) >= config_.vocab_size)
      fail("token id {} at position {} is outside the model's vocabulary of {}", tokens[i], i,
           config_.vocab_size);
}

void GptModel::resize_activations(std::size_t B, std::size_t T) {
  allocating(fmt::format("the training activations of a batch of {} × {} tokens", B, T),
             gpt_training_memory(config_, B, T).activations, [&] { allocate_activations(B, T); });
}

void GptModel::allocate_activations(std::size_t B, std::size_t T) {
  const std::size_t C = config_.n_embd, V = config_.vocab_size, N = B * T, NH = config_.n_head;
  for (Activations* a : {&acts_, &grad_acts_}) {
    const bool grads = a == &grad_acts_;
    a->B = B;
    a->T = T;
    a->encoded.assign(N * C, 0.0f);
    a->blocks.resize(config_.n_layer);
    for (auto& blk : a->blocks) {
      blk.ln_1.assign(N * C, 0.0f);
      blk.qkv.assign(N * 3 * C, 0.0f);
      blk.atty.assign(N * C, 0.0f);
      blk.attn_proj.assign(N * C, 0.0f);
      blk.residual_2.assign(N * C, 0.0f);
      blk.ln_2.assign(N * C, 0.0f);
      blk.fc.assign(N * 4 * C, 0.0f);
      blk.fc_act.assign(N * 4 * C, 0.0f);
      blk.mlp_proj.assign(N * C, 0.0f);
      blk.residual_3.assign(N * C, 0.0f);
      if (!grads) {
        blk.ln_1_mean.assign(N, 0.0f), blk.ln_1_rstd.assign(N, 0.0f);
        blk.ln_2_mean.assign(N, 0.0f), blk.ln_2_rstd.assign(N, 0.0f);
        blk.att.assign(B * NH * T * T, 0.0f);
      }
    }
    a->ln_f.assign(N * C, 0.0f);
    a->logits.assign(N * V, 0.0f);
    if (!grads) {
      a->ln_f_mean.assign(N, 0.0f), a->ln_f_rstd.assign(N, 0.0f);
      a->probs.assign(N * V, 0.0f);
      a->losses.assign(N, 0.0f);
    }
  }
}

float GptModel::forward(const std::int32_t* tokens, const std::int32_t* targets, std::size_t B,
                        std::size_t T) {
  const GptConfig& c = config_;
  const std::size_t C = c.n_embd, V = c.vocab_size, N = B * T;
  if (T == 0 || T > c.n_ctx) fail("sequence length {} is outside [1, n_ctx = {}]", T, c.n_ctx);
  check_tokens(tokens, N);
  if (acts_.B != B || acts_.T != T) resize_activations(B, T);
  Activations& a = acts_;
  a.tokens.assign(tokens, tokens + N);
  a.positions.resize(N);
  for (std::size_t i = 0; i < N; ++i) a.positions[i] = static_cast<std::int32_t>(i % T);

  embedding_forward(a.encoded.data(), tokens, weights_.wte, N, C);
  add_positions(c, a.encoded.data(), a.positions.data(), weights_.wpe, N);
  const float* residual = a.encoded.data();
  AttentionShape shape{.B = B,
                       .Tq = T,
                       .Tk = T,
                       .C = C,
                       .n_head = c.n_head,
                       .q_stride = 3 * C,
                       .kv_stride = 3 * C,
                       .causal = true};
  for (std::size_t l = 0; l < c.n_layer; ++l) {
    const BlockWeights& w = weights_.blocks[l];
    auto& blk = a.blocks[l];
    norm_forward(c, blk.ln_1.data(), blk.ln_1_mean.data(), blk.ln_1_rstd.data(), residual, w.ln_1_w, w.ln_1_b,
                 N);
    linear_forward(blk.qkv.data(), blk.ln_1.data(), w.c_attn_w, w.c_attn_b, N, C, 3 * C);
    const float* qkv = blk.qkv.data();
    attention_forward(blk.atty.data(), blk.att.data(), qkv, qkv + C, qkv + 2 * C, shape);
    linear_forward(blk.attn_proj.data(), blk.atty.data(), w.attn_proj_w, w.attn_proj_b, N, C, C);
    residual_forward(blk.residual_2.data(), residual, blk.attn_proj.data(), N * C);
    norm_forward(c, blk.ln_2.data(), blk.ln_2_mean.data(), blk.ln_2_rstd.data(), blk.residual_2.data(),
                 w.ln_2_w, w.ln_2_b, N);
    linear_forward(blk.fc.data(), blk.ln_2.data(), w.c_fc_w, w.c_fc_b, N, C, 4 * C);
    activation_forward(c, blk.fc_act.data(), blk.fc.data(), N * 4 * C);
    linear_forward(blk.mlp_proj.data(), blk.fc_act.data(), w.mlp_proj_w, w.mlp_proj_b, N, 4 * C, C);
    residual_forward(blk.residual_3.data(), blk.residual_2.data(), blk.mlp_proj.data(), N * C);
    residual = blk.residual_3.data();
  }
  norm_forward(c, a.ln_f.data(), a.ln_f_mean.data(), a.ln_f_rstd.data(), residual, weights_.ln_f_w,
               weights_.ln_f_b, N);
  unembed_forward(a.logits.data(), a.ln_f.data(), weights_.lm_head, N, C, V);

  have_targets_ = targets != nullptr;
  if (!targets) return 0.0f;
  a.targets.assign(targets, targets + N);
  for (std::size_t i = 0; i < N; ++i)
    if (targets[i] >= static_cast<std::int32_t>(V))
      fail("target id {} at position {} is outside the model's vocabulary of {}", targets[i], i, V);
  return softmax_cross_entropy_forward(a.probs.data(), a.losses.data(), a.logits.data(), targets, N, V,
                                       &a.n_counted);
}

void GptModel::zero_grad() {
  ensure_gradients();
  std::fill(grads_.begin(), grads_.end(), 0.0f);
}

void GptModel::backward() {
  if (!have_targets_) fail("GptModel::backward needs a forward with targets first");
  ensure_gradients();
  const GptConfig& c = config_;
  const std::size_t B = acts_.B, T = acts_.T, C = c.n_embd, V = c.vocab_size, N = B * T;
  Activations& a = acts_;
  Activations& g = grad_acts_;
  // Gradient buffers are accumulated into, so they start at zero on every backward.
  std::fill(g.encoded.begin(), g.encoded.end(), 0.0f);
  for (auto& blk : g.blocks)
    for (auto* v : {&blk.ln_1, &blk.qkv, &blk.atty, &blk.attn_proj, &blk.residual_2, &blk.ln_2, &blk.fc,
                    &blk.fc_act, &blk.mlp_proj, &blk.residual_3})
      std::fill(v->begin(), v->end(), 0.0f);
  std::fill(g.ln_f.begin(), g.ln_f.end(), 0.0f);
  std::fill(g.logits.begin(), g.logits.end(), 0.0f);

  if (a.n_counted > 0)
    softmax_cross_entropy_backward(g.logits.data(), a.probs.data(), a.targets.data(), N, V,
                                   1.0f / static_cast<float>(a.n_counted));
  unembed_backward(g.ln_f.data(), grad_weights_.lm_head, g.logits.data(), a.ln_f.data(), weights_.lm_head, N,
                   C, V);
  const std::size_t L = c.n_layer;
  float* last = L ? a.blocks[L - 1].residual_3.data() : a.encoded.data();
  float* dlast = L ? g.blocks[L - 1].residual_3.data() : g.encoded.data();
  norm_backward(c, dlast, grad_weights_.ln_f_w, grad_weights_.ln_f_b, g.ln_f.data(), last, weights_.ln_f_w,
                a.ln_f_mean.data(), a.ln_f_rstd.data(), N);

  AttentionShape shape{.B = B,
                       .Tq = T,
                       .Tk = T,
                       .C = C,
                       .n_head = c.n_head,
                       .q_stride = 3 * C,
                       .kv_stride = 3 * C,
                       .causal = true};
  for (std::size_t l = L; l-- > 0;) {
    const BlockWeights& w = weights_.blocks[l];
    const BlockWeights& dw = grad_weights_.blocks[l];
    auto& ab = a.blocks[l];
    auto& gb = g.blocks[l];
    const float* residual_in = l ? a.blocks[l - 1].residual_3.data() : a.encoded.data();
    float* dresidual_in = l ? g.blocks[l - 1].residual_3.data() : g.encoded.data();

    residual_backward(gb.residual_2.data(), gb.mlp_proj.data(), gb.residual_3.data(), N * C);
    linear_backward(gb.fc_act.data(), dw.mlp_proj_w, dw.mlp_proj_b, gb.mlp_proj.data(), ab.fc_act.data(),
                    w.mlp_proj_w, N, 4 * C, C);
    activation_backward(c, gb.fc.data(), ab.fc.data(), gb.fc_act.data(), N * 4 * C);
    linear_backward(gb.ln_2.data(), dw.c_fc_w, dw.c_fc_b, gb.fc.data(), ab.ln_2.data(), w.c_fc_w, N, C,
                    4 * C);
    norm_backward(c, gb.residual_2.data(), dw.ln_2_w, dw.ln_2_b, gb.ln_2.data(), ab.residual_2.data(),
                  w.ln_2_w, ab.ln_2_mean.data(), ab.ln_2_rstd.data(), N);
    residual_backward(dresidual_in, gb.attn_proj.data(), gb.residual_2.data(), N * C);
    linear_backward(gb.atty.data(), dw.attn_proj_w, dw.attn_proj_b, gb.attn_proj.data(), ab.atty.data(),
                    w.attn_proj_w, N, C, C);
    float* dqkv = gb.qkv.data();
    const float* qkv = ab.qkv.data();
    attention_backward(dqkv, dqkv + C, dqkv + 2 * C, gb.atty.data(), ab.att.data(), qkv, qkv + C, qkv + 2 * C,
                       shape);
    linear_backward(gb.ln_1.data(), dw.c_attn_w, dw.c_attn_b, dqkv, ab.ln_1.data(), w.c_attn_w, N, C, 3 * C);
    norm_backward(c, dresidual_in, dw.ln_1_w, dw.ln_1_b, gb.ln_1.data(), residual_in, w.ln_1_w,
                  ab.ln_1_mean.data(), ab.ln_1_rstd.data(), N);
  }
  embedding_backward(grad_weights_.wte, g.encoded.data(), a.tokens.data(), N, C);
  if (c.position == PositionKind::learned)
    learned_position_backward(grad_weights_.wpe, g.encoded.data(), a.positions.data(), N, C);
}

// ---------------------------------------------------------------------------------------------------
// Inference over a KV cache

KvCache GptModel::make_cache(std::size_t B, std::size_t capacity) const {
  if (capacity == 0 || capacity > config_.n_ctx) capacity = config_.n_ctx;
  KvCache cache;
  cache.B = B;
  cache.capacity = capacity;
  // (n_layer, B, capacity, C) keys and as many values, in checked arithmetic: B comes from the caller.
  const std::uint64_t n = saturating_mul(saturating_mul(config_.n_layer, B), capacity * config_.n_embd);
  allocating(fmt::format("the KV cache of {} rows × {} positions", B, capacity),
             bytes_of(n, 2 * sizeof(float)), [&] {
               cache.keys.assign(n, 0.0f);
               cache.values.assign(n, 0.0f);
               cache.valid.assign(B * capacity, 0);
             });
  return cache;
}

void GptModel::forward_cached(KvCache& cache, const std::int32_t* tokens, const std::int32_t* positions,
                              const std::uint8_t* valid, std::size_t T_new, float* logits,
                              LogitRows rows) const {
  const GptConfig& c = config_;
  const std::size_t B = cache.B, C = c.n_embd, V = c.vocab_size, N = B * T_new, n_ctx = c.n_ctx;
  const std::size_t cap = cache.capacity, start = cache.length;
  if (T_new == 0) fail("forward_cached needs at least one new position");
  if (start + T_new > cap) {
    if (cap == n_ctx) fail("the context would grow to {} positions, beyond n_ctx = {}", start + T_new, n_ctx);
    fail("the context would grow to {} positions, beyond the cache's {}", start + T_new, cap);
  }
  check_tokens(tokens, N);
  for (std::size_t i = 0; i < N; ++i)
    if (positions[i] < 0 || static_cast<std::size_t>(positions[i]) >= n_ctx)
      fail("position {} is outside [0, n_ctx = {})", positions[i], n_ctx);

  // Every scratch element is written before it is read, so resizing (not clearing) is enough.
  GptScratch& s = cache.scratch;
  s.x.resize(N * C), s.ln.resize(N * C), s.mean.resize(N), s.rstd.resize(N), s.qkv.resize(N * 3 * C);
  s.atty.resize(N * C), s.proj.resize(N * C), s.fc.resize(N * 4 * C), s.fc_act.resize(N * 4 * C);
  s.att.resize(B * c.n_head * T_new * cap);
  float *x = s.x.data(), *ln = s.ln.data(), *mean = s.mean.data(), *rstd = s.rstd.data();
  float *qkv = s.qkv.data(), *atty = s.atty.data(), *proj = s.proj.data();
  embedding_forward(x, tokens, weights_.wte, N, C);
  add_positions(c, x, positions, weights_.wpe, N);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T_new; ++t)
      cache.valid[b * cap + start + t] = valid ? valid[b * T_new + t] : 1;

  // The cache holds (B, capacity) rows per layer; the causal mask with q_offset = start keeps every
  // query away from the rows not yet written.
  AttentionShape shape{.B = B,
                       .Tq = T_new,
                       .Tk = cap,
                       .C = C,
                       .n_head = c.n_head,
                       .q_stride = 3 * C,
                       .kv_stride = C,
                       .causal = true,
                       .q_offset = start,
                       .key_valid = cache.valid.data()};
  for (std::size_t l = 0; l < c.n_layer; ++l) {
    const BlockWeights& w = weights_.blocks[l];
    float* keys = cache.keys.data() + l * B * cap * C;
    float* values = cache.values.data() + l * B * cap * C;
    norm_forward(c, ln, mean, rstd, x, w.ln_1_w, w.ln_1_b, N);
    linear_forward(qkv, ln, w.c_attn_w, w.c_attn_b, N, C, 3 * C);
    for (std::size_t b = 0; b < B; ++b) {
      for (std::size_t t = 0; t < T_new; ++t) {
        const float* row = qkv + (b * T_new + t) * 3 * C;
        std::copy(row + C, row + 2 * C, keys + (b * cap + start + t) * C);
        std::copy(row + 2 * C, row + 3 * C, values + (b * cap + start + t) * C);
      }
    }
    attention_forward(atty, s.att.data(), qkv, keys, values, shape);
    linear_forward(proj, atty, w.attn_proj_w, w.attn_proj_b, N, C, C);
    residual_forward(x, x, proj, N * C);
    norm_forward(c, ln, mean, rstd, x, w.ln_2_w, w.ln_2_b, N);
    linear_forward(s.fc.data(), ln, w.c_fc_w, w.c_fc_b, N, C, 4 * C);
    activation_forward(c, s.fc_act.data(), s.fc.data(), N * 4 * C);
    linear_forward(proj, s.fc_act.data(), w.mlp_proj_w, w.mlp_proj_b, N, 4 * C, C);
    residual_forward(x, x, proj, N * C);
  }
  cache.length += T_new;

  if (rows == LogitRows::all) {
    norm_forward(c, ln, mean, rstd, x, weights_.ln_f_w, weights_.ln_f_b, N);
    unembed_forward(logits, ln, weights_.lm_head, N, C, V);
    return;
  }
  s.last.resize(B * C);  // (B, C): each row's last new position
  for (std::size_t b = 0; b < B; ++b) std::copy_n(x + (b * T_new + T_new - 1) * C, C, s.last.data() + b * C);
  norm_forward(c, ln, mean, rstd, s.last.data(), weights_.ln_f_w, weights_.ln_f_b, B);
  unembed_forward(logits, ln, weights_.lm_head, B, C, V);
}

}  // namespace lmkit::nn
