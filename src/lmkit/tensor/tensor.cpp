#include "lmkit/tensor/tensor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>
#include <utility>

#include "lmkit/util/error.hpp"

namespace lmkit::tensor {

Tensor::Tensor(std::vector<std::size_t> shape)
    : shape_(std::move(shape)), values_(shape_size(shape_), 0.0f) {}

Tensor::Tensor(std::vector<std::size_t> shape, std::vector<float> values)
    : shape_(std::move(shape)), values_(std::move(values)) {
  if (values_.size() != shape_size(shape_))
    fail("tensor of shape {} given {} values", shape_string(shape_), values_.size());
}

std::size_t shape_size(std::span<const std::size_t> shape) {
  std::size_t n = 1;
  for (std::size_t d : shape) {
    if (d != 0 && n > std::numeric_limits<std::size_t>::max() / d)
      fail("tensor shape {} has too many elements", shape_string(shape));
    n *= d;
  }
  return n;
}

std::string shape_string(std::span<const std::size_t> shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
}

}  // namespace lmkit::tensor
