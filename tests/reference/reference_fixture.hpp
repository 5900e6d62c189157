// What the PyTorch reference tests share: a generator's reference.safetensors read back by name
// (float tensors, and ids / masks that the generators store as F32), and the relative error measure
// the tests bound.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "lmkit/nn/safetensors.hpp"

namespace lmkit::nn::testing {

class ReferenceFile {
 public:
  explicit ReferenceFile(const std::string& dir)
      : file_(SafetensorsFile::open(dir + "/reference.safetensors")) {}

  const SafetensorsFile& file() const { return file_; }
  std::vector<float> get(const std::string& name) const {
    const SafetensorsEntry* e = file_.find(name);
    if (!e) throw std::runtime_error("reference lacks " + name);
    return file_.read_f32(*e);
  }
  std::vector<std::int32_t> ids(const std::string& name) const {
    auto v = get(name);
    return {v.begin(), v.end()};
  }
  std::vector<std::uint8_t> mask(const std::string& name) const {
    auto v = get(name);
    return {v.begin(), v.end()};
  }

 private:
  SafetensorsFile file_;
};

// Max |a - b| / (|b| + floor) over the arrays (and a test failure when their sizes differ).
inline double max_relative_error(std::span<const float> a, std::span<const float> b, double floor) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    worst = std::max(
        worst, std::abs(static_cast<double>(a[i]) - b[i]) / (std::abs(static_cast<double>(b[i])) + floor));
  return worst;
}

}  // namespace lmkit::nn::testing
