// A model's parameter table read from and written to a Hugging Face model.safetensors: what the
// GPT-2, BART and BERT directory readers and writers (hf_gpt2, hf_bart, hf_bert) share. Each supplies
// how its lmkit parameter names map to the file's, and decides about the file's other tensors.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <set>
#include <span>
#include <string>
#include <string_view>
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

// Warns (util/error.hpp warn, once per call) when `values`, the tensor `tensor_name` read from `path`,
// hold NaN or infinite values: a model that loads but cannot give numbers. read_parameters calls it
// for every tensor it reads.
void warn_non_finite(std::span<const float> values, const std::string& path, const std::string& tensor_name);

// Checks of a config.json against the safetensors header before the model is allocated, so that an
// absurd size is an error naming the config's field instead of a runaway allocation. Tensors absent
// from the file are left for read_parameters to report.
struct ConfigDim {
  std::string_view field;  // the config.json field behind this dimension, as the file spells it
  std::size_t value;
};
// The file's tensor for `lmkit_name` (found as read_parameters finds it) has shape `dims`.
void check_config_shape(const SafetensorsFile& file, const ParameterLookup& lookup,
                        const std::string& lmkit_name, std::initializer_list<ConfigDim> dims,
                        const std::string& config_path);
// A stack of `n_layer` layers: the file has the tensor layer_tensor(n_layer - 1) (an lmkit name).
void check_config_layers(const SafetensorsFile& file, const ParameterLookup& lookup,
                         const std::function<std::string(std::size_t)>& layer_tensor, std::string_view field,
                         std::size_t n_layer, const std::string& config_path);
// The config's parameter count is at most the number of values the file holds.
void check_config_size(const SafetensorsFile& file, std::uint64_t n_parameters,
                       const std::string& config_path);

// Writes `params` as model.safetensors with the metadata transformers requires ({"format": "pt"}),
// each tensor under name(spec.name); atomically, like every file lmkit writes.
void write_parameters(const std::string& path, std::span<const ParameterSpec> specs,
                      std::span<const float> params, const TensorNameMap& name);

}  // namespace lmkit::nn
