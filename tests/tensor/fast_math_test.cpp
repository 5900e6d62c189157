// fast::exp, tanh and erf against the C library in double precision, over their whole float range
// on a dense grid, plus the exact values the activations and softmaxes rely on.
#include "lmkit/tensor/fast_math.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace lmkit::tensor {
namespace {

TEST(FastMath, ExpIsWithinTwoTenthsOfAMillionthRelative) {
  double worst = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.00037f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(fast::exp(x) - want) / want);
  }
  EXPECT_LT(worst, 2e-7);
}

TEST(FastMath, ExpLimits) {
  EXPECT_EQ(fast::exp(0.0f), 1.0f);
  EXPECT_EQ(fast::exp(-88.0f), 0.0f);
  EXPECT_EQ(fast::exp(-std::numeric_limits<float>::infinity()), 0.0f);  // masked attention scores
  EXPECT_TRUE(std::isfinite(fast::exp(1000.0f)));
  EXPECT_GT(fast::exp(1000.0f), 1e38f);
}

TEST(FastMath, TanhAndErfAreWithinThreeTenthsOfAMillionthAbsolute) {
  double worst_tanh = 0, worst_erf = 0;
  for (float x = -30.0f; x < 30.0f; x += 0.00011f) {
    worst_tanh = std::max(worst_tanh, std::abs(fast::tanh(x) - std::tanh(static_cast<double>(x))));
    worst_erf = std::max(worst_erf, std::abs(fast::erf(x) - std::erf(static_cast<double>(x))));
  }
  EXPECT_LT(worst_tanh, 3e-7);
  EXPECT_LT(worst_erf, 5e-7);
}

TEST(FastMath, OddFunctionsAndTheirLimits) {
  EXPECT_EQ(fast::erf(0.0f), 0.0f);
  EXPECT_EQ(fast::tanh(0.0f), 0.0f);
  for (float x : {0.001f, 0.3f, 1.7f, 4.0f}) {
    EXPECT_EQ(fast::erf(-x), -fast::erf(x));
    EXPECT_NEAR(fast::tanh(-x), -fast::tanh(x), 3e-7f);
  }
  EXPECT_EQ(fast::tanh(100.0f), 1.0f);
  EXPECT_EQ(fast::tanh(-100.0f), -1.0f);
  EXPECT_EQ(fast::erf(10.0f), 1.0f);
  EXPECT_EQ(fast::erf(-10.0f), -1.0f);
}

}  // namespace
}  // namespace lmkit::tensor
