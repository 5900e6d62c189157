// Katz and Kneser–Ney against values computed by hand (worked out in the comments), plus properties
// on random corpora: every distribution sums to 1 and agrees with the single-token probabilities.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "lmkit/lm/smoothed_ngram.hpp"
#include "lmkit/util/error.hpp"

using namespace lmkit::lm;

namespace {

using Tokens = std::vector<std::uint32_t>;

std::shared_ptr<NgramCounts> counts_of(int order, std::uint32_t vocab, const std::vector<Tokens>& docs) {
  auto counts = std::make_shared<NgramCounts>(order, vocab);
  for (const auto& doc : docs) counts->add_document(doc);
  counts->finalize();
  return counts;
}

// a b a b c with a=0 b=1 c=2 and an unseen d=3: unigrams a:2 b:2 c:1 (N=5); bigrams ab:2 ba:1 bc:1.
const std::vector<Tokens> kTiny = {{0, 1, 0, 1, 2}};

}  // namespace

TEST(NgramCounts, CountsAndContexts) {
  auto counts = counts_of(3, 4, {{0, 1, 0, 1, 2}, {1, 0}});
  const auto& raw = counts->raw();
  EXPECT_EQ(raw.count(Tokens{0}), 3u);
  EXPECT_EQ(raw.count(Tokens{0, 1}), 2u);
  EXPECT_EQ(raw.count(Tokens{1, 0}), 2u);
  EXPECT_EQ(raw.count(Tokens{0, 1, 0}), 1u);
  EXPECT_EQ(raw.count(Tokens{2, 1}), 0u) << "n-grams never cross documents";
  EXPECT_EQ(raw.context(Tokens{1}).total, 3u);  // b→a twice, b→c once
  EXPECT_EQ(raw.context(Tokens{1}).distinct, 2u);
  EXPECT_EQ(raw.count_of_counts(2, 2), 2u);  // ab, ba
  // Continuation counts: N1+(• a) = |{b}| = 1, N1+(• b) = |{a}| = 1, N1+(• a b) = |{b}| = 1.
  EXPECT_EQ(counts->continuation().count(Tokens{0}), 1u);
  EXPECT_EQ(counts->continuation().count(Tokens{0, 1}), 1u);
  EXPECT_THROW(counts_of(2, 2, {{0, 5}}), lmkit::Error);
}

TEST(KneserNey, MatchesHandComputedValues) {
  KneserNeyLM lm(counts_of(2, 4, kTiny));
  // Bigram D = n1/(n1+2n2) = 2/(2+2) = 0.5. Unigram continuation counts a,b,c = 1 each (n2 = 0, so
  // D1 = 0.5): P1(a|b|c) = (1-0.5)/3 + 0.5*3/3*1/4 = 0.2916667, P1(d) = 0.125.
  EXPECT_DOUBLE_EQ(lm.discount(2), 0.5);
  EXPECT_NEAR(lm.prob(Tokens{}, 0), 0.5 / 3 + 0.125, 1e-12);
  EXPECT_NEAR(lm.prob(Tokens{}, 3), 0.125, 1e-12);
  // P(b|a) = (2-0.5)/2 + 0.5*1/2*P1(b); P(c|b) = (1-0.5)/2 + 0.5*2/2*P1(c); P(a|a) = 0.25*P1(a).
  const double p1 = 0.5 / 3 + 0.125;
  EXPECT_NEAR(lm.prob(Tokens{0}, 1), 0.75 + 0.25 * p1, 1e-12);
  EXPECT_NEAR(lm.prob(Tokens{1}, 2), 0.25 + 0.5 * p1, 1e-12);
  EXPECT_NEAR(lm.prob(Tokens{0}, 0), 0.25 * p1, 1e-12);
  // An unseen context (c is never followed by anything) backs off to the unigrams.
  EXPECT_NEAR(lm.prob(Tokens{2}, 3), 0.125, 1e-12);
}

TEST(Katz, MatchesHandComputedValues) {
  KatzLM lm(counts_of(2, 4, kTiny));
  // n3 = 0 makes Good–Turing undefined, so bigrams use absolute discounting with D = 0.5.
  // Unigrams are add-one: (c+1)/(5+4) = a 3/9, b 3/9, c 2/9, d 1/9.
  EXPECT_NEAR(lm.prob(Tokens{}, 2), 2.0 / 9, 1e-12);
  // Context a: P*(b|a) = 1.5/2 = 0.75; α(a) = 0.25 / (1 - 3/9) = 0.375.
  EXPECT_NEAR(lm.prob(Tokens{0}, 1), 0.75, 1e-12);
  EXPECT_NEAR(lm.prob(Tokens{0}, 0), 0.375 * 3 / 9, 1e-12);
  EXPECT_NEAR(lm.prob(Tokens{0}, 3), 0.375 / 9, 1e-12);
  // Context b: P*(a|b) = P*(c|b) = 0.25; α(b) = 0.5 / (1 - 3/9 - 2/9) = 1.125.
  EXPECT_NEAR(lm.prob(Tokens{1}, 2), 0.25, 1e-12);
  EXPECT_NEAR(lm.prob(Tokens{1}, 1), 1.125 * 3 / 9, 1e-12);
}

TEST(Katz, GoodTuringDiscountsFollowTheFormula) {
  // Each document is one bigram, so bigram count-of-counts are n1 = 5, n2 = 2, n3 = 1.
  std::vector<Tokens> docs = {{0, 1}, {0, 1}, {0, 1}, {2, 3},   {2, 3},   {4, 5},
                              {4, 5}, {6, 7}, {8, 9}, {10, 11}, {12, 13}, {14, 15}};
  KatzLM lm(counts_of(2, 16, docs), /*good_turing_max=*/2);
  // A = 3 n3 / n1 = 0.6; c1* = 2 n2 / n1 = 0.8, d1 = (0.8 - 0.6) / 0.4 = 0.5;
  // c2* = 3 n3 / n2 = 1.5, d2 = (0.75 - 0.6) / 0.4 = 0.375; counts above K = 2 are not discounted.
  EXPECT_NEAR(lm.discount(2, 1), 0.5, 1e-12);
  EXPECT_NEAR(lm.discount(2, 2), 0.375, 1e-12);
  EXPECT_NEAR(lm.discount(2, 3), 1.0, 1e-12);
  // Context 2 (seen once as "2 3" twice): P(3|2) = 0.375 * 2 / 2.
  EXPECT_NEAR(lm.prob(Tokens{2}, 3), 0.375, 1e-12);
}

TEST(Katz, ContextsWithNothingLeftForUnseenTokensUseAbsoluteDiscounting) {
  // As above (n1 = 5, n2 = 2, n3 = 1, K = 2), plus "16 17" seven times: contexts 0 and 16 have only
  // continuations above K, so Good–Turing would leave them no mass for unseen tokens.
  std::vector<Tokens> docs = {{0, 1}, {0, 1}, {0, 1}, {2, 3},   {2, 3},   {4, 5},
                              {4, 5}, {6, 7}, {8, 9}, {10, 11}, {12, 13}, {14, 15}};
  for (int i = 0; i < 7; ++i) docs.push_back({16, 17});
  KatzLM lm(counts_of(2, 18, docs), /*good_turing_max=*/2);
  const double d = 5.0 / (5 + 2 * 2);  // n1 / (n1 + 2 n2)
  EXPECT_NEAR(lm.prob(Tokens{16}, 17), (7 - d) / 7, 1e-12);
  EXPECT_NEAR(lm.prob(Tokens{0}, 1), (3 - d) / 3, 1e-12);
  EXPECT_GT(lm.prob(Tokens{16}, 5), 0.0);
  auto distribution = lm.next_token_distribution(Tokens{16});
  EXPECT_NEAR(std::accumulate(distribution.begin(), distribution.end(), 0.0), 1.0, 1e-12);
}

TEST(SmoothedNgram, DistributionsSumToOneAndMatchProb) {
  std::mt19937 rng(7);
  std::vector<Tokens> docs;
  for (int d = 0; d < 30; ++d) {
    Tokens doc;
    // A skewed distribution over 9 tokens, with token 8 never used: unseen mass must be handled.
    for (int t = 0; t < 20 + d; ++t)
      doc.push_back(static_cast<std::uint32_t>(std::min(rng() % 8, rng() % 8)));
    docs.push_back(doc);
  }
  for (int order : {1, 2, 3, 4}) {
    auto counts = counts_of(order, 9, docs);
    KatzLM katz(counts);
    KneserNeyLM kn(counts);
    for (const LanguageModel* lm : std::initializer_list<const LanguageModel*>{&katz, &kn}) {
      for (int trial = 0; trial < 25; ++trial) {
        Tokens context;
        for (int t = 0; t < trial % 5; ++t) context.push_back(static_cast<std::uint32_t>(rng() % 9));
        auto distribution = lm->next_token_distribution(context);
        double sum = std::accumulate(distribution.begin(), distribution.end(), 0.0);
        ASSERT_NEAR(sum, 1.0, 1e-9) << lm->name() << " trial " << trial;
        for (std::uint32_t w = 0; w < 9; ++w) {
          ASSERT_GT(distribution[w], 0.0) << lm->name();
          const double single = lm == &katz ? katz.prob(context, w) : kn.prob(context, w);
          ASSERT_NEAR(distribution[w], single, 1e-12) << lm->name() << " token " << w;
        }
      }
      // score() is the log of prob() at every position.
      auto log_probs = lm->score(docs[3], 1);
      ASSERT_EQ(log_probs.size(), docs[3].size() - 1);
      Tokens prefix(docs[3].begin(), docs[3].begin() + 5);
      double expected = lm == &katz ? katz.prob(prefix, docs[3][5]) : kn.prob(prefix, docs[3][5]);
      EXPECT_NEAR(log_probs[4], std::log(expected), 1e-12);
    }
  }
}
