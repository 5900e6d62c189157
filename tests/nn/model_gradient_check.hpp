// The check every whole-model test makes of its backward: central differences of the model's loss,
// perturbing a few elements of every parameter tensor, against the analytic gradient.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <vector>

namespace lmkit::nn::testing {

struct GradientCheck {
  std::size_t per_tensor = 4;  // elements checked in each tensor, spread by a prime stride
  std::size_t first = 0;       // where that stride starts
  double abs_tol = 2e-3;       // plus 3% of the numeric derivative
};

// Model: parameters(), gradients(), parameter_specs(), zero_grad(), backward() after a forward;
// loss(): runs the forward and returns the loss.
template <typename Model, typename Loss>
void expect_model_gradients(Model& model, Loss loss, GradientCheck check = {}) {
  loss();
  model.zero_grad();
  model.backward();
  std::vector<float> analytic(model.gradients().begin(), model.gradients().end());
  auto params = model.parameters();
  for (const auto& spec : model.parameter_specs()) {
    for (std::size_t k = 0; k < check.per_tensor; ++k) {
      const std::size_t i = spec.offset + (k * 7919 + check.first) % spec.size;
      const float saved = params[i];
      const double h = 1e-3;
      params[i] = static_cast<float>(saved + h);
      const double up = loss();
      params[i] = static_cast<float>(saved - h);
      const double down = loss();
      params[i] = saved;
      const double numeric = (up - down) / (2 * h);
      EXPECT_NEAR(analytic[i], numeric, check.abs_tol + 3e-2 * std::abs(numeric))
          << spec.name << " element " << i - spec.offset;
    }
  }
}

}  // namespace lmkit::nn::testing
