#include "lmkit/nn/naive_bayes.hpp"

#include <cmath>

#include "lmkit/util/error.hpp"

namespace lmkit::nn {

NaiveBayes::NaiveBayes(std::size_t n_classes, double alpha)
    : n_classes_(n_classes),
      alpha_(alpha),
      counts_(n_classes),
      class_words_(n_classes, 0),
      class_docs_(n_classes, 0) {
  if (n_classes < 2) fail("naive Bayes needs at least 2 classes, not {}", n_classes);
  if (!(alpha > 0)) fail("naive Bayes smoothing must be positive");
}

void NaiveBayes::add(std::span<const std::string> words, std::size_t label) {
  if (label >= n_classes_) fail("class {} is outside [0, {})", label, n_classes_);
  ++class_docs_[label];
  for (const auto& w : words) {
    auto [it, inserted] = word_ids_.emplace(w, word_ids_.size());
    if (inserted)
      for (auto& c : counts_) c.push_back(0);
    ++counts_[label][it->second];
    ++class_words_[label];
  }
}

std::vector<double> NaiveBayes::log_scores(std::span<const std::string> words) const {
  std::uint64_t docs = 0;
  for (auto d : class_docs_) docs += d;
  std::vector<double> scores(n_classes_);
  const double V = static_cast<double>(word_ids_.size());
  for (std::size_t c = 0; c < n_classes_; ++c) {
    // An empty class gets log 0 = -inf prior: it is never predicted.
    double s =
        std::log(static_cast<double>(class_docs_[c]) / static_cast<double>(std::max<std::uint64_t>(1, docs)));
    const double denominator = std::log(static_cast<double>(class_words_[c]) + alpha_ * V);
    for (const auto& w : words) {
      auto it = word_ids_.find(w);
      if (it == word_ids_.end()) continue;
      s += std::log(static_cast<double>(counts_[c][it->second]) + alpha_) - denominator;
    }
    scores[c] = s;
  }
  return scores;
}

std::size_t NaiveBayes::predict(std::span<const std::string> words) const {
  auto scores = log_scores(words);
  std::size_t best = 0;
  for (std::size_t c = 1; c < scores.size(); ++c)
    if (scores[c] > scores[best]) best = c;
  return best;
}

}  // namespace lmkit::nn
