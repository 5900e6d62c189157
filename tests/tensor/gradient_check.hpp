// Finite-difference checking of backward kernels. A kernel's backward is checked on the scalar
// L = Σ w ⊙ forward(x) with fixed random weights w: the backward is run with dout = w, and each
// input element's gradient is compared with the central difference (L(x + h) − L(x − h)) / 2h,
// L accumulated in double. fp32 forwards limit the precision, so inputs are O(1), h = 1e-2 ... 1e-3,
// and the tolerance is absolute plus relative.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace lmkit::testing {

inline std::vector<float> random_values(std::size_t n, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

inline double weighted_sum(const std::vector<float>& out, const std::vector<float>& w) {
  double s = 0;
  for (std::size_t i = 0; i < out.size(); ++i) s += static_cast<double>(out[i]) * w[i];
  return s;
}

// `loss` recomputes L from the current contents of x. Checks every element of x (or `max_checks`
// spread evenly) against `analytic`.
inline void expect_gradient(const std::string& what, std::vector<float>& x,
                            const std::vector<float>& analytic, const std::function<double()>& loss,
                            double h = 1e-2, double tol = 2e-2, std::size_t max_checks = 200) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  std::size_t step = std::max<std::size_t>(1, x.size() / max_checks);
  for (std::size_t i = 0; i < x.size(); i += step) {
    float saved = x[i];
    x[i] = static_cast<float>(saved + h);
    double up = loss();
    x[i] = static_cast<float>(saved - h);
    double down = loss();
    x[i] = saved;
    double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(analytic[i], numeric, tol * (1.0 + std::abs(numeric))) << what << " element " << i;
  }
}

}  // namespace lmkit::testing
