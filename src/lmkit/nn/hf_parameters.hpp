// A model's parameter table read from and written to a Hugging Face model.safetensors: what the
// GPT-2, BART and BERT directory readers and writers (hf_gpt2, hf_bart, hf_bert) share. Each supplies
// how its lmkit parameter names map to the file's, and decides about the file's other tensors.
#pragma once

#include <functional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "lmkit/nn/parameters.hpp"
#include "lmkit/nn/safetensors.hpp"

namespace lmkit::nn {

using TensorNameMap = std::function<std::string(const std::string&)>;

struct ParameterLookup {
  TensorNameMap name = {};         // an lmkit parameter's name in the file (also used in error messages)
  TensorNameMap alternative = {};  // optional: a second name to try when the first is absent ("" for none)
  std::function<bool(const std::string&)> may_be_absent = {};  // optional: absent parameters left as they are
};

// Copies every parameter in `specs` from `file` (opened from `path`, named in errors) into `params`,
// converting F16 / BF16 to float; a missing tensor or a shape that differs from the spec's is an
// error. Returns the names of the file's tensors that were used.
std::set<std::string> read_parameters(const SafetensorsFile& file, const std::string& path,
                                      std::span<const ParameterSpec> specs, std::span<float> params,
                                      const ParameterLookup& lookup);

// Writes `params` as model.safetensors with the metadata transformers requires ({"format": "pt"}),
// each tensor under name(spec.name); atomically, like every file lmkit writes.
void write_parameters(const std::string& path, std::span<const ParameterSpec> specs,
                      std::span<const float> params, const TensorNameMap& name);

}  // namespace lmkit::nn
