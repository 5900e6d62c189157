#include "lmkit/nn/adamw.hpp"

#include <cmath>
#include <numbers>

#include "lmkit/util/error.hpp"

namespace lmkit::nn {

AdamW::AdamW(AdamWConfig config, std::size_t n_parameters)
    : config_(config), m_(n_parameters, 0.0f), v_(n_parameters, 0.0f) {}

void AdamW::step(std::span<float> params, std::span<const float> grads,
                 const std::vector<ParameterSpec>& specs, float lr) {
  if (params.size() != m_.size() || grads.size() != m_.size())
    fail("AdamW: {} parameters and {} gradients for an optimizer of {}", params.size(), grads.size(),
         m_.size());
  ++t_;
  const double bias1 = 1.0 - std::pow(static_cast<double>(config_.beta1), static_cast<double>(t_));
  const double bias2 = 1.0 - std::pow(static_cast<double>(config_.beta2), static_cast<double>(t_));
  const float step_size = static_cast<float>(lr / bias1);
  const float bias2_sqrt = static_cast<float>(std::sqrt(bias2));
  for (const auto& s : specs) {
    const float decay = s.decay ? 1.0f - lr * config_.weight_decay : 1.0f;
    for (std::size_t i = s.offset; i < s.offset + s.size; ++i) {
      float g = grads[i];
      m_[i] = config_.beta1 * m_[i] + (1.0f - config_.beta1) * g;
      v_[i] = config_.beta2 * v_[i] + (1.0f - config_.beta2) * g * g;
      float denom = std::sqrt(v_[i]) / bias2_sqrt + config_.eps;
      params[i] = params[i] * decay - step_size * m_[i] / denom;
    }
  }
}

float learning_rate(std::uint64_t step, std::uint64_t warmup, std::uint64_t total, float max_lr,
                    float min_lr) {
  if (step < warmup) return max_lr * static_cast<float>(step + 1) / static_cast<float>(warmup);
  if (step >= total || total <= warmup) return min_lr;
  double progress = static_cast<double>(step - warmup) / static_cast<double>(total - warmup);
  double coeff = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return static_cast<float>(min_lr + coeff * (max_lr - min_lr));
}

float clip_grad_norm(std::span<float> grads, float max_norm) {
  double sum = 0;
  for (float g : grads) sum += static_cast<double>(g) * g;
  float norm = static_cast<float>(std::sqrt(sum));
  float factor = max_norm / (norm + 1e-6f);
  if (factor < 1.0f)
    for (float& g : grads) g *= factor;
  return norm;
}

}  // namespace lmkit::nn
