// BERT (and the naive Bayes baseline it is compared with): the whole model's backward against finite
// differences for both heads (the pre-LN variant; the post-LN one is checked against PyTorch in
// tests/reference), Hugging Face directories written and read back, fine-tuning heads added to a pretrained
// checkpoint, and BERT's 80/10/10 masking.
#include "lmkit/nn/bert.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "lmkit/nn/hf_bert.hpp"
#include "lmkit/nn/naive_bayes.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"

#include "model_gradient_check.hpp"

namespace lmkit::nn {
namespace {

BertConfig tiny_config() {
  BertConfig c;
  c.vocab_size = 13;
  c.hidden_size = 8;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 16;
  c.max_position_embeddings = 6;
  c.num_labels = 3;
  c.pre_norm = true;
  c.layer_norm_eps = 1e-5f;
  return c;
}

struct Batch {  // (2, 5), the second sequence 3 long
  std::vector<std::int32_t> tokens = {2, 7, 5, 9, 3, 2, 11, 3, 0, 0};
  std::vector<std::int32_t> types = {0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
  std::vector<std::uint8_t> valid = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  std::vector<std::int32_t> targets = {-1, 4, -1, 12, -1, -1, 6, -1, -1, -1};
  std::vector<std::int32_t> labels = {2, 1};
};

void check_gradients(bool classify) {
  BertModel model(tiny_config());
  model.init_weights(5);
  for (float& p : model.parameters()) p = p * 10.0f + 0.05f;  // every path visible in the loss
  Batch b;
  auto loss = [&] {
    return static_cast<double>(
        classify
            ? model.forward_classify(b.tokens.data(), b.types.data(), b.valid.data(), b.labels.data(), 2, 5)
            : model.forward_mlm(b.tokens.data(), b.types.data(), b.valid.data(), b.targets.data(), 2, 5));
  };
  testing::expect_model_gradients(model, loss, {.per_tensor = 3, .abs_tol = 3e-3});
}

TEST(Bert, MlmGradientsMatchFiniteDifferences) { check_gradients(false); }
TEST(Bert, ClassifierGradientsMatchFiniteDifferences) { check_gradients(true); }

TEST(Bert, SavedDirectoryLoadsBackIdentically) {
  auto dir = std::filesystem::temp_directory_path() / "lmkit-bert-test-dir";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  BertModel model(tiny_config());
  model.init_weights(9);
  save_bert_dir(model, dir.string(), "some/tokenizer", {"OT", "NT", "other"});
  BertDirInfo info = read_bert_config(dir.string());
  EXPECT_EQ(info.labels, (std::vector<std::string>{"OT", "NT", "other"}));
  EXPECT_EQ(info.tokenizer_spec, "some/tokenizer");
  EXPECT_TRUE(info.config.pre_norm);
  EXPECT_EQ(read_json_file((dir / "config.json").string())["model_type"], "lmkit-bert");
  BertModel loaded = load_bert_dir(dir.string());
  ASSERT_EQ(loaded.parameters().size(), model.parameters().size());
  for (std::size_t i = 0; i < model.parameters().size(); ++i)
    ASSERT_EQ(loaded.parameters()[i], model.parameters()[i]);

  // A pretrained MLM checkpoint gains a classifier: the encoder is loaded, the new heads stay as initialized.
  BertConfig mlm_only = tiny_config();
  mlm_only.num_labels = 0;
  BertModel pretrained(mlm_only);
  pretrained.init_weights(3);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  save_bert_dir(pretrained, dir.string(), "", {});
  BertConfig with_head = tiny_config();
  with_head.mlm_head = false;
  BertModel classifier(with_head);
  classifier.init_weights(4);
  EXPECT_THROW(load_bert_weights(classifier, (dir / "model.safetensors").string()), Error);
  load_bert_weights(classifier, (dir / "model.safetensors").string(), true);
  const auto& word = classifier.table().spec("bert.embeddings.word_embeddings.weight");
  EXPECT_EQ(classifier.parameters()[word.offset + 5], pretrained.parameters()[word.offset + 5]);
  std::filesystem::remove_all(dir);
}

// config.json's sizes are read as written and compared with model.safetensors before allocation.
TEST(Bert, AbsurdConfigSizesAreRefusedWithTheValueAsWritten) {
  auto dir = std::filesystem::temp_directory_path() / ("lmkit-bert-limits-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  save_bert_dir(BertModel(tiny_config()), dir.string(), "", {"a", "b", "c"});
  const std::string path = (dir / "config.json").string();
  const Json config = read_json_file(path);
  auto error_with = [&](const char* key, const Json& value) -> std::string {
    Json changed = config;
    changed[key] = value;
    write_json_file(path, changed);
    try {
      load_bert_dir(dir.string());
    } catch (const Error& e) {
      return e.what();
    }
    return "accepted";
  };
  auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos;
  };
  std::string m = error_with("num_hidden_layers", -1);
  EXPECT_TRUE(has(m, path + ": field \"num_hidden_layers\" is -1; expected an integer from 1 to 1024")) << m;
  m = error_with("num_hidden_layers", 1000);
  EXPECT_TRUE(has(m, "num_hidden_layers is 1000 but")) << m;
  m = error_with("max_position_embeddings", std::uint64_t{1} << 40);
  EXPECT_TRUE(has(m, "\"max_position_embeddings\" is 1099511627776;")) << m;
  m = error_with("intermediate_size", 200000);
  EXPECT_TRUE(has(m, "intermediate_size is 200000 but")) << m;
  m = error_with("hidden_size", "64");
  EXPECT_TRUE(has(m, "\"hidden_size\" is \"64\" (a string)")) << m;
  std::filesystem::remove_all(dir);
}

TEST(Bert, RejectsBadInputs) {
  BertModel model(tiny_config());
  Batch b;
  b.tokens[3] = 13;
  EXPECT_THROW(model.forward_mlm(b.tokens.data(), nullptr, nullptr, nullptr, 2, 5), Error);
  Batch c;
  c.labels[0] = 3;
  EXPECT_THROW(model.forward_classify(c.tokens.data(), nullptr, nullptr, c.labels.data(), 2, 5), Error);
  std::vector<std::int32_t> long_tokens(7, 1);
  EXPECT_THROW(model.forward_mlm(long_tokens.data(), nullptr, nullptr, nullptr, 1, 7), Error);
  EXPECT_THROW(model.backward(), Error);
}

TEST(Bert, MaskingChoosesFifteenPercentAndSplits80_10_10) {
  const std::size_t n = 200000;
  std::vector<std::int32_t> tokens(n), inputs, targets;
  std::vector<std::uint8_t> maskable(n, 1);
  for (std::size_t i = 0; i < n; ++i) tokens[i] = static_cast<std::int32_t>(5 + i % 20);
  for (std::size_t i = 0; i < n; i += 10) maskable[i] = 0;
  std::mt19937_64 rng(1);
  mask_tokens(tokens, maskable, 0.15f, 4, 5, 25, rng, inputs, targets);
  std::size_t chosen = 0, masked = 0, kept = 0, random = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (targets[i] < 0) {
      EXPECT_EQ(inputs[i], tokens[i]);
      continue;
    }
    ASSERT_TRUE(maskable[i]) << i;
    ASSERT_EQ(targets[i], tokens[i]);
    ++chosen;
    if (inputs[i] == 4)
      ++masked;
    else if (inputs[i] == tokens[i])
      ++kept;  // includes random draws that hit the same token (1 in 20 of the random 10%)
    else
      ++random;
    EXPECT_GE(inputs[i], 4);
  }
  const double c = static_cast<double>(chosen);
  EXPECT_NEAR(c / (0.9 * n), 0.15, 0.005);
  EXPECT_NEAR(masked / c, 0.80, 0.01);
  EXPECT_NEAR(random / c, 0.10 * 19 / 20, 0.01);
  EXPECT_NEAR(kept / c, 0.10 + 0.10 / 20, 0.01);
}

}  // namespace
}  // namespace lmkit::nn

namespace lmkit::nn {
namespace {

TEST(NaiveBayes, MatchesTheTextbookExample) {
  // Manning, Raghavan & Schütze, Introduction to Information Retrieval, example 13.1: the test
  // document "Chinese Chinese Chinese Tokyo Japan" is class c (china) with P ∝ 3/4 · (3/7)³ · 1/14 · 1/14
  // ≈ 0.0003 against 1/4 · (2/9)³ · 2/9 · 2/9 ≈ 0.0001.
  using W = std::vector<std::string>;
  NaiveBayes nb(2);
  nb.add(W{"Chinese", "Beijing", "Chinese"}, 0);
  nb.add(W{"Chinese", "Chinese", "Shanghai"}, 0);
  nb.add(W{"Chinese", "Macao"}, 0);
  nb.add(W{"Tokyo", "Japan", "Chinese"}, 1);
  EXPECT_EQ(nb.vocabulary_size(), 6u);
  W test{"Chinese", "Chinese", "Chinese", "Tokyo", "Japan", "Unseen"};
  auto scores = nb.log_scores(test);
  EXPECT_NEAR(std::exp(scores[0]), 0.75 * std::pow(3.0 / 7, 3) * (1.0 / 14) * (1.0 / 14), 1e-9);
  EXPECT_NEAR(std::exp(scores[1]), 0.25 * std::pow(2.0 / 9, 3) * (2.0 / 9) * (2.0 / 9), 1e-9);
  EXPECT_EQ(nb.predict(test), 0u);
  EXPECT_EQ(nb.predict(W{"Tokyo", "Japan"}), 1u);
  EXPECT_THROW(nb.add(W{"x"}, 2), Error);
}

}  // namespace
}  // namespace lmkit::nn
