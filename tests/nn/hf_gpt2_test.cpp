// Model directories: write then load gives the same model; files in the layouts other tools write
// (no "transformer." prefix, mask buffers) load; mismatches are rejected with the tensor named.
#include "lmkit/nn/hf_gpt2.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "lmkit/nn/safetensors.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {
namespace {

class ModelDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lmkit_hf_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  std::filesystem::path dir_;
};

TEST_F(ModelDir, SaveThenLoadReproducesEveryVariant) {
  for (bool gpt2 : {true, false}) {
    GptConfig c{.n_layer = 2, .n_head = 2, .n_embd = 8, .n_ctx = 10, .vocab_size = 13};
    if (!gpt2) {
      c.norm = NormKind::rmsnorm, c.position = PositionKind::sinusoidal, c.tied = false;
      c.activation = ActivationKind::relu;
    }
    GptModel model(c);
    model.init_weights(4);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    save_gpt2_dir(model, dir(), "bytes");
    Json config = read_json_file(dir() + "/config.json");
    EXPECT_EQ(config["model_type"], gpt2 ? "gpt2" : "lmkit-gpt");
    EXPECT_EQ(config["n_positions"], 10);
    auto file = SafetensorsFile::open(dir() + "/model.safetensors");
    EXPECT_NE(file.find("transformer.h.1.mlp.c_fc.weight"), nullptr);
    EXPECT_EQ(file.find("lm_head.weight") != nullptr, !gpt2);
    LoadedModel loaded = load_gpt2_dir(dir());
    EXPECT_EQ(loaded.tokenizer_spec, "bytes");
    EXPECT_EQ(loaded.model.config().norm, c.norm);
    EXPECT_EQ(loaded.model.config().position, c.position);
    EXPECT_EQ(loaded.model.config().activation, c.activation);
    EXPECT_EQ(loaded.model.config().tied, c.tied);
    EXPECT_TRUE(std::equal(model.parameters().begin(), model.parameters().end(),
                           loaded.model.parameters().begin(), loaded.model.parameters().end()));
  }
}

TEST_F(ModelDir, LoadsUnprefixedNamesAndIgnoresMaskBuffers) {
  GptConfig c{.n_layer = 1, .n_head = 2, .n_embd = 4, .n_ctx = 3, .vocab_size = 5};
  GptModel model(c);
  model.init_weights(2);
  std::vector<NamedTensor> tensors;
  for (const auto& s : model.parameter_specs())
    tensors.push_back({s.name, s.shape, model.parameters().data() + s.offset});
  std::vector<float> mask(9, 1.0f);
  tensors.push_back({"h.0.attn.bias", {1, 1, 3, 3}, mask.data()});
  write_safetensors(dir() + "/model.safetensors", tensors, {});
  write_json_file(dir() + "/config.json", {{"n_layer", 1},
                                           {"n_head", 2},
                                           {"n_embd", 4},
                                           {"n_positions", 3},
                                           {"vocab_size", 5},
                                           {"model_type", "gpt2"}});
  LoadedModel loaded = load_gpt2_dir(dir());
  EXPECT_TRUE(
      std::equal(model.parameters().begin(), model.parameters().end(), loaded.model.parameters().begin()));
}

TEST_F(ModelDir, RejectsMismatchedShapesMissingTensorsAndUnknownActivations) {
  using ::testing::HasSubstr;
  GptConfig c{.n_layer = 1, .n_head = 2, .n_embd = 4, .n_ctx = 3, .vocab_size = 5};
  GptModel model(c);
  save_gpt2_dir(model, dir(), "");
  Json config = read_json_file(dir() + "/config.json");
  auto error_with = [&](const Json& cfg) -> std::string {
    write_json_file(dir() + "/config.json", cfg);
    try {
      load_gpt2_dir(dir());
    } catch (const Error& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_EQ(error_with(config), "accepted");
  Json wider = config;
  wider["vocab_size"] = 6;
  EXPECT_THAT(error_with(wider),
              HasSubstr("\"transformer.wte.weight\" has shape (5, 4), the config needs (6, 4)"));
  Json deeper = config;
  deeper["n_layer"] = 2;
  EXPECT_THAT(error_with(deeper), HasSubstr("missing tensor \"transformer.h.1.ln_1.weight\""));
  Json erf = config;
  erf["activation_function"] = "gelu";
  EXPECT_THAT(error_with(erf), HasSubstr("activation_function \"gelu\" is not supported"));
  Json other = config;
  other["model_type"] = "llama";
  EXPECT_THAT(error_with(other), HasSubstr("model_type \"llama\""));
  Json no_heads = config;
  no_heads.erase("n_head");
  EXPECT_THAT(error_with(no_heads), HasSubstr("missing field \"n_head\""));
}

// Absurd sizes in config.json are errors naming the file, the field and the value as written, found
// before anything is allocated (n_layer 1e9 used to grow memory without bound, n_positions 2^40 to
// abort in the allocator, -1 to wrap to 2^64 - 1).
TEST_F(ModelDir, AbsurdSizesAreRefusedBeforeAllocationWithTheValueAsWritten) {
  using ::testing::HasSubstr;
  GptConfig c{.n_layer = 1, .n_head = 2, .n_embd = 4, .n_ctx = 3, .vocab_size = 5};
  save_gpt2_dir(GptModel(c), dir(), "");
  const Json config = read_json_file(dir() + "/config.json");
  const std::string path = dir() + "/config.json";
  auto error_with = [&](const char* key, const Json& value) -> std::string {
    Json changed = config;
    changed[key] = value;
    write_json_file(path, changed);
    try {
      load_gpt2_dir(dir());
    } catch (const Error& e) {
      return e.what();
    }
    return "accepted";
  };
  EXPECT_THAT(error_with("n_layer", -1), HasSubstr(path + ": field \"n_layer\" is -1; expected an integer"));
  EXPECT_THAT(error_with("n_layer", 1e9),
              HasSubstr("field \"n_layer\" is 1000000000.0; expected an integer"));
  EXPECT_THAT(error_with("n_layer", 1000), HasSubstr(path + ": n_layer is 1000 but"));
  EXPECT_THAT(error_with("n_layer", 1000),
              HasSubstr("holds 1 layer (missing tensor \"transformer.h.1.ln_1.weight\")"));
  EXPECT_THAT(error_with("n_positions", std::uint64_t{1} << 40),
              HasSubstr("\"n_positions\" is 1099511627776"));
  EXPECT_THAT(error_with("n_positions", 1000),
              HasSubstr("n_positions is 1000 but " + dir() +
                        "/model.safetensors tensor \"transformer.wpe.weight\" "
                        "has shape (3, 4), the config needs (1000, 4)"));
  EXPECT_THAT(error_with("n_embd", -128), HasSubstr("\"n_embd\" is -128;"));
  EXPECT_THAT(error_with("n_head", -2), HasSubstr("\"n_head\" is -2;"));
  EXPECT_THAT(error_with("n_head", "2"), HasSubstr("\"n_head\" is \"2\" (a string)"));
  EXPECT_THAT(error_with("n_embd", 2.5), HasSubstr("\"n_embd\" is 2.5;"));
  EXPECT_THAT(error_with("vocab_size", 4000000000u), HasSubstr("\"vocab_size\" is 4000000000;"));
  EXPECT_THAT(error_with("layer_norm_epsilon", "small"), HasSubstr("\"layer_norm_epsilon\" is \"small\""));
  // A sinusoidal model has no position table to compare: n_ctx is bounded by the stated maximum.
  Json sinusoidal = config;
  sinusoidal["lmkit"]["position"] = "sinusoidal";
  sinusoidal["n_positions"] = 2000000;
  write_json_file(path, sinusoidal);
  try {
    load_gpt2_dir(dir());
    FAIL() << "n_positions 2000000 loaded";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"n_positions\" is 2000000; expected an integer from 1 to 1048576"));
  }
}

TEST_F(ModelDir, WeightsHoldingNaNOrInfinityLoadWithOneWarningPerTensor) {
  GptConfig c{.n_layer = 1, .n_head = 2, .n_embd = 4, .n_ctx = 3, .vocab_size = 5};
  GptModel model(c);
  model.init_weights(2);
  const ParameterSpec& attn = model.spec("h.0.attn.c_attn.weight");
  const ParameterSpec& wpe = model.spec("wpe.weight");
  model.parameters()[attn.offset + 1] = std::numeric_limits<float>::quiet_NaN();
  model.parameters()[attn.offset + 5] = std::numeric_limits<float>::quiet_NaN();
  model.parameters()[wpe.offset] = -std::numeric_limits<float>::infinity();
  save_gpt2_dir(model, dir(), "");
  std::vector<std::string> warnings;
  const WarningHandler previous = set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  LoadedModel loaded = load_gpt2_dir(dir());
  set_warning_handler(previous);
  ASSERT_EQ(warnings.size(), 2u) << ::testing::PrintToString(warnings);
  const std::string file = dir() + "/model.safetensors";
  EXPECT_THAT(warnings,
              ::testing::UnorderedElementsAre(
                  file + ": tensor \"transformer.h.0.attn.c_attn.weight\" holds 2 NaN and 0 infinite "
                         "values of 48; the model's outputs will not be numbers",
                  file + ": tensor \"transformer.wpe.weight\" holds 0 NaN and 1 infinite values of "
                         "12; the model's outputs will not be numbers"));
  // A warning, not an error: the weights are there as written.
  EXPECT_TRUE(std::isnan(loaded.model.parameters()[attn.offset + 1]));
  // A clean model loads without a word.
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  GptModel clean(c);
  clean.init_weights(2);
  save_gpt2_dir(clean, dir(), "");
  set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  load_gpt2_dir(dir());
  set_warning_handler(previous);
  EXPECT_EQ(warnings.size(), 2u);
}

TEST(GptConfig, ParameterCountSaturatesInsteadOfWrapping) {
  GptConfig c{.n_layer = 12, .n_head = 12, .n_embd = 768, .n_ctx = 1024, .vocab_size = 50257};
  EXPECT_EQ(c.n_parameters(), 124439808u);  // GPT-2 small, as transformers counts it
  c.n_embd = std::size_t{1} << 40;
  EXPECT_EQ(c.n_parameters(), std::numeric_limits<std::size_t>::max());
  EXPECT_THROW(c.validate("cfg"), Error);
}

}  // namespace
}  // namespace lmkit::nn
