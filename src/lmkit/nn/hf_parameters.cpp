#include "lmkit/nn/hf_parameters.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lmkit/tensor/tensor.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {

namespace {

const SafetensorsEntry* find_parameter(const SafetensorsFile& file, const ParameterLookup& lookup,
                                       const std::string& lmkit_name) {
  const SafetensorsEntry* entry = file.find(lookup.name(lmkit_name));
  if (!entry && lookup.alternative) {
    const std::string other = lookup.alternative(lmkit_name);
    if (!other.empty()) entry = file.find(other);
  }
  return entry;
}

}  // namespace

void warn_non_finite(std::span<const float> values, const std::string& path, const std::string& tensor_name) {
  std::size_t nan = 0, infinite = 0;
  for (float v : values) {
    nan += std::isnan(v) ? 1 : 0;
    infinite += std::isinf(v) ? 1 : 0;
  }
  if (nan + infinite == 0) return;
  warn("{}: tensor \"{}\" holds {} NaN and {} infinite values of {}; the model's outputs will not be numbers",
       path, tensor_name, nan, infinite, values.size());
}

void check_config_shape(const SafetensorsFile& file, const ParameterLookup& lookup,
                        const std::string& lmkit_name, std::initializer_list<ConfigDim> dims,
                        const std::string& config_path) {
  const SafetensorsEntry* entry = find_parameter(file, lookup, lmkit_name);
  if (!entry) return;
  std::vector<std::size_t> needed;
  std::string wrong;
  std::size_t i = 0;
  for (const ConfigDim& dim : dims) {
    needed.push_back(dim.value);
    if (i >= entry->shape.size() || entry->shape[i] != dim.value)
      wrong += fmt::format("{}{} is {}", wrong.empty() ? "" : ", ", dim.field, dim.value);
    ++i;
  }
  if (entry->shape.size() != needed.size() && wrong.empty()) wrong = "the config";
  if (!wrong.empty())
    fail("{}: {} but {} tensor \"{}\" has shape {}, the config needs {}", config_path, wrong, file.source(),
         entry->name, tensor::shape_string(entry->shape), tensor::shape_string(needed));
}

void check_config_layers(const SafetensorsFile& file, const ParameterLookup& lookup,
                         const std::function<std::string(std::size_t)>& layer_tensor, std::string_view field,
                         std::size_t n_layer, const std::string& config_path) {
  if (n_layer == 0 || find_parameter(file, lookup, layer_tensor(n_layer - 1))) return;
  std::size_t present = 0;  // bounded by the file's tensors, whatever n_layer says
  while (present < file.entries().size() && find_parameter(file, lookup, layer_tensor(present))) ++present;
  fail("{}: {} is {} but {} holds {} layer{} (missing tensor \"{}\")", config_path, field, n_layer,
       file.source(), present, present == 1 ? "" : "s", lookup.name(layer_tensor(present)));
}

void check_config_size(const SafetensorsFile& file, std::uint64_t n_parameters,
                       const std::string& config_path) {
  std::uint64_t held = 0;
  for (const auto& entry : file.entries()) held += tensor::shape_size(entry.shape);
  if (n_parameters > held)
    fail("{}: the config describes {} parameters but {} holds {} values", config_path, n_parameters,
         file.source(), held);
}

std::set<std::string> read_parameters(const SafetensorsFile& file, const std::string& path,
                                      std::span<const ParameterSpec> specs, std::span<float> params,
                                      const ParameterLookup& lookup) {
  std::set<std::string> used;
  for (const auto& spec : specs) {
    const std::string name = lookup.name(spec.name);
    const SafetensorsEntry* entry = find_parameter(file, lookup, spec.name);
    if (!entry) {
      if (lookup.may_be_absent && lookup.may_be_absent(spec.name)) continue;
      fail("{}: missing tensor \"{}\"", path, name);
    }
    if (entry->shape != spec.shape)
      fail("{}: tensor \"{}\" has shape {}, the config needs {}", path, entry->name,
           tensor::shape_string(entry->shape), tensor::shape_string(spec.shape));
    std::vector<float> values = file.read_f32(*entry);
    warn_non_finite(values, path, entry->name);
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
