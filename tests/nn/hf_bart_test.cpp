// BART-layout model directories: Hugging Face tensor names and config keys, save → load round trips
// (identical parameters and logits), lmkit's non-BART variants marked as such, and bad files refused
// with their names.
#include "lmkit/nn/hf_bart.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "lmkit/nn/safetensors.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {
namespace {

Seq2SeqConfig bart_config() {
  return {.n_encoder_layer = 2,
          .n_decoder_layer = 1,
          .n_head = 2,
          .n_embd = 8,
          .n_ffn = 12,
          .n_ctx = 10,
          .vocab_size = 15,
          .position_offset = 2,
          .activation = FfnActivation::gelu,
          .layernorm_embedding = true,
          .final_logits_bias = true,
          .pad_id = 1,
          .bos_id = 0,
          .eos_id = 2,
          .decoder_start_id = 2,
          .mask_id = 14};
}

class HfBart : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lmkit_hf_bart_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  std::filesystem::path dir_;
};

Seq2SeqBatch small_batch(const Seq2SeqConfig& c) {
  std::vector<std::vector<std::int32_t>> sources = {{3, 4, 5, 6}, {7, 8}};
  std::vector<std::vector<std::int32_t>> targets = {{9, 10}, {11, 12, 13}};
  return make_seq2seq_batch(c, sources, targets);
}

void expect_round_trip(const Seq2SeqConfig& config, const std::string& dir) {
  Seq2SeqModel model(config);
  model.init_weights(3);
  save_seq2seq_dir(model, dir, "bytes");
  LoadedSeq2Seq loaded = load_seq2seq_dir(dir);
  EXPECT_EQ(loaded.tokenizer_spec, "bytes");
  const Seq2SeqConfig& c = loaded.model->config();
  EXPECT_EQ(c.norm_first, config.norm_first);
  EXPECT_EQ(c.position, config.position);
  EXPECT_EQ(c.position_offset, config.position_offset);
  EXPECT_EQ(c.shared_embeddings, config.shared_embeddings);
  EXPECT_EQ(c.tied, config.tied);
  EXPECT_EQ(c.final_norm, config.final_norm);
  EXPECT_EQ(c.layernorm_embedding, config.layernorm_embedding);
  EXPECT_EQ(c.final_logits_bias, config.final_logits_bias);
  EXPECT_EQ(c.activation, config.activation);
  EXPECT_EQ(c.mask_id, config.mask_id);
  EXPECT_EQ(c.decoder_start_id, config.decoder_start_id);
  ASSERT_EQ(loaded.model->parameters().size(), model.parameters().size());
  EXPECT_TRUE(
      std::equal(model.parameters().begin(), model.parameters().end(), loaded.model->parameters().begin()));
  Seq2SeqBatch batch = small_batch(config);
  EXPECT_EQ(model.forward(batch), loaded.model->forward(batch));
}

TEST_F(HfBart, BartConfigWritesBartNamesAndRoundTrips) {
  const Seq2SeqConfig config = bart_config();
  ASSERT_TRUE(is_bart_compatible(config));
  expect_round_trip(config, dir());
  Json json = read_json_file(dir() + "/config.json");
  EXPECT_EQ(json["model_type"], "bart");
  EXPECT_EQ(json["d_model"], 8);
  EXPECT_EQ(json["encoder_layers"], 2);
  EXPECT_EQ(json["decoder_ffn_dim"], 12);
  EXPECT_EQ(json["max_position_embeddings"], 10);
  SafetensorsFile file = SafetensorsFile::open(dir() + "/model.safetensors");
  auto shape = [&](const std::string& name) {
    const SafetensorsEntry* e = file.find(name);
    return e ? e->shape : std::vector<std::size_t>{};
  };
  EXPECT_EQ(shape("model.shared.weight"), (std::vector<std::size_t>{15, 8}));
  EXPECT_EQ(shape("model.encoder.embed_positions.weight"), (std::vector<std::size_t>{12, 8}));
  EXPECT_EQ(shape("model.decoder.layernorm_embedding.bias"), (std::vector<std::size_t>{8}));
  EXPECT_EQ(shape("model.encoder.layers.1.self_attn.q_proj.weight"), (std::vector<std::size_t>{8, 8}));
  EXPECT_EQ(shape("model.encoder.layers.0.self_attn_layer_norm.weight"), (std::vector<std::size_t>{8}));
  EXPECT_EQ(shape("model.encoder.layers.0.fc1.weight"), (std::vector<std::size_t>{12, 8}));
  EXPECT_EQ(shape("model.encoder.layers.0.final_layer_norm.bias"), (std::vector<std::size_t>{8}));
  EXPECT_EQ(shape("model.decoder.layers.0.encoder_attn.out_proj.weight"), (std::vector<std::size_t>{8, 8}));
  EXPECT_EQ(shape("model.decoder.layers.0.encoder_attn_layer_norm.weight"), (std::vector<std::size_t>{8}));
  EXPECT_EQ(shape("model.decoder.layers.0.fc2.weight"), (std::vector<std::size_t>{8, 12}));
  EXPECT_EQ(shape("final_logits_bias"), (std::vector<std::size_t>{1, 15}));
  EXPECT_EQ(file.find("lm_head.weight"), nullptr);  // tied
  for (const auto& e : file.entries()) EXPECT_EQ(e.name.find("attention.self"), std::string::npos) << e.name;
}

TEST_F(HfBart, LmkitVariantsAreMarkedAndRoundTrip) {
  Seq2SeqConfig config = bart_config();
  config.norm_first = true;
  config.position = PositionKind::sinusoidal;
  config.shared_embeddings = false;
  config.tied = false;
  config.final_norm = true;
  config.layernorm_embedding = false;
  config.final_logits_bias = false;
  config.scale_embedding = true;
  config.activation = FfnActivation::relu;
  ASSERT_FALSE(is_bart_compatible(config));
  expect_round_trip(config, dir());
  EXPECT_EQ(read_json_file(dir() + "/config.json")["model_type"], "lmkit-seq2seq");
  SafetensorsFile file = SafetensorsFile::open(dir() + "/model.safetensors");
  EXPECT_NE(file.find("model.encoder.layer_norm.weight"), nullptr);
  EXPECT_NE(file.find("model.decoder.embed_tokens.weight"), nullptr);
  EXPECT_NE(file.find("lm_head.weight"), nullptr);
}

// transformers may store copies of the tied tables; equal copies load, different ones are refused.
TEST_F(HfBart, TiedCopiesMustEqualTheTable) {
  Seq2SeqModel model(bart_config());
  model.init_weights(4);
  save_seq2seq_dir(model, dir(), "");
  SafetensorsFile saved = SafetensorsFile::open(dir() + "/model.safetensors");
  std::vector<std::vector<float>> values;
  std::vector<NamedTensor> tensors;
  for (const auto& e : saved.entries()) values.push_back(saved.read_f32(e));
  for (std::size_t i = 0; i < saved.entries().size(); ++i)
    tensors.push_back({saved.entries()[i].name, saved.entries()[i].shape, values[i].data()});
  const ParameterSpec& shared = model.spec("shared.weight");
  std::vector<float> copy(
      model.parameters().begin() + static_cast<std::ptrdiff_t>(shared.offset),
      model.parameters().begin() + static_cast<std::ptrdiff_t>(shared.offset + shared.size));
  tensors.push_back({"model.encoder.embed_tokens.weight", shared.shape, copy.data()});
  tensors.push_back({"lm_head.weight", shared.shape, copy.data()});
  write_safetensors(dir() + "/model.safetensors", tensors, {{"format", "pt"}});
  EXPECT_NO_THROW(load_seq2seq_dir(dir()));
  copy[5] += 1.0f;
  write_safetensors(dir() + "/model.safetensors", tensors, {{"format", "pt"}});
  try {
    load_seq2seq_dir(dir());
    FAIL() << "a differing tied copy loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.encoder.embed_tokens.weight"), std::string::npos) << e.what();
  }
  tensors.pop_back();
  tensors.pop_back();
  tensors.push_back({"model.encoder.extra.weight", {2}, copy.data()});
  write_safetensors(dir() + "/model.safetensors", tensors, {{"format", "pt"}});
  EXPECT_THROW(load_seq2seq_dir(dir()), Error);
}

TEST_F(HfBart, BadConfigsAreRefusedWithTheirKey) {
  Json json = seq2seq_config_json(bart_config(), "");
  json["decoder_attention_heads"] = 4;
  try {
    seq2seq_config_from_json(json, "cfg.json");
    FAIL() << "different head counts were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.json"), std::string::npos);
  }
  json = seq2seq_config_json(bart_config(), "");
  json["activation_function"] = "swish";
  EXPECT_THROW(seq2seq_config_from_json(json, "cfg.json"), Error);
  json = seq2seq_config_json(bart_config(), "");
  json["model_type"] = "t5";
  write_json_file(dir() + "/config.json", json);
  EXPECT_THROW(load_seq2seq_dir(dir()), Error);
}

// Sizes and token ids are read as written: 10^12 is not truncated to 32 bits, -1 not wrapped, and a
// size the weights do not have is refused before the model is allocated.
TEST_F(HfBart, AbsurdFieldsAreRefusedWithTheValueAsWritten) {
  Seq2SeqModel model(bart_config());
  save_seq2seq_dir(model, dir(), "");
  const std::string path = dir() + "/config.json";
  Json config = read_json_file(path);
  config.erase("decoder_ffn_dim");  // it defaults to encoder_ffn_dim
  auto error_with = [&](const char* key, const Json& value) -> std::string {
    Json changed = config;
    changed[key] = value;
    write_json_file(path, changed);
    try {
      load_seq2seq_dir(dir());
    } catch (const Error& e) {
      return e.what();
    }
    return "accepted";
  };
  auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  std::string m = error_with("eos_token_id", 1000000000000);
  EXPECT_TRUE(has(m, path + ": field \"eos_token_id\" is 1000000000000; expected an integer from 0 to")) << m;
  m = error_with("d_model", -128);
  EXPECT_TRUE(has(m, "field \"d_model\" is -128;")) << m;
  m = error_with("encoder_layers", 1e9);
  EXPECT_TRUE(has(m, "field \"encoder_layers\" is 1000000000.0;")) << m;
  m = error_with("decoder_layers", 500);
  EXPECT_TRUE(has(m, "decoder_layers is 500 but " + dir() + "/model.safetensors holds 1 layer")) << m;
  m = error_with("max_position_embeddings", std::uint64_t{1} << 40);
  EXPECT_TRUE(has(m, "\"max_position_embeddings\" is 1099511627776;")) << m;
  m = error_with("max_position_embeddings", 100000);
  EXPECT_TRUE(has(m, "has shape (12, 8), the config needs (100002, 8)")) << m;
  m = error_with("encoder_ffn_dim", 100000);
  EXPECT_TRUE(has(m, "encoder_ffn_dim is 100000 but")) << m;
  m = error_with("vocab_size", "15");
  EXPECT_TRUE(has(m, "field \"vocab_size\" is \"15\" (a string)")) << m;
  EXPECT_EQ(error_with("eos_token_id", 2), "accepted");
}

}  // namespace
}  // namespace lmkit::nn
