// A model's parameters and their gradients as llm.c keeps them: one allocation each, addressed through
// a table of named tensors. Layers register their tensors in the table (ParameterTable::add) and keep
// the returned indices; after allocate() every tensor is a span of the one allocation, so AdamW, the
// gradient clipping and checkpoint I/O are loops over specs().
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "lmkit/util/memory.hpp"

namespace lmkit::nn {

// One named tensor inside the parameter allocation.
struct ParameterSpec {
  std::string name;                // the Hugging Face name of the architecture, e.g. "h.0.ln_1.weight"
  std::vector<std::size_t> shape;  // row-major
  std::size_t offset = 0;          // in floats from the start of the allocation
  std::size_t size = 0;            // elements
  bool decay = false;              // AdamW weight decay applies (matrices and embeddings, not biases/norms)
};

class ParameterTable {
 public:
  // Appends a tensor after the ones added so far (consecutive adds are contiguous) and returns its
  // index. Only before allocate(); a repeated name throws Error.
  std::size_t add(std::string name, std::vector<std::size_t> shape, bool decay);
  // Allocates the zero-filled parameters and gradients.
  void allocate();

  const std::vector<ParameterSpec>& specs() const { return specs_; }
  // The index of tensor `name` (throws Error naming it when absent).
  std::size_t index(const std::string& name) const;
  const ParameterSpec& spec(const std::string& name) const { return specs_[index(name)]; }

  std::span<float> parameters() { return params_; }
  std::span<const float> parameters() const { return params_; }
  std::span<float> gradients() { return grads_; }
  std::span<const float> gradients() const { return grads_; }
  float* param(std::size_t index) { return params_.data() + specs_[index].offset; }
  const float* param(std::size_t index) const { return params_.data() + specs_[index].offset; }
  float* grad(std::size_t index) { return grads_.data() + specs_[index].offset; }
  void zero_grad();

 private:
  std::vector<ParameterSpec> specs_;
  StreamedFloats params_;  // every tensor, in specs_ order
  StreamedFloats grads_;   // same layout
  std::size_t size_ = 0;
  bool allocated_ = false;
};

}  // namespace lmkit::nn
