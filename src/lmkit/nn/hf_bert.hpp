// Model directories in Hugging Face's BERT layout: config.json with BertConfig's keys and
// model.safetensors with BertForMaskedLM's / BertForSequenceClassification's tensor names
// ("bert.encoder.layer.0.attention.self.query.weight", torch.nn.Linear (out, in) weights; the MLM
// decoder is tied to the word embeddings and not stored). Which heads a directory has comes from
// config.json's "architectures": BertForMaskedLM / BertForPreTraining → the MLM head,
// BertForSequenceClassification → the pooler and a classifier over id2label's labels. lmkit's pre-LN
// variant is recorded under an "lmkit" key with model_type "lmkit-bert", so transformers refuses it
// instead of loading it wrongly. Tokenizer files are the caller's to write (the text module's).
#pragma once

#include <string>
#include <vector>

#include "lmkit/nn/bert.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::nn {

struct BertDirInfo {
  BertConfig config;
  std::string tokenizer_spec;       // config.json's lmkit.tokenizer; empty when absent
  std::vector<std::string> labels;  // id2label in id order (classifiers)
};

Json bert_config_json(const BertConfig& config, const std::string& tokenizer_spec,
                      const std::vector<std::string>& labels);
// Reads dir/config.json (errors name it and the key).
BertDirInfo read_bert_config(const std::string& dir);

// Copies model.safetensors' tensors at `path` into `model`, checking names and shapes. Tensors of heads
// the model lacks (pooler, classifier, MLM, next-sentence) are skipped; with init_missing_heads the
// model's pooler and classifier may be absent from the file (fine-tuning a pretrained encoder) and keep
// their values. Anything else missing or unexpected throws Error naming the file and the tensor.
void load_bert_weights(BertModel& model, const std::string& path, bool init_missing_heads = false);

// config.json + model.safetensors of `dir` as the model they describe.
BertModel load_bert_dir(const std::string& dir);

// Writes config.json and model.safetensors into the existing directory `dir` (each file atomically).
void save_bert_dir(const BertModel& model, const std::string& dir, const std::string& tokenizer_spec,
                   const std::vector<std::string>& labels);

}  // namespace lmkit::nn
