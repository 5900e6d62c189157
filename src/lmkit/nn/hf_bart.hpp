// Encoder-decoder model directories in Hugging Face's BART layout: config.json with BartConfig's keys
// and model.safetensors with BartForConditionalGeneration's tensor names ("model.shared.weight",
// "model.encoder.layers.0.self_attn.q_proj.weight", ..., "final_logits_bias"), torch.nn.Linear's
// (out, in) weights. A config with all of BART's switches (post-LN, learned positions offset by 2,
// layernorm_embedding, shared and tied embeddings, final_logits_bias, no final norms) is written as
// model_type "bart" and loads in transformers; lmkit's other variants (pre-LN, sinusoidal positions,
// final norms, separate tables) keep BART's names but are marked model_type "lmkit-seq2seq", with
// the differences under an "lmkit" key, so transformers refuses them instead of loading them wrongly.
#pragma once

#include <memory>
#include <string>

#include "lmkit/nn/seq2seq.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::nn {

struct LoadedSeq2Seq {
  std::unique_ptr<Seq2SeqModel> model;
  std::string tokenizer_spec;  // from config.json's "lmkit" section; empty when absent
};

// Whether transformers' BartForConditionalGeneration computes exactly this model.
bool is_bart_compatible(const Seq2SeqConfig& config);

// config.json's contents for `config`.
Json seq2seq_config_json(const Seq2SeqConfig& config, const std::string& tokenizer_spec);
// A config from config.json contents (BartConfig keys, BART's defaults for lmkit's switches unless
// the "lmkit" section says otherwise); errors name `context` and the key.
Seq2SeqConfig seq2seq_config_from_json(const Json& json, const std::string& context);

// The Hugging Face name of the model's tensor `name` (see seq2seq.hpp for lmkit's names).
std::string bart_tensor_name(const std::string& name);

// Loads a model directory (config.json + model.safetensors).
LoadedSeq2Seq load_seq2seq_dir(const std::string& dir);
// Copies the tensors of the safetensors file `path` into `model`, checking names and shapes. Names
// with or without BartForConditionalGeneration's "model." prefix are accepted; the tied copies
// transformers may store (encoder/decoder embed_tokens, lm_head) must equal the table they copy.
void load_seq2seq_weights(Seq2SeqModel& model, const std::string& path);
// Writes config.json and model.safetensors into the existing directory `dir` (each file atomically).
void save_seq2seq_dir(const Seq2SeqModel& model, const std::string& dir, const std::string& tokenizer_spec);

}  // namespace lmkit::nn
