#include "lmkit/nn/hf_bert.hpp"

#include <algorithm>
#include <set>

#include <filesystem>

#include "lmkit/nn/hf_parameters.hpp"
#include "lmkit/nn/model_limits.hpp"
#include "lmkit/nn/safetensors.hpp"
#include "lmkit/tensor/tensor.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json_fields.hpp"

namespace lmkit::nn {

namespace {

const ParameterLookup bert_lookup{.name = [](const std::string& name) { return name; }};

// Everything the header of `weights_path` can tell about the config, before a model is allocated.
void check_against_file(const BertConfig& c, const std::string& weights_path,
                        const std::string& config_path) {
  const SafetensorsFile file = SafetensorsFile::open(weights_path);
  const std::string emb = "bert.embeddings.";
  check_config_shape(file, bert_lookup, emb + "word_embeddings.weight",
                     {{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size}}, config_path);
  check_config_shape(file, bert_lookup, emb + "position_embeddings.weight",
                     {{"max_position_embeddings", c.max_position_embeddings}, {"hidden_size", c.hidden_size}},
                     config_path);
  check_config_shape(file, bert_lookup, emb + "token_type_embeddings.weight",
                     {{"type_vocab_size", c.type_vocab_size}, {"hidden_size", c.hidden_size}}, config_path);
  check_config_layers(
      file, bert_lookup,
      [](std::size_t l) { return "bert.encoder.layer." + std::to_string(l) + ".output.dense.weight"; },
      "num_hidden_layers", c.num_hidden_layers, config_path);
  check_config_shape(file, bert_lookup, "bert.encoder.layer.0.intermediate.dense.weight",
                     {{"intermediate_size", c.intermediate_size}, {"hidden_size", c.hidden_size}},
                     config_path);
  if (c.num_labels > 0)
    check_config_shape(file, bert_lookup, "classifier.weight",
                       {{"id2label's size", c.num_labels}, {"hidden_size", c.hidden_size}}, config_path);
}

bool is_head_tensor(const std::string& name) {
  return name.starts_with("cls.") || name.starts_with("bert.pooler.") || name.starts_with("classifier.");
}

}  // namespace

Json bert_config_json(const BertConfig& c, const std::string& tokenizer_spec,
                      const std::vector<std::string>& labels) {
  Json architectures = Json::array();
  if (c.mlm_head) architectures.push_back("BertForMaskedLM");
  if (c.num_labels > 0) architectures.push_back("BertForSequenceClassification");
  Json json = {
      {"architectures", architectures},
      {"model_type", c.pre_norm ? "lmkit-bert" : "bert"},
      {"vocab_size", c.vocab_size},
      {"hidden_size", c.hidden_size},
      {"num_hidden_layers", c.num_hidden_layers},
      {"num_attention_heads", c.num_attention_heads},
      {"intermediate_size", c.intermediate_size},
      {"hidden_act", to_string(c.hidden_act)},
      {"hidden_dropout_prob", 0.0},
      {"attention_probs_dropout_prob", 0.0},
      {"max_position_embeddings", c.max_position_embeddings},
      {"type_vocab_size", c.type_vocab_size},
      {"initializer_range", 0.02},
      {"layer_norm_eps", c.layer_norm_eps},
      {"pad_token_id", 0},
      {"position_embedding_type", "absolute"},
      {"torch_dtype", "float32"},
      {"lmkit", {{"pre_norm", c.pre_norm}}},
  };
  if (c.num_labels > 0) {
    Json id2label = Json::object(), label2id = Json::object();
    for (std::size_t i = 0; i < c.num_labels; ++i) {
      std::string name = i < labels.size() ? labels[i] : "LABEL_" + std::to_string(i);
      id2label[std::to_string(i)] = name;
      label2id[name] = i;
    }
    json["id2label"] = id2label;
    json["label2id"] = label2id;
    json["num_labels"] = c.num_labels;
  }
  if (!tokenizer_spec.empty()) json["lmkit"]["tokenizer"] = tokenizer_spec;
  return json;
}

BertDirInfo read_bert_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  Json json = read_json_file(path);
  std::string model_type = json_get_or<std::string>(json, "model_type", "bert", path);
  if (model_type != "bert" && model_type != "lmkit-bert")
    fail("{}: model_type \"{}\" is not a BERT model", path, model_type);
  BertDirInfo info;
  BertConfig& c = info.config;
  c.vocab_size = json_uint(json, "vocab_size", path, 1, max_model_vocab_size);
  c.hidden_size = json_uint(json, "hidden_size", path, 1, max_model_width);
  c.num_hidden_layers = json_uint(json, "num_hidden_layers", path, 1, max_model_layers);
  c.num_attention_heads = json_uint(json, "num_attention_heads", path, 1, max_model_width);
  c.intermediate_size = json_uint(json, "intermediate_size", path, 1, max_model_ffn_width);
  c.max_position_embeddings = json_uint(json, "max_position_embeddings", path, 1, max_model_positions);
  c.type_vocab_size = json_uint_or(json, "type_vocab_size", 2, path, 1, max_model_vocab_size);
  c.layer_norm_eps = static_cast<float>(json_number_or(json, "layer_norm_eps", 1e-12, path, 1e-30, 1.0));
  c.hidden_act =
      encoder_activation_from_string(json_get_or<std::string>(json, "hidden_act", "gelu", path), path);
  std::string position = json_get_or<std::string>(json, "position_embedding_type", "absolute", path);
  if (position != "absolute")
    fail("{}: position_embedding_type \"{}\" is not supported (absolute)", path, position);
  std::set<std::string> architectures;
  if (json.contains("architectures") && json["architectures"].is_array())
    for (const auto& a : json["architectures"])
      if (a.is_string()) architectures.insert(a.get<std::string>());
  c.mlm_head = architectures.contains("BertForMaskedLM") || architectures.contains("BertForPreTraining");
  c.num_labels = 0;
  if (architectures.contains("BertForSequenceClassification")) {
    if (!json.contains("id2label") || !json["id2label"].is_object())
      fail("{}: a sequence classifier needs id2label", path);
    const Json& id2label = json["id2label"];
    c.num_labels = id2label.size();
    info.labels.resize(c.num_labels);
    for (const auto& [key, value] : id2label.items()) {
      std::size_t id = 0;
      try {
        id = std::stoul(key);
      } catch (const std::exception&) {
        fail("{}: id2label key \"{}\" is not a number", path, key);
      }
      if (id >= c.num_labels || !value.is_string())
        fail("{}: id2label entry \"{}\" is not a label id in range", path, key);
      info.labels[id] = value.get<std::string>();
    }
  }
  if (json.contains("lmkit") && json["lmkit"].is_object()) {
    c.pre_norm = json_get_or<bool>(json["lmkit"], "pre_norm", false, path + " lmkit");
    info.tokenizer_spec = json_get_or<std::string>(json["lmkit"], "tokenizer", "", path + " lmkit");
  }
  if (!c.mlm_head && c.num_labels == 0)
    fail("{}: architectures name no head lmkit has (BertForMaskedLM, BertForSequenceClassification)", path);
  c.validate(path);
  // A directory without weights is a config to start from; one with weights must match them.
  const std::string weights_path = dir + "/model.safetensors";
  if (std::filesystem::exists(weights_path)) check_against_file(c, weights_path, path);
  return info;
}

void load_bert_weights(BertModel& model, const std::string& path, bool init_missing_heads) {
  SafetensorsFile file = SafetensorsFile::open(path);
  auto new_head = [&](const std::string& name) {  // a pretrained encoder has no classifier yet
    return init_missing_heads && (name.starts_with("bert.pooler.") || name.starts_with("classifier."));
  };
  const std::set<std::string> used =
      read_parameters(file, path, model.parameter_specs(), model.parameters(),
                      {.name = [](const std::string& name) { return name; }, .may_be_absent = new_head});
  for (const auto& entry : file.entries()) {
    if (used.contains(entry.name)) continue;
    // Heads this model does not have, the tied decoder, and the position_ids buffer of older versions.
    if (is_head_tensor(entry.name) || entry.name == "bert.embeddings.position_ids") continue;
    fail("{}: unexpected tensor \"{}\" for this config", path, entry.name);
  }
}

BertModel load_bert_dir(const std::string& dir) {
  BertModel model(read_bert_config(dir).config);
  load_bert_weights(model, dir + "/model.safetensors");
  return model;
}

void save_bert_dir(const BertModel& model, const std::string& dir, const std::string& tokenizer_spec,
                   const std::vector<std::string>& labels) {
  write_parameters(dir + "/model.safetensors", model.parameter_specs(), model.parameters(),
                   [](const std::string& name) { return name; });
  write_json_file(dir + "/config.json", bert_config_json(model.config(), tokenizer_spec, labels));
}

}  // namespace lmkit::nn
