#include "lmkit/nn/hf_parameters.hpp"

#include <algorithm>

#include "lmkit/tensor/tensor.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {

std::set<std::string> read_parameters(const SafetensorsFile& file, const std::string& path,
                                      std::span<const ParameterSpec> specs, std::span<float> params,
                                      const ParameterLookup& lookup) {
  std::set<std::string> used;
  for (const auto& spec : specs) {
    const std::string name = lookup.name(spec.name);
    const SafetensorsEntry* entry = file.find(name);
    if (!entry && lookup.alternative) {
      const std::string other = lookup.alternative(spec.name);
      if (!other.empty()) entry = file.find(other);
    }
    if (!entry) {
      if (lookup.may_be_absent && lookup.may_be_absent(spec.name)) continue;
      fail("{}: missing tensor \"{}\"", path, name);
    }
    if (entry->shape != spec.shape)
      fail("{}: tensor \"{}\" has shape {}, the config needs {}", path, entry->name,
           tensor::shape_string(entry->shape), tensor::shape_string(spec.shape));
    std::vector<float> values = file.read_f32(*entry);
    std::copy(values.begin(), values.end(), params.begin() + static_cast<std::ptrdiff_t>(spec.offset));
    used.insert(entry->name);
  }
  return used;
}

void write_parameters(const std::string& path, std::span<const ParameterSpec> specs,
                      std::span<const float> params, const TensorNameMap& name) {
  std::vector<NamedTensor> tensors;
  for (const auto& spec : specs)
    tensors.push_back({name(spec.name), spec.shape, params.data() + spec.offset});
  write_safetensors(path, tensors, {{"format", "pt"}});
}

}  // namespace lmkit::nn
