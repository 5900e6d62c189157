#include "lmkit/lm/hybrid.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "../ngram/test_index.hpp"
#include "lmkit/lm/smoothed_ngram.hpp"
#include "lmkit/util/error.hpp"

using namespace lmkit;
using lmkit::lm::MixturePoint;

TEST(TuneMixture, FindsTheAnalyticOptimum) {
  // Half the points: p∞ = 1, p_neural = 0.2; half: p∞ = 0, p_neural = 0.8 (all dense).
  // d/dλ [log(0.2 + 0.8λ) + log(0.8 − 0.8λ)] = 0  ⇒  0.8(1 − λ) = 0.2 + 0.8λ  ⇒  λ = 0.375.
  std::vector<MixturePoint> points;
  for (int i = 0; i < 10; ++i) {
    points.push_back({1.0, 0.2, false});
    points.push_back({0.0, 0.8, false});
  }
  // Sparse points where the ∞-gram is always right: λ_sparse = 1.
  for (int i = 0; i < 5; ++i) points.push_back({1.0, 0.3, true});
  lm::MixtureWeights weights = lm::tune_mixture(points);
  EXPECT_NEAR(weights.lambda_dense, 0.375, 1e-6);
  EXPECT_NEAR(weights.lambda_sparse, 1.0, 1e-6);
}

TEST(TuneMixture, NeverWorseThanEitherModelAlone) {
  std::vector<MixturePoint> points = {
      {0.0, 0.1, false}, {0.9, 0.2, false}, {0.0, 0.5, true}, {1.0, 0.4, true}, {0.0, 0.3, true}};
  lm::MixtureWeights weights = lm::tune_mixture(points);
  double hybrid = 0, neural = 0;
  for (const auto& p : points) {
    hybrid += lm::mixture_log_prob(p, weights);
    neural += std::log(p.p_neural);
  }
  EXPECT_GE(hybrid, neural);
  EXPECT_GE(weights.lambda_sparse, 0.0);
  EXPECT_LE(weights.lambda_sparse, 1.0);
  EXPECT_THROW(lm::tune_mixture(std::vector<MixturePoint>{{0.5, 0.0, false}}), Error);
}

TEST(HybridLM, MixesTheTwoDistributionsByTheEstimateSparsity) {
  std::vector<ngram::testing::TestShard> shards = {{{{1, 2, 3, 1, 2, 4}, ""}, {{0, 1, 2, 3}, ""}}};
  ngram::testing::TempDir dir;
  ngram::testing::write_test_index(dir.path(), shards, 2, 1);
  std::shared_ptr<ngram::testing::TestIndex> opened =
      ngram::testing::open_test_index(dir.path(), shards.size(), {2, 5});
  std::shared_ptr<const ngram::Engine> engine(opened, opened->engine.get());
  auto infgram = std::make_shared<lm::InfgramLM>(engine, 6);
  auto counts = std::make_shared<lm::NgramCounts>(2, 6);
  counts->add_document(std::vector<std::uint32_t>{1, 2, 3, 1, 2, 4, 0, 1, 2, 3});
  counts->finalize();
  auto neural = std::make_shared<lm::KneserNeyLM>(counts);
  lm::HybridLM hybrid(infgram, neural, {0.9, 0.3});

  // After "0 1": the ∞-gram has seen only "2" (sparse) → λ = 0.9.
  std::vector<std::uint32_t> context = {0, 1};
  auto mixed = hybrid.next_token_distribution(context);
  auto n = neural->next_token_distribution(context);
  EXPECT_NEAR(mixed[2], 0.9 * 1.0 + 0.1 * n[2], 1e-12);
  EXPECT_NEAR(mixed[4], 0.1 * n[4], 1e-12);
  // After "1 2": 3 twice, 4 once (dense) → λ = 0.3.
  context = {1, 2};
  mixed = hybrid.next_token_distribution(context);
  n = neural->next_token_distribution(context);
  EXPECT_NEAR(mixed[3], 0.3 * 2.0 / 3 + 0.7 * n[3], 1e-12);
  EXPECT_NEAR(std::accumulate(mixed.begin(), mixed.end(), 0.0), 1.0, 1e-12);
  EXPECT_THROW(lm::HybridLM(infgram, neural, {1.5, 0.2}), UsageError);
}
