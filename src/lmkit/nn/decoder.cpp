#include "lmkit/nn/decoder.hpp"

#include <algorithm>

#include "lmkit/tensor/attention.hpp"
#include "lmkit/tensor/ops.hpp"

namespace lmkit::nn {

using namespace lmkit::tensor;

namespace {

using Sublayer = DecoderLayerActs::Sublayer;
using Attention = DecoderLayerActs::Attention;

AttentionShape attention_shape(const Seq2SeqConfig& c, std::size_t B, std::size_t Tq, std::size_t Tk,
                               bool causal, const std::uint8_t* key_valid) {
  return {.B = B,
          .Tq = Tq,
          .Tk = Tk,
          .C = c.n_embd,
          .n_head = c.n_head,
          .q_stride = c.n_embd,
          .kv_stride = c.n_embd,
          .causal = causal,
          .q_offset = 0,
          .key_valid = key_valid};
}

// Multi-head attention with its projections: proj (B, Tq, C) = Attention(xq Wqᵀ, xkv Wkᵀ, xkv Wvᵀ) Woᵀ.
void attention_block_forward(Attention& a, std::vector<float>& proj, const AttentionWeights& w,
                             const Seq2SeqConfig& c, const float* xq, const float* xkv,
                             const AttentionShape& s) {
  const std::size_t C = c.n_embd, Nq = s.B * s.Tq, Nk = s.B * s.Tk;
  a.q.resize(Nq * C);
  a.k.resize(Nk * C);
  a.v.resize(Nk * C);
  a.att.resize(s.B * c.n_head * s.Tq * s.Tk);
  a.y.resize(Nq * C);
  proj.resize(Nq * C);
  linear_oi_forward(a.q.data(), xq, w.q.w, w.q.b, Nq, C, C);
  linear_oi_forward(a.k.data(), xkv, w.k.w, w.k.b, Nk, C, C);
  linear_oi_forward(a.v.data(), xkv, w.v.w, w.v.b, Nk, C, C);
  attention_forward(a.y.data(), a.att.data(), a.q.data(), a.k.data(), a.v.data(), s);
  linear_oi_forward(proj.data(), a.y.data(), w.out.w, w.out.b, Nq, C, C);
}

// Adds into dxq and dxkv (which may be the same buffer, for self-attention) and the weight gradients.
void attention_block_backward(float* dxq, float* dxkv, const AttentionWeights& g, const float* dproj,
                              const Attention& a, const AttentionWeights& w, const Seq2SeqConfig& c,
                              const float* xq, const float* xkv, const AttentionShape& s) {
  const std::size_t C = c.n_embd, Nq = s.B * s.Tq, Nk = s.B * s.Tk;
  std::vector<float> dy(Nq * C, 0.0f), dq(Nq * C, 0.0f), dk(Nk * C, 0.0f), dv(Nk * C, 0.0f);
  linear_oi_backward(dy.data(), g.out.w, g.out.b, dproj, a.y.data(), w.out.w, Nq, C, C);
  attention_backward(dq.data(), dk.data(), dv.data(), dy.data(), a.att.data(), a.q.data(), a.k.data(),
                     a.v.data(), s);
  linear_oi_backward(dxq, g.q.w, g.q.b, dq.data(), xq, w.q.w, Nq, C, C);
  linear_oi_backward(dxkv, g.k.w, g.k.b, dk.data(), xkv, w.k.w, Nk, C, C);
  linear_oi_backward(dxkv, g.v.w, g.v.b, dv.data(), xkv, w.v.w, Nk, C, C);
}

// A residual sublayer around f(a, y): y (N, C) from a (N, C). Returns the sublayer's output.
template <typename F>
const float* sublayer_forward(Sublayer& s, const Seq2SeqConfig& c, const NormWeights& norm, const float* in,
                              std::size_t N, std::vector<float>& y, F f) {
  const std::size_t C = c.n_embd;
  s.normed.resize(N * C);
  s.mean.resize(N);
  s.rstd.resize(N);
  s.sum.resize(N * C);
  if (c.norm_first) {
    layernorm_forward(s.normed.data(), s.mean.data(), s.rstd.data(), in, norm.w, norm.b, N, C, c.norm_eps);
    f(s.normed.data());
    residual_forward(s.sum.data(), in, y.data(), N * C);
    return s.sum.data();
  }
  f(in);
  residual_forward(s.sum.data(), in, y.data(), N * C);
  layernorm_forward(s.normed.data(), s.mean.data(), s.rstd.data(), s.sum.data(), norm.w, norm.b, N, C,
                    c.norm_eps);
  return s.normed.data();
}

// Adds d(loss)/d(in) into din given dout; back(dy, da) adds the gradient of f's input into da.
template <typename Back>
void sublayer_backward(float* din, const NormWeights& g, const float* dout, const Sublayer& s,
                       const NormWeights& norm, const Seq2SeqConfig& c, const float* in, std::size_t N,
                       Back back) {
  const std::size_t C = c.n_embd;
  if (c.norm_first) {
    residual_backward(din, nullptr, dout, N * C);
    std::vector<float> da(N * C, 0.0f);
    back(dout, da.data());
    layernorm_backward(din, g.w, g.b, da.data(), in, norm.w, s.mean.data(), s.rstd.data(), N, C);
    return;
  }
  std::vector<float> dsum(N * C, 0.0f);
  layernorm_backward(dsum.data(), g.w, g.b, dout, s.sum.data(), norm.w, s.mean.data(), s.rstd.data(), N, C);
  residual_backward(din, nullptr, dsum.data(), N * C);
  back(dsum.data(), din);
}

}  // namespace

EncoderActivation encoder_activation(FfnActivation kind) {
  switch (kind) {
    case FfnActivation::relu:
      return EncoderActivation::relu;
    case FfnActivation::gelu:
      return EncoderActivation::gelu;
    case FfnActivation::gelu_tanh:
      return EncoderActivation::gelu_tanh;
  }
  return EncoderActivation::relu;
}

void ffn_activation_forward(FfnActivation kind, float* out, const float* inp, std::size_t n) {
  encoder_activation_forward(encoder_activation(kind), out, inp, n);
}

void ffn_activation_backward(FfnActivation kind, float* dinp, const float* inp, const float* dout,
                             std::size_t n) {
  encoder_activation_backward(encoder_activation(kind), dinp, inp, dout, n);
}

void decoder_layer_forward(DecoderLayerActs& a, const DecoderLayerWeights& w, const Seq2SeqConfig& c,
                           const float* x, const float* enc, const std::uint8_t* tgt_valid,
                           const std::uint8_t* src_valid, DecoderDims dims) {
  const std::size_t C = c.n_embd, F = c.n_ffn, B = dims.B, T = dims.T, S = dims.S, N = B * T;
  a.dims = dims;
  a.x = x;
  a.enc = enc;
  a.tgt_valid = tgt_valid;
  a.src_valid = src_valid;
  const AttentionShape self_shape = attention_shape(c, B, T, T, true, tgt_valid);
  const AttentionShape cross_shape = attention_shape(c, B, T, S, false, src_valid);
  const float* h = sublayer_forward(a.sub[0], c, w.self_attn_norm, x, N, a.att_out[0], [&](const float* in) {
    attention_block_forward(a.self_attn, a.att_out[0], w.self_attn, c, in, in, self_shape);
  });
  h = sublayer_forward(a.sub[1], c, w.cross_attn_norm, h, N, a.att_out[1], [&](const float* in) {
    attention_block_forward(a.cross_attn, a.att_out[1], w.cross_attn, c, in, enc, cross_shape);
  });
  a.fc.resize(N * F);
  a.fc_act.resize(N * F);
  a.fc2.resize(N * C);
  a.out = sublayer_forward(a.sub[2], c, w.final_norm, h, N, a.fc2, [&](const float* in) {
    linear_oi_forward(a.fc.data(), in, w.fc1.w, w.fc1.b, N, C, F);
    ffn_activation_forward(c.activation, a.fc_act.data(), a.fc.data(), N * F);
    linear_oi_forward(a.fc2.data(), a.fc_act.data(), w.fc2.w, w.fc2.b, N, F, C);
  });
}

void decoder_layer_backward(float* dx, float* denc, const DecoderLayerWeights& g, const float* dout,
                            const DecoderLayerActs& a, const DecoderLayerWeights& w, const Seq2SeqConfig& c) {
  const std::size_t C = c.n_embd, F = c.n_ffn, B = a.dims.B, T = a.dims.T, S = a.dims.S, N = B * T;
  // The sublayers' inputs: x, then the first and second sublayers' outputs.
  const float* in_1 = c.norm_first ? a.sub[0].sum.data() : a.sub[0].normed.data();
  const float* in_2 = c.norm_first ? a.sub[1].sum.data() : a.sub[1].normed.data();
  // The input f saw: LN(in) for pre-LN, in itself for post-LN.
  auto f_input = [&](const Sublayer& s, const float* in) { return c.norm_first ? s.normed.data() : in; };

  std::vector<float> d2(N * C, 0.0f), d1(N * C, 0.0f);
  sublayer_backward(
      d2.data(), g.final_norm, dout, a.sub[2], w.final_norm, c, in_2, N, [&](const float* dy, float* da) {
        std::vector<float> dact(N * F, 0.0f), dfc(N * F, 0.0f);
        linear_oi_backward(dact.data(), g.fc2.w, g.fc2.b, dy, a.fc_act.data(), w.fc2.w, N, F, C);
        ffn_activation_backward(c.activation, dfc.data(), a.fc.data(), dact.data(), N * F);
        linear_oi_backward(da, g.fc1.w, g.fc1.b, dfc.data(), f_input(a.sub[2], in_2), w.fc1.w, N, C, F);
      });
  const AttentionShape cross_shape = attention_shape(c, B, T, S, false, a.src_valid);
  sublayer_backward(d1.data(), g.cross_attn_norm, d2.data(), a.sub[1], w.cross_attn_norm, c, in_1, N,
                    [&](const float* dy, float* da) {
                      attention_block_backward(da, denc, g.cross_attn, dy, a.cross_attn, w.cross_attn, c,
                                               f_input(a.sub[1], in_1), a.enc, cross_shape);
                    });
  const AttentionShape self_shape = attention_shape(c, B, T, T, true, a.tgt_valid);
  sublayer_backward(dx, g.self_attn_norm, d1.data(), a.sub[0], w.self_attn_norm, c, a.x, N,
                    [&](const float* dy, float* da) {
                      const float* in = f_input(a.sub[0], a.x);
                      attention_block_backward(da, da, g.self_attn, dy, a.self_attn, w.self_attn, c, in, in,
                                               self_shape);
                    });
}

void decoder_cross_kv(float* keys, float* values, const DecoderLayerWeights& w, const Seq2SeqConfig& c,
                      const float* enc, std::size_t B, std::size_t S) {
  const std::size_t C = c.n_embd;
  linear_oi_forward(keys, enc, w.cross_attn.k.w, w.cross_attn.k.b, B * S, C, C);
  linear_oi_forward(values, enc, w.cross_attn.v.w, w.cross_attn.v.b, B * S, C, C);
}

void decoder_layer_forward_cached(float* x, DecoderLayerCache& cache, const DecoderLayerWeights& w,
                                  const Seq2SeqConfig& c, std::size_t B, std::size_t T_new, std::size_t start,
                                  std::size_t capacity, std::size_t S, const std::uint8_t* self_valid,
                                  const std::uint8_t* src_valid) {
  const std::size_t C = c.n_embd, F = c.n_ffn, N = B * T_new;
  std::vector<float> normed(N * C), mean(N), rstd(N), q(N * C), kv(N * C), y(N * C), proj(N * C);
  std::vector<float> att(B * c.n_head * T_new * std::max(capacity, S));
  // One residual sublayer on x in place: x = x + f(LN(x)) (pre-LN) or LN(x + f(x)) (post-LN).
  auto sublayer = [&](const NormWeights& norm, auto f) {
    const float* in = x;
    if (c.norm_first) {
      layernorm_forward(normed.data(), mean.data(), rstd.data(), x, norm.w, norm.b, N, C, c.norm_eps);
      in = normed.data();
    }
    f(in);
    residual_forward(x, x, proj.data(), N * C);
    if (!c.norm_first) layernorm_forward(x, mean.data(), rstd.data(), x, norm.w, norm.b, N, C, c.norm_eps);
  };
  sublayer(w.self_attn_norm, [&](const float* in) {
    linear_oi_forward(q.data(), in, w.self_attn.q.w, w.self_attn.q.b, N, C, C);
    linear_oi_forward(kv.data(), in, w.self_attn.k.w, w.self_attn.k.b, N, C, C);
    for (std::size_t b = 0; b < B; ++b)
      std::copy_n(kv.data() + b * T_new * C, T_new * C, cache.self_keys.data() + (b * capacity + start) * C);
    linear_oi_forward(kv.data(), in, w.self_attn.v.w, w.self_attn.v.b, N, C, C);
    for (std::size_t b = 0; b < B; ++b)
      std::copy_n(kv.data() + b * T_new * C, T_new * C,
                  cache.self_values.data() + (b * capacity + start) * C);
    AttentionShape s = attention_shape(c, B, T_new, capacity, true, self_valid);
    s.q_offset = start;
    attention_forward(y.data(), att.data(), q.data(), cache.self_keys.data(), cache.self_values.data(), s);
    linear_oi_forward(proj.data(), y.data(), w.self_attn.out.w, w.self_attn.out.b, N, C, C);
  });
  sublayer(w.cross_attn_norm, [&](const float* in) {
    linear_oi_forward(q.data(), in, w.cross_attn.q.w, w.cross_attn.q.b, N, C, C);
    AttentionShape s = attention_shape(c, B, T_new, S, false, src_valid);
    attention_forward(y.data(), att.data(), q.data(), cache.cross_keys.data(), cache.cross_values.data(), s);
    linear_oi_forward(proj.data(), y.data(), w.cross_attn.out.w, w.cross_attn.out.b, N, C, C);
  });
  std::vector<float> fc(N * F), fc_act(N * F);
  sublayer(w.final_norm, [&](const float* in) {
    linear_oi_forward(fc.data(), in, w.fc1.w, w.fc1.b, N, C, F);
    ffn_activation_forward(c.activation, fc_act.data(), fc.data(), N * F);
    linear_oi_forward(proj.data(), fc_act.data(), w.fc2.w, w.fc2.b, N, F, C);
  });
}

}  // namespace lmkit::nn
