#include "lmkit/lm/evaluate.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "../ngram/test_index.hpp"
#include "lmkit/lm/smoothed_ngram.hpp"
#include "lmkit/util/error.hpp"

using namespace lmkit;

namespace {

using Tokens = std::vector<std::uint32_t>;

const lm::TokenizedDocs kTrain = {{1, 2, 3, 1, 2, 4}, {0, 1, 2, 3}, {3, 3, 1, 2}};
const lm::TokenizedDocs kTest = {{1, 2, 3, 0}, {2, 4, 1, 2, 3}};

}  // namespace

TEST(Evaluate, PerplexityAndAccuracyAgreeWithSinglePositionProbabilities) {
  auto counts = std::make_shared<lm::NgramCounts>(3, 5);
  for (const auto& doc : kTrain) counts->add_document(doc);
  counts->finalize();
  lm::KneserNeyLM kn(counts);
  lm::EvalResult result = lm::evaluate(kn, kTest);
  double nll = 0;
  std::uint64_t correct = 0, positions = 0;
  for (const auto& doc : kTest) {
    for (std::size_t i = 1; i < doc.size(); ++i) {
      Tokens context(doc.begin(), doc.begin() + static_cast<std::ptrdiff_t>(i));
      nll -= std::log(kn.prob(context, doc[i]));
      std::uint32_t best = 0;
      for (std::uint32_t w = 1; w < 5; ++w)
        if (kn.prob(context, w) > kn.prob(context, best)) best = w;
      correct += best == doc[i] ? 1 : 0;
      ++positions;
    }
  }
  EXPECT_EQ(result.tokens, positions);
  EXPECT_EQ(result.correct, correct);
  EXPECT_NEAR(result.perplexity(), std::exp(nll / static_cast<double>(positions)), 1e-9);
  EXPECT_EQ(result.to_json()["tokens"], positions);
  EXPECT_THROW(lm::evaluate(kn, {{1, 7}}), Error);
}

TEST(Evaluate, InfgramBreakdownAndMixturePoints) {
  std::vector<ngram::testing::TestShard> shards(1);
  for (const auto& doc : kTrain) shards[0].push_back({doc, ""});
  ngram::testing::TempDir dir;
  ngram::testing::write_test_index(dir.path(), shards, 2, 1);
  std::shared_ptr<ngram::testing::TestIndex> opened =
      ngram::testing::open_test_index(dir.path(), shards.size(), {2, 0});
  std::shared_ptr<const ngram::Engine> engine(opened, opened->engine.get());
  lm::InfgramLM infgram(engine, 5);
  ngram::testing::Oracle oracle(shards, 2, 0);

  lm::InfgramEvalResult result = lm::evaluate_infgram(infgram, kTest);
  std::map<std::size_t, std::uint64_t> expected_positions;
  std::uint64_t zero = 0;
  for (const auto& doc : kTest) {
    for (std::size_t i = 1; i < doc.size(); ++i) {
      Tokens context(doc.begin(), doc.begin() + static_cast<std::ptrdiff_t>(i));
      expected_positions[oracle.suffix_len(context) + 1] += 1;
      zero += infgram.estimate(context).distribution[doc[i]] == 0 ? 1 : 0;
    }
  }
  ASSERT_EQ(result.by_effective_n.size(), expected_positions.size());
  for (const auto& [n, count] : expected_positions)
    EXPECT_EQ(result.by_effective_n.at(n).positions, count) << n;
  EXPECT_EQ(result.overall.zero_prob, zero);
  EXPECT_GT(zero, 0u) << "the test data should include a continuation the ∞-gram never saw";
  EXPECT_TRUE(std::isinf(result.overall.perplexity()));
  EXPECT_TRUE(result.to_json()["perplexity"].is_null());

  auto counts = std::make_shared<lm::NgramCounts>(2, 5);
  for (const auto& doc : kTrain) counts->add_document(doc);
  counts->finalize();
  lm::KatzLM katz(counts);
  auto points = lm::mixture_points(infgram, katz, kTest);
  ASSERT_EQ(points.size(), result.overall.tokens);
  Tokens context = {2};
  EXPECT_NEAR(points[3].p_neural, katz.prob(context, 4),
              1e-12);  // doc 2, position 1 ("2 → 4"), after doc 1's 3
  EXPECT_NEAR(points[3].p_infgram, infgram.estimate(context).distribution[4], 1e-12);
}

TEST(RelativeImprovement, IsThePapersDefinition) {
  // Infini-gram paper: GPT-2 117M 22.86 → 13.58 with the ∞-gram, "a 42% improvement".
  EXPECT_NEAR(lm::relative_improvement(22.86, 13.58), 0.4245, 1e-4);
  EXPECT_THROW(lm::relative_improvement(1.0, 1.0), Error);
}

TEST(CountIndexNgrams, EqualsCountingTheDocumentsDirectly) {
  std::vector<ngram::testing::TestShard> shards = {{{kTrain[0], ""}, {kTrain[1], ""}}, {{kTrain[2], ""}}};
  ngram::testing::TempDir dir;
  ngram::testing::write_test_index(dir.path(), shards, 2, 1);
  index::Index index = index::Index::open(dir.path());
  auto from_index = lm::count_index_ngrams(index, 3, 5);
  lm::NgramCounts direct(3, 5);
  for (const auto& doc : kTrain) direct.add_document(doc);
  direct.finalize();
  EXPECT_EQ(from_index->n_tokens(), direct.n_tokens());
  for (int k = 1; k <= 3; ++k) {
    auto a = from_index->raw().grams(k);
    auto b = direct.raw().grams(k);
    ASSERT_EQ(a.size(), b.size()) << k;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].tokens, b[i].tokens);
      EXPECT_EQ(a[i].count, b[i].count);
    }
  }
}
