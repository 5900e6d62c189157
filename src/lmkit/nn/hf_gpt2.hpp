// Model directories in Hugging Face's GPT-2 layout: config.json with GPT2Config's keys and
// model.safetensors with GPT2LMHeadModel's tensor names ("transformer.h.0.attn.c_attn.weight", Conv1D
// weights stored (in, out), no lm_head when it is tied to wte). Checkpoints made by transformers load
// here, and the ones written here load in transformers. lmkit's variants that GPT-2 lacks (RMSNorm,
// sinusoidal positions) are recorded under an "lmkit" key and given model_type "lmkit-gpt", so
// transformers refuses them instead of loading them wrongly.
#pragma once

#include <string>

#include "lmkit/nn/gpt.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::nn {

struct LoadedModel {
  GptModel model;
  std::string tokenizer_spec;  // from config.json's "lmkit" section; empty when absent
};

// config.json's contents for `config`.
Json gpt2_config_json(const GptConfig& config, const std::string& tokenizer_spec);
// A GptConfig from config.json contents (GPT-2 keys; errors name `context` and the key).
GptConfig gpt_config_from_json(const Json& json, const std::string& context);

// Loads a model directory (config.json + model.safetensors).
LoadedModel load_gpt2_dir(const std::string& dir);
// Copies the tensors of model.safetensors in `path` into `model`, checking names and shapes.
void load_gpt2_weights(GptModel& model, const std::string& path);
// Writes config.json and model.safetensors into the existing directory `dir` (each file atomically).
void save_gpt2_dir(const GptModel& model, const std::string& dir, const std::string& tokenizer_spec);

}  // namespace lmkit::nn
