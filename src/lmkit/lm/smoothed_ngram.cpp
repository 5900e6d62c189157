#include "lmkit/lm/smoothed_ngram.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "lmkit/util/error.hpp"

namespace lmkit::lm {

namespace {

// D = n1 / (n1 + 2 n2); 0.5 when that is undefined or not below 1 (no singletons, or no doubletons).
double absolute_discount(const NgramTable& table, int k) {
  double n1 = static_cast<double>(table.count_of_counts(k, 1));
  double n2 = static_cast<double>(table.count_of_counts(k, 2));
  if (n1 == 0 || n1 + 2 * n2 == 0) return 0.5;
  double d = n1 / (n1 + 2 * n2);
  return d >= 1.0 ? 0.5 : d;
}

// The last min(context.size(), order - 1) tokens.
std::span<const std::uint32_t> clip(std::span<const std::uint32_t> context, int order) {
  std::size_t keep = std::min(context.size(), static_cast<std::size_t>(order - 1));
  return context.last(keep);
}

void check_token(std::uint32_t w, std::uint32_t vocab_size, const char* model) {
  if (w >= vocab_size) fail("{}: token id {} is outside the vocabulary of {}", model, w, vocab_size);
}

}  // namespace

// ---------------------------------------------------------------------------------------------- Katz

KatzLM::KatzLM(std::shared_ptr<const NgramCounts> counts, int good_turing_max)
    : counts_(std::move(counts)), good_turing_max_(good_turing_max) {
  const int order = counts_->order();
  const NgramTable& raw = counts_->raw();
  discounts_.assign(static_cast<std::size_t>(order), {});
  absolute_d_.assign(static_cast<std::size_t>(order), 0.5);
  for (int k = 2; k <= order; ++k) {
    absolute_d_[k - 1] = absolute_discount(raw, k);
    // Good–Turing: c* = (c+1) n_{c+1} / n_c, d_c = (c*/c − A) / (1 − A), A = (K+1) n_{K+1} / n_1.
    const int K = good_turing_max_;
    std::vector<double> n(static_cast<std::size_t>(K) + 2);
    for (int r = 1; r <= K + 1; ++r)
      n[r] = static_cast<double>(raw.count_of_counts(k, static_cast<std::uint64_t>(r)));
    std::vector<double> d(static_cast<std::size_t>(K) + 1, 1.0);
    bool valid = n[1] > 0;
    double a = valid ? (K + 1) * n[K + 1] / n[1] : 0;
    for (int c = 1; valid && c <= K; ++c) {
      if (n[c] == 0 || n[c + 1] == 0 || a >= 1) {
        valid = false;
        break;
      }
      double c_star = (c + 1) * n[c + 1] / n[c];
      d[c] = (c_star / c - a) / (1 - a);
      if (!(d[c] > 0 && d[c] <= 1)) valid = false;
    }
    if (valid) discounts_[k - 1] = d;
  }
  compute_weights();
}

std::string KatzLM::name() const { return fmt::format("katz-{}gram", counts_->order()); }

double KatzLM::discounted(int k, std::uint64_t c, bool absolute) const {
  const auto& d = discounts_[k - 1];
  if (absolute || d.empty()) return static_cast<double>(c) - absolute_d_[k - 1];
  return c <= static_cast<std::uint64_t>(good_turing_max_) ? d[c] * static_cast<double>(c)
                                                           : static_cast<double>(c);
}

double KatzLM::discount(int k, std::uint64_t c) const {
  if (k < 2 || k > counts_->order() || c == 0)
    fail("KatzLM::discount: no discount for order {}, count {}", k, c);
  return discounted(k, c, false) / static_cast<double>(c);
}

void KatzLM::compute_weights() {
  const int order = counts_->order();
  const NgramTable& raw = counts_->raw();
  weights_.assign(static_cast<std::size_t>(order), {});
  // Lower orders first: α(h) of order k needs probabilities of order k-1.
  for (int k = 2; k <= order; ++k) {
    auto grams = raw.grams(k);
    std::size_t i = 0;
    while (i < grams.size()) {
      std::span<const std::uint32_t> context(grams[i].tokens.data(), static_cast<std::size_t>(k - 1));
      ContextStats stats = raw.context(context);
      auto group = grams.subspan(i, stats.distinct);
      const double total = static_cast<double>(stats.total);
      ContextWeights w;
      double seen = 0, lower = 0;
      for (const auto& g : group) {
        seen += discounted(k, g.count, false) / total;
        lower += prob(context.subspan(1), g.tokens[static_cast<std::size_t>(k - 1)]);
      }
      if (1 - seen < 1e-9) {
        w.absolute = true;
        seen = 0;
        for (const auto& g : group) seen += discounted(k, g.count, true) / total;
      }
      w.alpha = lower < 1 - 1e-12 ? (1 - seen) / (1 - lower) : 0.0;
      weights_[k - 1].push_back(w);
      i += stats.distinct;
    }
  }
}

double KatzLM::prob(std::span<const std::uint32_t> context, std::uint32_t w) const {
  check_token(w, vocab_size(), "katz");
  context = clip(context, counts_->order());
  const NgramTable& raw = counts_->raw();
  const int k = static_cast<int>(context.size()) + 1;
  if (k == 1) {
    return (static_cast<double>(raw.count(std::span<const std::uint32_t>(&w, 1))) + 1.0) /
           (static_cast<double>(counts_->n_tokens()) + vocab_size());
  }
  ContextStats stats = raw.context(context);
  if (stats.total == 0) return prob(context.subspan(1), w);
  std::vector<std::uint32_t> gram(context.begin(), context.end());
  gram.push_back(w);
  const ContextWeights& cw = weights_[k - 1][stats.index];
  std::uint64_t c = raw.count(gram);
  if (c > 0) return discounted(k, c, cw.absolute) / static_cast<double>(stats.total);
  return cw.alpha * prob(context.subspan(1), w);
}

std::vector<double> KatzLM::next_token_distribution(std::span<const std::uint32_t> context) const {
  context = clip(context, counts_->order());
  const NgramTable& raw = counts_->raw();
  const int k = static_cast<int>(context.size()) + 1;
  if (k == 1) {
    std::vector<double> distribution(vocab_size());
    for (std::uint32_t w = 0; w < vocab_size(); ++w) distribution[w] = prob(context, w);
    return distribution;
  }
  ContextStats stats = raw.context(context);
  std::vector<double> distribution = next_token_distribution(context.subspan(1));
  if (stats.total == 0) return distribution;
  const ContextWeights& cw = weights_[k - 1][stats.index];
  for (double& p : distribution) p *= cw.alpha;
  for (const auto& g : raw.continuations(context))
    distribution[g.tokens[static_cast<std::size_t>(k - 1)]] =
        discounted(k, g.count, cw.absolute) / static_cast<double>(stats.total);
  return distribution;
}

std::vector<double> KatzLM::score(std::span<const std::uint32_t> tokens, std::size_t first) const {
  std::vector<double> log_probs;
  for (std::size_t i = first; i < tokens.size(); ++i)
    log_probs.push_back(std::log(prob(tokens.first(i), tokens[i])));
  return log_probs;
}

// --------------------------------------------------------------------------------------- Kneser–Ney

KneserNeyLM::KneserNeyLM(std::shared_ptr<const NgramCounts> counts) : counts_(std::move(counts)) {
  const int order = counts_->order();
  for (int k = 1; k <= order; ++k) discounts_.push_back(absolute_discount(table_for(k), k));
}

std::string KneserNeyLM::name() const { return fmt::format("kneser-ney-{}gram", counts_->order()); }

const NgramTable& KneserNeyLM::table_for(int k) const {
  return k == counts_->order() ? counts_->raw() : counts_->continuation();
}

double KneserNeyLM::prob_at(int k, std::span<const std::uint32_t> context, std::uint32_t w) const {
  const NgramTable& table = table_for(k);
  const double d = discounts_[k - 1];
  const double lower = k == 1 ? 1.0 / vocab_size() : prob_at(k - 1, context.subspan(1), w);
  ContextStats stats = table.context(context);
  if (stats.total == 0) return lower;
  std::vector<std::uint32_t> gram(context.begin(), context.end());
  gram.push_back(w);
  const double total = static_cast<double>(stats.total);
  const double c = static_cast<double>(table.count(gram));
  return std::max(c - d, 0.0) / total + d * static_cast<double>(stats.distinct) / total * lower;
}

double KneserNeyLM::prob(std::span<const std::uint32_t> context, std::uint32_t w) const {
  check_token(w, vocab_size(), "kneser-ney");
  context = clip(context, counts_->order());
  return prob_at(static_cast<int>(context.size()) + 1, context, w);
}

std::vector<double> KneserNeyLM::next_token_distribution(std::span<const std::uint32_t> context) const {
  context = clip(context, counts_->order());
  const int top = static_cast<int>(context.size()) + 1;
  std::vector<double> distribution(vocab_size(), 1.0 / vocab_size());
  // Build up from the unigrams: each order mixes its discounted counts with the order below.
  for (int k = 1; k <= top; ++k) {
    auto h = context.last(static_cast<std::size_t>(k - 1));
    const NgramTable& table = table_for(k);
    ContextStats stats = table.context(h);
    if (stats.total == 0) continue;
    const double d = discounts_[k - 1];
    const double total = static_cast<double>(stats.total);
    const double backoff = d * static_cast<double>(stats.distinct) / total;
    for (double& p : distribution) p *= backoff;
    for (const auto& g : table.continuations(h))
      distribution[g.tokens[static_cast<std::size_t>(k - 1)]] +=
          std::max(static_cast<double>(g.count) - d, 0.0) / total;
  }
  return distribution;
}

std::vector<double> KneserNeyLM::score(std::span<const std::uint32_t> tokens, std::size_t first) const {
  std::vector<double> log_probs;
  for (std::size_t i = first; i < tokens.size(); ++i)
    log_probs.push_back(std::log(prob(tokens.first(i), tokens[i])));
  return log_probs;
}

}  // namespace lmkit::lm
