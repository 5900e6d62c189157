// Multinomial naive Bayes over bags of words: the baseline the BERT classifier is measured against
// (`lmkit classify baseline`). P(c | doc) ∝ P(c) Π_w P(w | c)^count(w), with
// P(w | c) = (n(c, w) + α) / (n(c) + α |V|) over the training vocabulary V (Laplace smoothing α);
// words never seen in training are ignored, as a vectorizer fitted on the training set would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace lmkit::nn {

class NaiveBayes {
 public:
  explicit NaiveBayes(std::size_t n_classes, double alpha = 1.0);

  // One training document: its words and its class in [0, n_classes).
  void add(std::span<const std::string> words, std::size_t label);
  // log P(c) + Σ log P(w | c) for each class c (unnormalized log posteriors).
  std::vector<double> log_scores(std::span<const std::string> words) const;
  // The class of the highest score (the lowest index at a tie).
  std::size_t predict(std::span<const std::string> words) const;

  std::size_t vocabulary_size() const { return word_ids_.size(); }

 private:
  std::size_t n_classes_;
  double alpha_;
  std::unordered_map<std::string, std::size_t> word_ids_;
  std::vector<std::vector<std::uint64_t>> counts_;  // (class, word id)
  std::vector<std::uint64_t> class_words_;          // (class) total words
  std::vector<std::uint64_t> class_docs_;           // (class) documents
};

}  // namespace lmkit::nn
