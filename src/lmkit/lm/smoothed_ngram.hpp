// The classic smoothed n-gram LMs, over exact counts (NgramCounts):
//
// Katz backoff with Good–Turing discounts (Katz 1987):
//   P(w|h) = d_c · c(hw)/c(h)          if c(hw) > 0, with d_c the Good–Turing discount for
//                                       1 ≤ c ≤ K (K = 5) and d_c = 1 above
//          = α(h) · P(w|h')            otherwise, h' = h without its first token;
//   α(h) = (1 − Σ_{seen w} P(w|h)) / (1 − Σ_{seen w} P(w|h')) makes each distribution sum to 1.
//   Unigrams are add-one estimates, so every token has nonzero probability. Where Good–Turing's
//   discounts are ill-defined for an order (n_{r+1} = 0, or a d_r outside (0, 1]), and for contexts
//   whose continuations are all above K (no mass would be left for unseen tokens), that order or
//   context uses absolute discounting with D = n1 / (n1 + 2 n2) instead.
//
// Interpolated Kneser–Ney (Chen & Goodman 1998, one discount per order):
//   P(w|h) = max(c(hw) − D, 0)/T(h) + D · N(h)/T(h) · P_lower(w|h'),
//   with raw counts at the highest order and continuation counts N1+(• h w) below it,
//   T(h) = Σ_w c(hw), N(h) = #{w : c(hw) > 0}, D = n1 / (n1 + 2 n2) of that order's counts, and the
//   uniform distribution 1/V under the unigrams. Unseen contexts back off entirely to h'. Where
//   n1 / (n1 + 2 n2) is undefined or not below 1, D = 0.5.
#pragma once

#include <memory>
#include <vector>

#include "lmkit/lm/language_model.hpp"
#include "lmkit/lm/ngram_counts.hpp"

namespace lmkit::lm {

class KatzLM final : public LanguageModel {
 public:
  // `counts` must be finalized and outlive the model. K: counts ≤ K are Good–Turing discounted.
  explicit KatzLM(std::shared_ptr<const NgramCounts> counts, int good_turing_max = 5);

  std::string name() const override;
  std::uint32_t vocab_size() const override { return counts_->vocab_size(); }
  std::vector<double> next_token_distribution(std::span<const std::uint32_t> context) const override;
  std::vector<double> score(std::span<const std::uint32_t> tokens, std::size_t first = 1) const override;

  // P(w | context) using the last order-1 tokens of the context.
  double prob(std::span<const std::uint32_t> context, std::uint32_t w) const;
  // The discount d_c of order k (c ≥ 1) as used for ordinary contexts.
  double discount(int k, std::uint64_t c) const;

 private:
  struct ContextWeights {
    bool absolute = false;  // absolute discounting for this context (see the header comment)
    double alpha = 0.0;     // backoff weight α(h)
  };
  double discounted(int k, std::uint64_t c, bool absolute) const;
  void compute_weights();

  std::shared_ptr<const NgramCounts> counts_;
  int good_turing_max_;
  std::vector<std::vector<double>> discounts_;  // [k-1][c] for c ≤ K; empty when the order uses absolute
  std::vector<double> absolute_d_;              // [k-1] D of each order
  std::vector<std::vector<ContextWeights>> weights_;  // [k-1] parallel to the order's contexts
};

class KneserNeyLM final : public LanguageModel {
 public:
  explicit KneserNeyLM(std::shared_ptr<const NgramCounts> counts);

  std::string name() const override;
  std::uint32_t vocab_size() const override { return counts_->vocab_size(); }
  std::vector<double> next_token_distribution(std::span<const std::uint32_t> context) const override;
  std::vector<double> score(std::span<const std::uint32_t> tokens, std::size_t first = 1) const override;

  double prob(std::span<const std::uint32_t> context, std::uint32_t w) const;
  // The discount D of order k (the highest order's from raw counts, lower ones' from continuation counts).
  double discount(int k) const { return discounts_[k - 1]; }

 private:
  // The table whose counts order k uses: raw at the highest order, continuation counts below.
  const NgramTable& table_for(int k) const;
  double prob_at(int k, std::span<const std::uint32_t> context, std::uint32_t w) const;

  std::shared_ptr<const NgramCounts> counts_;
  std::vector<double> discounts_;  // [k-1]
};

}  // namespace lmkit::lm
