#include "lmkit/api/encoder.hpp"

#include <gtest/gtest.h>

#include "bert_fixtures.hpp"
#include "lmkit/util/error.hpp"
#include "support/temp_dir.hpp"

namespace lmkit::api {
namespace {

// The oracle: each text alone (no padding) through the MLM model's own forward, its hidden states
// pooled by hand.
std::vector<float> direct_embedding(nn::BertModel& model, const std::string& text, Pooling pooling) {
  const std::vector<std::int32_t> ids = testing::fixture_ids(text);
  const std::vector<std::int32_t> no_targets(ids.size(), -1);
  model.forward_mlm(ids.data(), nullptr, nullptr, no_targets.data(), 1, ids.size());
  const std::size_t C = model.config().hidden_size;
  const auto hidden = model.hidden_states();
  std::vector<float> v(C, 0.0f);
  for (std::size_t c = 0; c < C; ++c) {
    if (pooling == Pooling::cls) {
      v[c] = hidden[c];
      continue;
    }
    double sum = 0;
    for (std::size_t t = 0; t < ids.size(); ++t) sum += hidden[t * C + c];
    v[c] = static_cast<float>(sum / static_cast<double>(ids.size()));
  }
  return v;
}

TEST(Encoder, EmbeddingsOfAPaddedBatchAreEachTextsAlone) {
  lmkit::testing::TempDir tmp;
  const std::string dir = (tmp.path / "bert").string();
  testing::write_bert_dir(dir);
  nn::BertModel oracle = nn::load_bert_dir(dir);
  auto encoder = Encoder::load(dir);
  EXPECT_EQ(encoder->dimension(), 64u);
  const std::vector<std::string> texts = {"In the beginning God created the heaven and the earth.",
                                          "let there be", "God said"};
  for (Pooling pooling : {Pooling::cls, Pooling::mean}) {
    const auto vectors = encoder->embed(texts, {.pooling = pooling, .seq_len = 0, .batch = 3});
    ASSERT_EQ(vectors.size(), texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const std::vector<float> expected = direct_embedding(oracle, texts[i], pooling);
      ASSERT_EQ(vectors[i].size(), expected.size());
      for (std::size_t c = 0; c < expected.size(); ++c)
        EXPECT_NEAR(vectors[i][c], expected[c], 1e-4f) << "text " << i << " dim " << c;
    }
  }
  // The two poolings differ (the mean is not the [CLS] state).
  EXPECT_NE(encoder->embed({"let there be"}, {.pooling = Pooling::cls})[0],
            encoder->embed({"let there be"}, {.pooling = Pooling::mean})[0]);
}

TEST(Encoder, RefusalsNameTheField) {
  lmkit::testing::TempDir tmp;
  const std::string dir = (tmp.path / "bert").string();
  testing::write_bert_dir(dir);
  auto encoder = Encoder::load(dir);
  auto field_of = [&](EmbedOptions o) -> std::string {
    try {
      encoder->embed({"god"}, o);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "";
  };
  EXPECT_EQ(field_of({.seq_len = 100000}), "seq_len");
  EXPECT_EQ(field_of({.seq_len = 2}), "seq_len");
  EXPECT_EQ(field_of({.batch = 0}), "batch");
}

}  // namespace
}  // namespace lmkit::api
