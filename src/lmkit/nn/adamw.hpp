// AdamW (Loshchilov & Hutter) with decoupled weight decay, the learning-rate schedule (linear warmup,
// cosine decay to a floor) and gradient clipping by global norm — the optimizer of Algorithm 13
// (DTraining), matching torch.optim.AdamW and torch.nn.utils.clip_grad_norm_.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "lmkit/nn/gpt.hpp"
#include "lmkit/util/memory.hpp"

namespace lmkit::nn {

struct AdamWConfig {
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float eps = 1e-8f;
  float weight_decay = 0.1f;  // applied to the parameters whose ParameterSpec says decay
};

class AdamW {
 public:
  AdamW(AdamWConfig config, std::size_t n_parameters);

  // One step at learning rate lr: updates params in place from grads. `specs` say which ranges decay.
  void step(std::span<float> params, std::span<const float> grads, const std::vector<ParameterSpec>& specs,
            float lr);

  std::uint64_t steps_taken() const { return t_; }
  // State for checkpoints: first and second moments (n_parameters each) and the step count.
  std::span<float> m() { return m_; }
  std::span<float> v() { return v_; }
  std::span<const float> m() const { return m_; }
  std::span<const float> v() const { return v_; }
  void set_steps_taken(std::uint64_t t) { t_ = t; }

 private:
  AdamWConfig config_;
  StreamedFloats m_, v_;
  std::uint64_t t_ = 0;
};

// Linear warmup over `warmup` steps to max_lr, then cosine decay to min_lr at `total` steps (0-based step).
float learning_rate(std::uint64_t step, std::uint64_t warmup, std::uint64_t total, float max_lr,
                    float min_lr);

// Scales grads so their global L2 norm is at most max_norm (as clip_grad_norm_: factor
// max_norm / (norm + 1e-6) when below 1). Returns the norm before clipping.
float clip_grad_norm(std::span<float> grads, float max_norm);

}  // namespace lmkit::nn
