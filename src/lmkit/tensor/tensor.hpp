// Tensor: an owned fp32 array with a row-major shape. The model keeps its parameters and activations
// in single allocations addressed through pointer tables (see nn/gpt.hpp), and the kernels in ops.hpp
// take raw pointers with explicit sizes, llm.c style; Tensor is the unit of checkpoint I/O and tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lmkit::tensor {

class Tensor {
 public:
  Tensor() = default;
  // A zero-filled tensor of `shape` (row-major: the last dimension is contiguous).
  explicit Tensor(std::vector<std::size_t> shape);
  Tensor(std::vector<std::size_t> shape, std::vector<float> values);

  const std::vector<std::size_t>& shape() const { return shape_; }
  std::size_t dim(std::size_t axis) const { return shape_.at(axis); }
  std::size_t rank() const { return shape_.size(); }
  std::size_t size() const { return values_.size(); }

  float* data() { return values_.data(); }
  const float* data() const { return values_.data(); }
  std::span<float> values() { return values_; }
  std::span<const float> values() const { return values_; }
  float& operator[](std::size_t i) { return values_[i]; }
  float operator[](std::size_t i) const { return values_[i]; }

 private:
  std::vector<std::size_t> shape_;
  std::vector<float> values_;
};

// The number of elements of `shape` (1 for a scalar's empty shape). Throws Error on overflow.
std::size_t shape_size(std::span<const std::size_t> shape);
// "(2, 3, 4)" for messages.
std::string shape_string(std::span<const std::size_t> shape);

}  // namespace lmkit::tensor
