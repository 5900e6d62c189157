#include "lmkit/nn/encoder.hpp"

#include <algorithm>

#include "lmkit/tensor/attention.hpp"
#include "lmkit/tensor/ops.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {

using namespace lmkit::tensor;

namespace {

void zero(std::vector<float>& v) { std::fill(v.begin(), v.end(), 0.0f); }

}  // namespace

void EncoderConfig::validate(const std::string& context) const {
  if (n_layer == 0) fail("{}: n_layer must be at least 1", context);
  if (n_head == 0) fail("{}: n_head must be at least 1", context);
  if (n_embd == 0 || n_embd % n_head != 0)
    fail("{}: the width {} must be a positive multiple of n_head = {}", context, n_embd, n_head);
  if (n_inner == 0) fail("{}: the MLP width (n_inner) must be at least 1", context);
  if (!(norm_eps > 0.0f)) fail("{}: the LayerNorm epsilon must be positive", context);
}

std::string to_string(EncoderActivation activation) {
  switch (activation) {
    case EncoderActivation::gelu:
      return "gelu";
    case EncoderActivation::gelu_tanh:
      return "gelu_new";
    case EncoderActivation::relu:
      return "relu";
  }
  return "?";
}

EncoderActivation encoder_activation_from_string(const std::string& name, const std::string& context) {
  if (name == "gelu") return EncoderActivation::gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return EncoderActivation::gelu_tanh;
  if (name == "relu") return EncoderActivation::relu;
  fail("{}: activation \"{}\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)", context, name);
}

// ---------------------------------------------------------------------------------------------------
// Parameters

TransformerEncoder::TransformerEncoder(EncoderConfig config, ParameterTable& table, const std::string& prefix)
    : config_(config) {
  config_.validate("encoder config");
  const std::size_t C = config_.n_embd, I = config_.n_inner;
  for (std::size_t l = 0; l < config_.n_layer; ++l) {
    const std::string p = prefix + "layer." + std::to_string(l) + ".";
    LayerParams lp{};
    // q, k, v weights then their biases, consecutively: one (3C, C) matrix and one (3C) bias.
    lp.qkv_w = table.add(p + "attention.self.query.weight", {C, C}, true);
    table.add(p + "attention.self.key.weight", {C, C}, true);
    table.add(p + "attention.self.value.weight", {C, C}, true);
    lp.qkv_b = table.add(p + "attention.self.query.bias", {C}, false);
    table.add(p + "attention.self.key.bias", {C}, false);
    table.add(p + "attention.self.value.bias", {C}, false);
    lp.attn_out_w = table.add(p + "attention.output.dense.weight", {C, C}, true);
    lp.attn_out_b = table.add(p + "attention.output.dense.bias", {C}, false);
    lp.norm1_w = table.add(p + "attention.output.LayerNorm.weight", {C}, false);
    lp.norm1_b = table.add(p + "attention.output.LayerNorm.bias", {C}, false);
    lp.fc_w = table.add(p + "intermediate.dense.weight", {I, C}, true);
    lp.fc_b = table.add(p + "intermediate.dense.bias", {I}, false);
    lp.fc_out_w = table.add(p + "output.dense.weight", {C, I}, true);
    lp.fc_out_b = table.add(p + "output.dense.bias", {C}, false);
    lp.norm2_w = table.add(p + "output.LayerNorm.weight", {C}, false);
    lp.norm2_b = table.add(p + "output.LayerNorm.bias", {C}, false);
    layers_.push_back(lp);
  }
  if (config_.final_norm) {
    final_w_ = table.add(prefix + "final_layer_norm.weight", {C}, false);
    final_b_ = table.add(prefix + "final_layer_norm.bias", {C}, false);
  }
}

void TransformerEncoder::init_weights(ParameterTable& table, std::mt19937_64& rng, float stddev) const {
  std::normal_distribution<float> normal(0.0f, stddev);
  auto fill_normal = [&](std::size_t first, std::size_t count) {
    for (std::size_t i = first; i < first + count; ++i) {
      float* p = table.param(i);
      for (std::size_t k = 0; k < table.specs()[i].size; ++k) p[k] = normal(rng);
    }
  };
  auto fill = [&](std::size_t index, std::size_t count, float value) {
    for (std::size_t i = index; i < index + count; ++i)
      std::fill_n(table.param(i), table.specs()[i].size, value);
  };
  for (const auto& lp : layers_) {
    fill_normal(lp.qkv_w, 3);
    fill(lp.qkv_b, 3, 0.0f);
    fill_normal(lp.attn_out_w, 1);
    fill(lp.attn_out_b, 1, 0.0f);
    fill(lp.norm1_w, 1, 1.0f);
    fill(lp.norm1_b, 1, 0.0f);
    fill_normal(lp.fc_w, 1);
    fill(lp.fc_b, 1, 0.0f);
    fill_normal(lp.fc_out_w, 1);
    fill(lp.fc_out_b, 1, 0.0f);
    fill(lp.norm2_w, 1, 1.0f);
    fill(lp.norm2_b, 1, 0.0f);
  }
  if (config_.final_norm) {
    fill(final_w_, 1, 1.0f);
    fill(final_b_, 1, 0.0f);
  }
}

// ---------------------------------------------------------------------------------------------------
// Forward and backward

void TransformerEncoder::resize(std::size_t B, std::size_t T) {
  const std::size_t C = config_.n_embd, I = config_.n_inner, N = B * T;
  B_ = B;
  T_ = T;
  input_.assign(N * C, 0.0f);
  acts_.resize(config_.n_layer);
  for (auto& a : acts_) {
    a.norm1.assign(N * C, 0.0f), a.norm1_mean.assign(N, 0.0f), a.norm1_rstd.assign(N, 0.0f);
    a.qkv.assign(N * 3 * C, 0.0f);
    a.atty.assign(N * C, 0.0f);
    a.att.assign(B * config_.n_head * T * T, 0.0f);
    a.attn_out.assign(N * C, 0.0f);
    a.sum1.assign(N * C, 0.0f);
    a.norm2.assign(N * C, 0.0f), a.norm2_mean.assign(N, 0.0f), a.norm2_rstd.assign(N, 0.0f);
    a.fc.assign(N * I, 0.0f), a.fc_act.assign(N * I, 0.0f);
    a.fc_out.assign(N * C, 0.0f);
    a.sum2.assign(N * C, 0.0f);
  }
  if (config_.final_norm) {
    final_.assign(N * C, 0.0f), final_mean_.assign(N, 0.0f), final_rstd_.assign(N, 0.0f);
  }
  d_qkv_.clear();  // the gradient buffers are sized by the first backward at this shape
}

void TransformerEncoder::resize_gradients() {
  const std::size_t C = config_.n_embd, I = config_.n_inner, N = B_ * T_;
  if (d_qkv_.size() == N * 3 * C) return;
  for (auto* v : {&d_out_, &d_in_, &d_norm1_, &d_atty_, &d_sum1_, &d_norm2_, &d_sum2_})
    v->assign(N * C, 0.0f);
  d_qkv_.assign(N * 3 * C, 0.0f);
  d_fc_.assign(N * I, 0.0f);
  d_fc_act_.assign(N * I, 0.0f);
}

const float* TransformerEncoder::layer_input(std::size_t l) const {
  return l == 0 ? input_.data() : layer_output(l - 1);
}

const float* TransformerEncoder::layer_output(std::size_t l) const {
  // Post-LN blocks end in the MLP's norm; pre-LN blocks end in the residual sum.
  return config_.pre_norm ? acts_[l].sum2.data() : acts_[l].norm2.data();
}

std::span<const float> TransformerEncoder::output() const {
  const std::size_t n = B_ * T_ * config_.n_embd;
  if (acts_.empty() || n == 0) return {};
  if (config_.final_norm) return {final_.data(), n};
  return {layer_output(config_.n_layer - 1), n};
}

void TransformerEncoder::forward(const ParameterTable& table, const float* x, const std::uint8_t* key_valid,
                                 std::size_t B, std::size_t T) {
  const EncoderConfig& c = config_;
  const std::size_t C = c.n_embd, I = c.n_inner, N = B * T;
  const float eps = c.norm_eps;
  if (B == 0 || T == 0) fail("the encoder needs at least one sequence of at least one position");
  if (B != B_ || T != T_ || acts_.empty()) resize(B, T);
  std::copy_n(x, N * C, input_.begin());
  if (key_valid)
    key_valid_.assign(key_valid, key_valid + N);
  else
    key_valid_.assign(N, 1);
  const AttentionShape shape{.B = B,
                             .Tq = T,
                             .Tk = T,
                             .C = C,
                             .n_head = c.n_head,
                             .q_stride = 3 * C,
                             .kv_stride = 3 * C,
                             .key_valid = key_valid_.data()};
  for (std::size_t l = 0; l < c.n_layer; ++l) {
    const LayerParams& p = layers_[l];
    LayerActs& a = acts_[l];
    const float* in = layer_input(l);
    // The attention sublayer reads the input itself (post-LN) or its norm (pre-LN).
    const float* attn_in = in;
    if (c.pre_norm) {
      layernorm_forward(a.norm1.data(), a.norm1_mean.data(), a.norm1_rstd.data(), in, table.param(p.norm1_w),
                        table.param(p.norm1_b), N, C, eps);
      attn_in = a.norm1.data();
    }
    linear_oi_forward(a.qkv.data(), attn_in, table.param(p.qkv_w), table.param(p.qkv_b), N, C, 3 * C);
    const float* qkv = a.qkv.data();
    attention_forward(a.atty.data(), a.att.data(), qkv, qkv + C, qkv + 2 * C, shape);
    linear_oi_forward(a.attn_out.data(), a.atty.data(), table.param(p.attn_out_w), table.param(p.attn_out_b),
                      N, C, C);
    residual_forward(a.sum1.data(), in, a.attn_out.data(), N * C);

    const float* mlp_in = nullptr;   // what the MLP reads
    const float* mlp_res = nullptr;  // what its output is added to
    if (c.pre_norm) {
      layernorm_forward(a.norm2.data(), a.norm2_mean.data(), a.norm2_rstd.data(), a.sum1.data(),
                        table.param(p.norm2_w), table.param(p.norm2_b), N, C, eps);
      mlp_in = a.norm2.data();
      mlp_res = a.sum1.data();
    } else {
      layernorm_forward(a.norm1.data(), a.norm1_mean.data(), a.norm1_rstd.data(), a.sum1.data(),
                        table.param(p.norm1_w), table.param(p.norm1_b), N, C, eps);
      mlp_in = a.norm1.data();
      mlp_res = a.norm1.data();
    }
    linear_oi_forward(a.fc.data(), mlp_in, table.param(p.fc_w), table.param(p.fc_b), N, C, I);
    encoder_activation_forward(c.activation, a.fc_act.data(), a.fc.data(), N * I);
    linear_oi_forward(a.fc_out.data(), a.fc_act.data(), table.param(p.fc_out_w), table.param(p.fc_out_b), N,
                      I, C);
    residual_forward(a.sum2.data(), mlp_res, a.fc_out.data(), N * C);
    if (!c.pre_norm)
      layernorm_forward(a.norm2.data(), a.norm2_mean.data(), a.norm2_rstd.data(), a.sum2.data(),
                        table.param(p.norm2_w), table.param(p.norm2_b), N, C, eps);
  }
  if (c.final_norm)
    layernorm_forward(final_.data(), final_mean_.data(), final_rstd_.data(), layer_output(c.n_layer - 1),
                      table.param(final_w_), table.param(final_b_), N, C, eps);
}

void TransformerEncoder::backward(ParameterTable& table, const float* dout, float* dx) {
  const EncoderConfig& c = config_;
  const std::size_t B = B_, T = T_, C = c.n_embd, I = c.n_inner, N = B * T;
  if (acts_.empty() || N == 0) fail("TransformerEncoder::backward needs a forward first");
  resize_gradients();
  const AttentionShape shape{.B = B,
                             .Tq = T,
                             .Tk = T,
                             .C = C,
                             .n_head = c.n_head,
                             .q_stride = 3 * C,
                             .kv_stride = 3 * C,
                             .key_valid = key_valid_.data()};
  // d_out_ holds dL/d(layer l's output) on entry to layer l's step, d_in_ collects dL/d(its input).
  if (c.final_norm) {
    zero(d_out_);
    layernorm_backward(d_out_.data(), table.grad(final_w_), table.grad(final_b_), dout,
                       layer_output(c.n_layer - 1), table.param(final_w_), final_mean_.data(),
                       final_rstd_.data(), N, C);
  } else {
    std::copy_n(dout, N * C, d_out_.begin());
  }
  for (std::size_t l = c.n_layer; l-- > 0;) {
    const LayerParams& p = layers_[l];
    const LayerActs& a = acts_[l];
    const float* in = layer_input(l);
    for (auto* v : {&d_norm1_, &d_qkv_, &d_atty_, &d_sum1_, &d_norm2_, &d_fc_, &d_fc_act_}) zero(*v);
    const float* d_mlp_out = nullptr;  // dL/d(the MLP's output)
    const float* mlp_in = nullptr;
    float* d_mlp_in = nullptr;
    if (c.pre_norm) {
      // sum2 = sum1 + mlp(norm2(sum1))
      std::copy(d_out_.begin(), d_out_.end(), d_sum1_.begin());
      d_mlp_out = d_out_.data();
      mlp_in = a.norm2.data();
      d_mlp_in = d_norm2_.data();
    } else {
      // out = norm2(sum2), sum2 = norm1 + mlp(norm1)
      zero(d_sum2_);
      layernorm_backward(d_sum2_.data(), table.grad(p.norm2_w), table.grad(p.norm2_b), d_out_.data(),
                         a.sum2.data(), table.param(p.norm2_w), a.norm2_mean.data(), a.norm2_rstd.data(), N,
                         C);
      std::copy(d_sum2_.begin(), d_sum2_.end(), d_norm1_.begin());
      d_mlp_out = d_sum2_.data();
      mlp_in = a.norm1.data();
      d_mlp_in = d_norm1_.data();
    }
    linear_oi_backward(d_fc_act_.data(), table.grad(p.fc_out_w), table.grad(p.fc_out_b), d_mlp_out,
                       a.fc_act.data(), table.param(p.fc_out_w), N, I, C);
    encoder_activation_backward(c.activation, d_fc_.data(), a.fc.data(), d_fc_act_.data(), N * I);
    linear_oi_backward(d_mlp_in, table.grad(p.fc_w), table.grad(p.fc_b), d_fc_.data(), mlp_in,
                       table.param(p.fc_w), N, C, I);
    if (c.pre_norm)
      layernorm_backward(d_sum1_.data(), table.grad(p.norm2_w), table.grad(p.norm2_b), d_norm2_.data(),
                         a.sum1.data(), table.param(p.norm2_w), a.norm2_mean.data(), a.norm2_rstd.data(), N,
                         C);
    else
      layernorm_backward(d_sum1_.data(), table.grad(p.norm1_w), table.grad(p.norm1_b), d_norm1_.data(),
                         a.sum1.data(), table.param(p.norm1_w), a.norm1_mean.data(), a.norm1_rstd.data(), N,
                         C);
    // sum1 = in + attn_out(attention(qkv(attn_in)))
    std::copy(d_sum1_.begin(), d_sum1_.end(), d_in_.begin());
    linear_oi_backward(d_atty_.data(), table.grad(p.attn_out_w), table.grad(p.attn_out_b), d_sum1_.data(),
                       a.atty.data(), table.param(p.attn_out_w), N, C, C);
    float* dqkv = d_qkv_.data();
    const float* qkv = a.qkv.data();
    attention_backward(dqkv, dqkv + C, dqkv + 2 * C, d_atty_.data(), a.att.data(), qkv, qkv + C, qkv + 2 * C,
                       shape);
    if (c.pre_norm) {
      linear_oi_backward(d_norm1_.data(), table.grad(p.qkv_w), table.grad(p.qkv_b), dqkv, a.norm1.data(),
                         table.param(p.qkv_w), N, C, 3 * C);
      layernorm_backward(d_in_.data(), table.grad(p.norm1_w), table.grad(p.norm1_b), d_norm1_.data(), in,
                         table.param(p.norm1_w), a.norm1_mean.data(), a.norm1_rstd.data(), N, C);
    } else {
      linear_oi_backward(d_in_.data(), table.grad(p.qkv_w), table.grad(p.qkv_b), dqkv, in,
                         table.param(p.qkv_w), N, C, 3 * C);
    }
    std::swap(d_in_, d_out_);
  }
  if (dx)
    for (std::size_t i = 0; i < N * C; ++i) dx[i] += d_out_[i];
}

void encoder_activation_forward(EncoderActivation kind, float* out, const float* inp, std::size_t n) {
  switch (kind) {
    case EncoderActivation::gelu:
      gelu_erf_forward(out, inp, n);
      break;
    case EncoderActivation::gelu_tanh:
      gelu_forward(out, inp, n);
      break;
    case EncoderActivation::relu:
      relu_forward(out, inp, n);
      break;
  }
}

void encoder_activation_backward(EncoderActivation kind, float* dinp, const float* inp, const float* dout,
                                 std::size_t n) {
  switch (kind) {
    case EncoderActivation::gelu:
      gelu_erf_backward(dinp, inp, dout, n);
      break;
    case EncoderActivation::gelu_tanh:
      gelu_backward(dinp, inp, dout, n);
      break;
    case EncoderActivation::relu:
      relu_backward(dinp, inp, dout, n);
      break;
  }
}

}  // namespace lmkit::nn
