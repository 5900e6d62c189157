#include "lmkit/nn/hf_bart.hpp"

#include <fmt/format.h>

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

// The encoder stack's BERT-style layer names (nn/encoder.hpp) and BART's, longest match first.
const std::pair<const char*, const char*> encoder_layer_names[] = {
    {"attention.self.query.", "self_attn.q_proj."},
    {"attention.self.key.", "self_attn.k_proj."},
    {"attention.self.value.", "self_attn.v_proj."},
    {"attention.output.dense.", "self_attn.out_proj."},
    {"attention.output.LayerNorm.", "self_attn_layer_norm."},
    {"intermediate.dense.", "fc1."},
    {"output.dense.", "fc2."},
    {"output.LayerNorm.", "final_layer_norm."},
};

// A token id of config.json: 0 to 2^31 - 1, shown as written when it is not.
std::int32_t token_id(const Json& json, std::string_view key, std::int64_t fallback,
                      const std::string& context) {
  return static_cast<std::int32_t>(json_int_or(json, key, fallback, context, 0, INT32_MAX));
}

std::string position_name(PositionKind kind) {
  return kind == PositionKind::learned ? "learned" : "sinusoidal";
}

}  // namespace

bool is_bart_compatible(const Seq2SeqConfig& c) {
  return !c.norm_first && c.position == PositionKind::learned && c.position_offset == 2 &&
         c.layernorm_embedding && !c.final_norm && c.shared_embeddings && c.tied && c.final_logits_bias &&
         c.norm_eps == 1e-5f;
}

std::string bart_tensor_name(const std::string& name) {
  if (name == "lm_head.weight" || name == "final_logits_bias") return name;
  const std::string layer_prefix = "encoder.layer.";
  if (name.starts_with(layer_prefix)) {
    const std::size_t dot = name.find('.', layer_prefix.size());
    const std::string index = name.substr(layer_prefix.size(), dot - layer_prefix.size());
    const std::string rest = name.substr(dot + 1);
    for (const auto& [from, to] : encoder_layer_names)
      if (rest.starts_with(from))
        return "model.encoder.layers." + index + "." + to + rest.substr(std::string(from).size());
    fail("no BART name for encoder tensor \"{}\"", name);
  }
  if (name.starts_with("encoder.final_layer_norm.")) return "model.encoder.layer_norm." + name.substr(25);
  return "model." + name;
}

Json seq2seq_config_json(const Seq2SeqConfig& c, const std::string& tokenizer_spec) {
  const bool bart = is_bart_compatible(c);
  Json json = {
      {"architectures", {"BartForConditionalGeneration"}},
      {"model_type", bart ? "bart" : "lmkit-seq2seq"},
      {"is_encoder_decoder", true},
      {"vocab_size", c.vocab_size},
      {"d_model", c.n_embd},
      {"encoder_layers", c.n_encoder_layer},
      {"decoder_layers", c.n_decoder_layer},
      {"encoder_attention_heads", c.n_head},
      {"decoder_attention_heads", c.n_head},
      {"encoder_ffn_dim", c.n_ffn},
      {"decoder_ffn_dim", c.n_ffn},
      {"max_position_embeddings", c.n_ctx},
      {"activation_function", to_string(c.activation)},
      {"scale_embedding", c.scale_embedding},
      {"tie_word_embeddings", c.tied},
      {"pad_token_id", c.pad_id},
      {"bos_token_id", c.bos_id},
      {"eos_token_id", c.eos_id},
      {"decoder_start_token_id", c.decoder_start_id},
      {"forced_eos_token_id", c.eos_id},
      {"dropout", 0.0},
      {"attention_dropout", 0.0},
      {"activation_dropout", 0.0},
      {"classifier_dropout", 0.0},
      {"init_std", 0.02},
      {"torch_dtype", "float32"},
      {"lmkit",
       {{"norm_first", c.norm_first},
        {"position", position_name(c.position)},
        {"position_offset", c.position_offset},
        {"shared_embeddings", c.shared_embeddings},
        {"layernorm_embedding", c.layernorm_embedding},
        {"final_norm", c.final_norm},
        {"final_logits_bias", c.final_logits_bias},
        {"layer_norm_eps", std::stod(fmt::format("{}", c.norm_eps))}}},  // 1e-05, not 9.99999974e-06
  };
  if (c.mask_id >= 0) json["lmkit"]["mask_token_id"] = c.mask_id;
  if (!tokenizer_spec.empty()) json["lmkit"]["tokenizer"] = tokenizer_spec;
  return json;
}

Seq2SeqConfig seq2seq_config_from_json(const Json& json, const std::string& context) {
  Seq2SeqConfig c;
  c.n_embd = json_uint(json, "d_model", context, 1, max_model_width);
  c.n_encoder_layer = json_uint(json, "encoder_layers", context, 1, max_model_layers);
  c.n_decoder_layer = json_uint(json, "decoder_layers", context, 1, max_model_layers);
  c.n_head = json_uint(json, "encoder_attention_heads", context, 1, max_model_width);
  if (json_uint_or(json, "decoder_attention_heads", c.n_head, context, 1, max_model_width) != c.n_head)
    fail("{}: encoder_attention_heads and decoder_attention_heads differ; lmkit needs them equal", context);
  c.n_ffn = json_uint(json, "encoder_ffn_dim", context, 1, max_model_ffn_width);
  if (json_uint_or(json, "decoder_ffn_dim", c.n_ffn, context, 1, max_model_ffn_width) != c.n_ffn)
    fail("{}: encoder_ffn_dim and decoder_ffn_dim differ; lmkit needs them equal", context);
  c.n_ctx = json_uint(json, "max_position_embeddings", context, 1, max_model_positions);
  c.vocab_size = json_uint_or(json, "vocab_size", 0, context, 1, max_model_vocab_size);
  c.activation =
      ffn_activation_from_string(json_get_or<std::string>(json, "activation_function", "gelu", context),
                                 context + " activation_function");
  c.scale_embedding = json_get_or<bool>(json, "scale_embedding", false, context);
  c.tied = json_get_or<bool>(json, "tie_word_embeddings", true, context);
  c.pad_id = token_id(json, "pad_token_id", 1, context);
  c.bos_id = token_id(json, "bos_token_id", 0, context);
  c.eos_id = token_id(json, "eos_token_id", 2, context);
  c.decoder_start_id = token_id(json, "decoder_start_token_id", c.eos_id, context);
  if (json_get_or<bool>(json, "normalize_before", false, context) ||
      json_get_or<bool>(json, "add_final_layer_norm", false, context))
    fail(
        "{}: normalize_before / add_final_layer_norm (mBART) are not BART; lmkit reads them from its own "
        "section",
        context);
  // BART's switches, unless lmkit's section says otherwise.
  c.norm_first = false;
  c.position = PositionKind::learned;
  c.position_offset = 2;
  c.shared_embeddings = true;
  c.layernorm_embedding = true;
  c.final_norm = false;
  c.final_logits_bias = true;
  c.norm_eps = 1e-5f;
  if (json.contains("lmkit")) {
    const Json& extra = json["lmkit"];
    const std::string where = context + " lmkit";
    c.norm_first = json_get_or<bool>(extra, "norm_first", c.norm_first, where);
    const std::string position = json_get_or<std::string>(extra, "position", "learned", where);
    if (position == "learned")
      c.position = PositionKind::learned;
    else if (position == "sinusoidal")
      c.position = PositionKind::sinusoidal;
    else
      fail("{}: position \"{}\" is not learned or sinusoidal", where, position);
    c.position_offset = json_uint_or(extra, "position_offset", c.position_offset, where, 0, 1024);
    c.shared_embeddings = json_get_or<bool>(extra, "shared_embeddings", c.shared_embeddings, where);
    c.layernorm_embedding = json_get_or<bool>(extra, "layernorm_embedding", c.layernorm_embedding, where);
    c.final_norm = json_get_or<bool>(extra, "final_norm", c.final_norm, where);
    c.final_logits_bias = json_get_or<bool>(extra, "final_logits_bias", c.final_logits_bias, where);
    c.norm_eps = static_cast<float>(json_number_or(extra, "layer_norm_eps", c.norm_eps, where, 1e-30, 1.0));
    c.mask_id = static_cast<std::int32_t>(json_int_or(extra, "mask_token_id", -1, where, -1, INT32_MAX));
  }
  return c;
}

namespace {

// BartModel checkpoints lack "model.".
std::string base_model_name(const std::string& name) {
  const std::string hf = bart_tensor_name(name);
  return hf.starts_with("model.") ? hf.substr(6) : std::string();
}

const ParameterLookup bart_lookup{.name = bart_tensor_name, .alternative = base_model_name};

// Everything the header can tell about the config, before the model is allocated.
void check_against_file(const Seq2SeqConfig& c, const SafetensorsFile& file, const std::string& config_path) {
  const std::string tokens = c.shared_embeddings ? "shared.weight" : "encoder.embed_tokens.weight";
  check_config_shape(file, bart_lookup, tokens, {{"vocab_size", c.vocab_size}, {"d_model", c.n_embd}},
                     config_path);
  if (c.position == PositionKind::learned)
    check_config_shape(
        file, bart_lookup, "encoder.embed_positions.weight",
        {{"max_position_embeddings + position_offset", c.n_ctx + c.position_offset}, {"d_model", c.n_embd}},
        config_path);
  check_config_layers(
      file, bart_lookup,
      [](std::size_t l) { return "encoder.layer." + std::to_string(l) + ".output.dense.weight"; },
      "encoder_layers", c.n_encoder_layer, config_path);
  check_config_layers(
      file, bart_lookup, [](std::size_t l) { return "decoder.layers." + std::to_string(l) + ".fc2.weight"; },
      "decoder_layers", c.n_decoder_layer, config_path);
  check_config_shape(file, bart_lookup, "encoder.layer.0.intermediate.dense.weight",
                     {{"encoder_ffn_dim", c.n_ffn}, {"d_model", c.n_embd}}, config_path);
}

void load_seq2seq_weights(Seq2SeqModel& model, const SafetensorsFile& file, const std::string& path) {
  const std::set<std::string> used =
      read_parameters(file, path, model.parameter_specs(), model.parameters(), bart_lookup);
  const Seq2SeqConfig& c = model.config();
  for (const auto& entry : file.entries()) {
    if (used.contains(entry.name)) continue;
    std::string name = entry.name.starts_with("model.") ? entry.name.substr(6) : entry.name;
    // transformers may store the tied tables' copies; they must be the table itself.
    std::string source;
    if (c.shared_embeddings &&
        (name == "encoder.embed_tokens.weight" || name == "decoder.embed_tokens.weight"))
      source = "shared.weight";
    else if (c.tied && name == "lm_head.weight")
      source = c.shared_embeddings ? "shared.weight" : "decoder.embed_tokens.weight";
    if (source.empty()) fail("{}: unexpected tensor \"{}\" for this config", path, entry.name);
    const ParameterSpec& spec = model.spec(source);
    std::vector<float> values = file.read_f32(entry);
    auto table = model.parameters().subspan(spec.offset, spec.size);
    if (entry.shape != spec.shape || !std::equal(values.begin(), values.end(), table.begin()))
      fail("{}: tensor \"{}\" should be a copy of the tied \"{}\" but differs", path, entry.name,
           bart_tensor_name(source));
  }
}

}  // namespace

void load_seq2seq_weights(Seq2SeqModel& model, const std::string& path) {
  load_seq2seq_weights(model, SafetensorsFile::open(path), path);
}

LoadedSeq2Seq load_seq2seq_dir(const std::string& dir) {
  const std::string config_path = dir + "/config.json";
  Json json = read_json_file(config_path);
  const std::string model_type = json_get_or<std::string>(json, "model_type", "bart", config_path);
  if (model_type != "bart" && model_type != "lmkit-seq2seq")
    fail("{}: model_type \"{}\" is not a BART-layout encoder-decoder", config_path, model_type);
  Seq2SeqConfig config = seq2seq_config_from_json(json, config_path);
  config.validate(config_path);
  const std::string weights_path = dir + "/model.safetensors";
  const SafetensorsFile file = SafetensorsFile::open(weights_path);
  check_against_file(config, file, config_path);
  LoadedSeq2Seq loaded{std::make_unique<Seq2SeqModel>(config), ""};
  if (json.contains("lmkit"))
    loaded.tokenizer_spec = json_get_or<std::string>(json["lmkit"], "tokenizer", "", config_path);
  load_seq2seq_weights(*loaded.model, file, weights_path);
  return loaded;
}

void save_seq2seq_dir(const Seq2SeqModel& model, const std::string& dir, const std::string& tokenizer_spec) {
  write_parameters(dir + "/model.safetensors", model.parameter_specs(), model.parameters(), bart_tensor_name);
  write_json_file(dir + "/config.json", seq2seq_config_json(model.config(), tokenizer_spec));
}

}  // namespace lmkit::nn
