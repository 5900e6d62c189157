// The ∞-gram LM (Infini-gram, Liu et al. 2024) as a LanguageModel: P∞(w | context) backs off to the
// longest suffix of the context that occurs in the index and estimates from the counts of what
// follows it there.
#pragma once

#include <memory>

#include "lmkit/lm/language_model.hpp"
#include "lmkit/ngram/engine.hpp"

namespace lmkit::lm {

struct InfgramEstimate {
  std::vector<double> distribution;  // (vocab_size) P∞(· | context)
  std::size_t suffix_len = 0;        // tokens of the context used (effective n − 1)
  std::uint64_t prompt_cnt = 0;      // occurrences of that suffix
  bool sparse = false;               // exactly one token has nonzero probability
};

class InfgramLM final : public LanguageModel {
 public:
  // `engine` answers the queries; vocab_size is the tokenizer's. Prompts that occur more than
  // max_support times get their next-token distribution by strided sampling (Infini-gram's ntd).
  InfgramLM(std::shared_ptr<const ngram::Engine> engine, std::uint32_t vocab_size,
            std::uint64_t max_support = 1000);

  std::string name() const override { return "infgram"; }
  std::uint32_t vocab_size() const override { return vocab_size_; }
  // The ∞-gram distribution. Document ends count as the tokenizer's EOS (Infini-gram's rule); when
  // the tokenizer has no EOS in the vocabulary, that mass is left out and the rest renormalized,
  // backing off further if nothing else ever followed the suffix.
  std::vector<double> next_token_distribution(std::span<const std::uint32_t> context) const override;
  InfgramEstimate estimate(std::span<const std::uint32_t> context) const;
  // Per-token P∞ in O(log N) amortized per token (the engine's incremental scorer); log 0 = −inf
  // where the token never followed the matched suffix.
  std::vector<double> score(std::span<const std::uint32_t> tokens, std::size_t first = 1) const override;

  const ngram::Engine& engine() const { return *engine_; }

 private:
  std::shared_ptr<const ngram::Engine> engine_;
  std::uint32_t vocab_size_;
  std::uint64_t max_support_;
};

}  // namespace lmkit::lm
