// The ∞-gram LM against the brute-force oracle over a small index written by the naive test writer.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "../ngram/test_index.hpp"
#include "lmkit/lm/infgram_lm.hpp"
#include "lmkit/util/error.hpp"

using namespace lmkit;
using lmkit::ngram::testing::Oracle;
using lmkit::ngram::testing::TestShard;

namespace {

using Tokens = std::vector<std::uint32_t>;

std::vector<TestShard> random_shards(std::uint32_t n_ids, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<TestShard> shards(2);
  for (auto& shard : shards) {
    for (int d = 0; d < 12; ++d) {
      Tokens doc;
      for (int t = 0; t < 5 + static_cast<int>(rng() % 20); ++t)
        doc.push_back(std::min(rng() % n_ids, rng() % n_ids));
      shard.push_back({doc, ""});
    }
  }
  shards[0].push_back({{7, 7, 7}, ""});  // "7 7" is followed only by 7 or by a document end
  return shards;
}

}  // namespace

TEST(InfgramLM, DistributionIsTheOracleNextTokenCountsOfTheLongestSuffix) {
  const std::uint32_t eos = 8;  // in the vocabulary: document ends are reported as it
  auto shards = random_shards(8, 3);
  ngram::testing::TempDir dir;
  ngram::testing::write_test_index(dir.path(), shards, 2, 2);
  std::shared_ptr<ngram::testing::TestIndex> opened =
      ngram::testing::open_test_index(dir.path(), shards.size(), {2, eos});
  Oracle oracle(shards, 2, eos);
  std::shared_ptr<const ngram::Engine> engine(opened, opened->engine.get());
  lm::InfgramLM lm(engine, /*vocab_size=*/9, /*max_support=*/1'000'000);

  std::mt19937 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    Tokens context;
    for (int t = 0; t < trial % 9; ++t) context.push_back(rng() % 8);
    lm::InfgramEstimate estimate = lm.estimate(context);
    const std::size_t suffix_len = oracle.suffix_len(context);
    ASSERT_EQ(estimate.suffix_len, suffix_len);
    Tokens suffix(context.end() - static_cast<std::ptrdiff_t>(suffix_len), context.end());
    auto counts = oracle.next_counts(suffix);
    double total = 0;
    for (const auto& [token, count] : counts) total += static_cast<double>(count);
    for (std::uint32_t w = 0; w < 9; ++w) {
      double expected = counts.count(w) ? static_cast<double>(counts[w]) / total : 0.0;
      ASSERT_NEAR(estimate.distribution[w], expected, 1e-12) << "trial " << trial << " token " << w;
    }
    ASSERT_EQ(estimate.sparse, counts.size() == 1);
  }
  // score() is log P∞ of each token given everything before it.
  Tokens sequence = {1, 0, 2, 7, 7, 3, 1, 1};
  auto log_probs = lm.score(sequence, 1);
  for (std::size_t i = 1; i < sequence.size(); ++i) {
    Tokens prefix(sequence.begin(), sequence.begin() + static_cast<std::ptrdiff_t>(i));
    auto expected = oracle.infgram_prob(prefix, sequence[i]).prob.prob;
    double p = expected.value_or(0.0);
    if (p == 0) {
      EXPECT_TRUE(std::isinf(log_probs[i - 1])) << i;
    } else {
      EXPECT_NEAR(log_probs[i - 1], std::log(p), 1e-12) << i;
    }
  }
  EXPECT_THROW(lm.score(Tokens{1, 9}), Error);
}

TEST(InfgramLM, WithoutAnEosDocumentEndsAreLeftOutAndRenormalized) {
  // Token 5 appears only at the ends of documents: after it comes nothing the vocabulary can say.
  std::vector<TestShard> shards = {{{{1, 2, 5}, ""}, {{2, 3, 5}, ""}, {{1, 2, 3}, ""}}};
  ngram::testing::TempDir dir;
  ngram::testing::write_test_index(dir.path(), shards, 2, 1);
  std::shared_ptr<ngram::testing::TestIndex> opened =
      ngram::testing::open_test_index(dir.path(), shards.size(), {2, std::nullopt});
  std::shared_ptr<const ngram::Engine> engine(opened, opened->engine.get());
  lm::InfgramLM lm(engine, /*vocab_size=*/6);
  // After "2": 5 once, 3 twice → P(3) = 2/3, P(5) = 1/3.
  auto after_2 = lm.next_token_distribution(Tokens{2});
  EXPECT_NEAR(after_2[3], 2.0 / 3, 1e-12);
  EXPECT_NEAR(after_2[5], 1.0 / 3, 1e-12);
  // After "3 5" (suffix "5"): only document ends; backs off to the empty suffix, the unigram
  // distribution of the 9 tokens (separators left out).
  auto after_5 = lm.estimate(Tokens{3, 5});
  EXPECT_EQ(after_5.suffix_len, 0u);
  EXPECT_NEAR(after_5.distribution[2], 3.0 / 9, 1e-12);
  EXPECT_NEAR(std::accumulate(after_5.distribution.begin(), after_5.distribution.end(), 0.0), 1.0, 1e-12);
}

TEST(InfgramLM, AContextHoldingTheSeparatorIdMatchesOnlyAfterIt) {
  // A 1-byte index: id 255 is its separator, yet the bytes tokenizer's vocabulary holds it, so a
  // model may sample it. Nothing in the corpus contains it: the ∞-gram backs off to what follows it.
  auto shards = random_shards(8, 5);
  ngram::testing::TempDir dir;
  ngram::testing::write_test_index(dir.path(), shards, 1, 2);
  std::shared_ptr<ngram::testing::TestIndex> opened =
      ngram::testing::open_test_index(dir.path(), shards.size(), {1, std::nullopt});
  std::shared_ptr<const ngram::Engine> engine(opened, opened->engine.get());
  lm::InfgramLM lm(engine, /*vocab_size=*/256);
  const lm::InfgramEstimate with = lm.estimate(Tokens{1, 7, 255, 7, 7});
  const lm::InfgramEstimate after = lm.estimate(Tokens{7, 7});
  EXPECT_EQ(with.suffix_len, after.suffix_len);
  EXPECT_EQ(with.distribution, after.distribution);
  EXPECT_EQ(lm.estimate(Tokens{3, 255}).suffix_len, 0u);
  EXPECT_THROW(lm.estimate(Tokens{256}), Error);  // does not fit 1-byte tokens at all
}
