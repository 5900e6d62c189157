#include "lmkit/nn/parameters.hpp"

#include <algorithm>

#include "lmkit/tensor/tensor.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {

std::size_t ParameterTable::add(std::string name, std::vector<std::size_t> shape, bool decay) {
  if (allocated_) fail("parameter \"{}\" added after the table was allocated", name);
  for (const auto& s : specs_)
    if (s.name == name) fail("parameter \"{}\" added twice", name);
  std::size_t size = tensor::shape_size(shape);
  specs_.push_back({std::move(name), std::move(shape), size_, size, decay});
  size_ += size;
  return specs_.size() - 1;
}

void ParameterTable::allocate() {
  allocating(fmt::format("a model's {} parameters and their gradients", size_),
             bytes_of(size_, 2 * sizeof(float)), [&] {
               params_.assign(size_, 0.0f);
               grads_.assign(size_, 0.0f);
             });
  allocated_ = true;
}

std::size_t ParameterTable::index(const std::string& name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i)
    if (specs_[i].name == name) return i;
  fail("the model has no parameter \"{}\"", name);
}

void ParameterTable::zero_grad() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

}  // namespace lmkit::nn
