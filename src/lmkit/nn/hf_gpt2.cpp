#include "lmkit/nn/hf_gpt2.hpp"

#include <algorithm>
#include <set>

#include "lmkit/nn/hf_parameters.hpp"
#include "lmkit/nn/model_limits.hpp"
#include "lmkit/nn/safetensors.hpp"
#include "lmkit/tensor/tensor.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json_fields.hpp"

namespace lmkit::nn {

namespace {

const std::string body_prefix = "transformer.";

bool is_gpt2_variant(const GptConfig& c) {
  return c.norm == NormKind::layernorm && c.position == PositionKind::learned;
}

// The file name of a parameter: GPT2LMHeadModel prefixes the body with "transformer.".
std::string file_name(const std::string& name) {
  return name == "lm_head.weight" ? name : body_prefix + name;
}

// GPT2Model checkpoints (e.g. the original gpt2) lack the "transformer." prefix.
const ParameterLookup gpt2_lookup{.name = file_name,
                                  .alternative = [](const std::string& name) { return name; }};

// The config.json field that gave n_ctx.
std::string_view context_field(const Json& json) {
  return json.contains("n_positions") ? "n_positions" : "n_ctx";
}

// Everything the header can tell about the config, before the model is allocated.
void check_against_file(const GptConfig& c, const Json& json, const SafetensorsFile& file,
                        const std::string& config_path) {
  check_config_shape(file, gpt2_lookup, "wte.weight", {{"vocab_size", c.vocab_size}, {"n_embd", c.n_embd}},
                     config_path);
  if (c.position == PositionKind::learned)
    check_config_shape(file, gpt2_lookup, "wpe.weight",
                       {{context_field(json), c.n_ctx}, {"n_embd", c.n_embd}}, config_path);
  check_config_layers(
      file, gpt2_lookup, [](std::size_t l) { return "h." + std::to_string(l) + ".ln_1.weight"; }, "n_layer",
      c.n_layer, config_path);
  check_config_size(file, c.n_parameters(), config_path);
}

}  // namespace

Json gpt2_config_json(const GptConfig& c, const std::string& tokenizer_spec) {
  Json json = {
      {"architectures", {"GPT2LMHeadModel"}},
      {"model_type", is_gpt2_variant(c) ? "gpt2" : "lmkit-gpt"},
      {"vocab_size", c.vocab_size},
      {"n_positions", c.n_ctx},
      {"n_ctx", c.n_ctx},
      {"n_embd", c.n_embd},
      {"n_layer", c.n_layer},
      {"n_head", c.n_head},
      {"n_inner", nullptr},
      {"activation_function", to_string(c.activation)},
      {"layer_norm_epsilon", c.norm_eps},
      {"tie_word_embeddings", c.tied},
      {"resid_pdrop", 0.0},
      {"embd_pdrop", 0.0},
      {"attn_pdrop", 0.0},
      {"initializer_range", 0.02},
      {"scale_attn_weights", true},
      {"torch_dtype", "float32"},
      {"lmkit", {{"norm", to_string(c.norm)}, {"position", to_string(c.position)}}},
  };
  if (!tokenizer_spec.empty()) json["lmkit"]["tokenizer"] = tokenizer_spec;
  return json;
}

GptConfig gpt_config_from_json(const Json& json, const std::string& context) {
  GptConfig c;
  c.n_layer = json_uint(json, "n_layer", context, 1, max_model_layers);
  c.n_head = json_uint(json, "n_head", context, 1, max_model_width);
  c.n_embd = json_uint(json, "n_embd", context, 1, max_model_width);
  c.n_ctx = json_uint(json, context_field(json), context, 1, max_model_positions);
  c.vocab_size = json_uint_or(json, "vocab_size", 0, context, 1, max_model_vocab_size);
  c.norm_eps = static_cast<float>(json_number_or(json, "layer_norm_epsilon", 1e-5, context, 1e-30, 1.0));
  c.tied = json_get_or<bool>(json, "tie_word_embeddings", true, context);
  std::string activation = json_get_or<std::string>(json, "activation_function", "gelu_new", context);
  if (activation == "gelu_new" || activation == "gelu_pytorch_tanh")
    c.activation = ActivationKind::gelu;
  else if (activation == "relu")
    c.activation = ActivationKind::relu;
  else
    fail("{}: activation_function \"{}\" is not supported (gelu_new, gelu_pytorch_tanh, relu)", context,
         activation);
  std::size_t n_inner = json_uint_or(json, "n_inner", 4 * c.n_embd, context, 1, max_model_ffn_width);
  if (n_inner != 4 * c.n_embd)
    fail("{}: n_inner {} is not 4 × n_embd; lmkit's MLP is 4 × wide", context, n_inner);
  if (json.contains("lmkit")) {
    const Json& extra = json["lmkit"];
    std::string where = context + " lmkit";
    std::string norm = json_get_or<std::string>(extra, "norm", "layernorm", where);
    if (norm == "layernorm")
      c.norm = NormKind::layernorm;
    else if (norm == "rmsnorm")
      c.norm = NormKind::rmsnorm;
    else
      fail("{}: norm \"{}\" is not layernorm or rmsnorm", where, norm);
    std::string position = json_get_or<std::string>(extra, "position", "learned", where);
    if (position == "learned")
      c.position = PositionKind::learned;
    else if (position == "sinusoidal")
      c.position = PositionKind::sinusoidal;
    else
      fail("{}: position \"{}\" is not learned or sinusoidal", where, position);
  }
  return c;
}

namespace {

void load_gpt2_weights(GptModel& model, const SafetensorsFile& file, const std::string& path) {
  const std::set<std::string> used =
      read_parameters(file, path, model.parameter_specs(), model.parameters(), gpt2_lookup);
  for (const auto& entry : file.entries()) {
    if (used.contains(entry.name)) continue;
    // Causal-mask buffers of older transformers versions, and a saved copy of a tied head.
    bool buffer = entry.name.ends_with(".attn.bias") || entry.name.ends_with(".attn.masked_bias");
    bool tied_head = model.config().tied && entry.name == "lm_head.weight";
    if (!buffer && !tied_head) fail("{}: unexpected tensor \"{}\" for this config", path, entry.name);
  }
}

}  // namespace

void load_gpt2_weights(GptModel& model, const std::string& path) {
  load_gpt2_weights(model, SafetensorsFile::open(path), path);
}

LoadedModel load_gpt2_dir(const std::string& dir) {
  std::string config_path = dir + "/config.json";
  Json json = read_json_file(config_path);
  std::string model_type = json_get_or<std::string>(json, "model_type", "gpt2", config_path);
  if (model_type != "gpt2" && model_type != "lmkit-gpt")
    fail("{}: model_type \"{}\" is not a GPT-2-layout model", config_path, model_type);
  GptConfig config = gpt_config_from_json(json, config_path);
  config.validate(config_path);
  const std::string weights_path = dir + "/model.safetensors";
  const SafetensorsFile file = SafetensorsFile::open(weights_path);
  check_against_file(config, json, file, config_path);
  LoadedModel loaded{GptModel(config), ""};
  if (json.contains("lmkit"))
    loaded.tokenizer_spec = json_get_or<std::string>(json["lmkit"], "tokenizer", "", config_path);
  load_gpt2_weights(loaded.model, file, weights_path);
  return loaded;
}

void save_gpt2_dir(const GptModel& model, const std::string& dir, const std::string& tokenizer_spec) {
  write_parameters(dir + "/model.safetensors", model.parameter_specs(), model.parameters(), file_name);
  write_json_file(dir + "/config.json", gpt2_config_json(model.config(), tokenizer_spec));
}

}  // namespace lmkit::nn
