// The interface every language model in lmkit implements — the ∞-gram LM, the smoothed n-gram LMs,
// the transformers and their interpolation — so that evaluation, sampling and serving are written
// once (DESIGN.md).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace lmkit::lm {

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;

  virtual std::string name() const = 0;
  virtual std::uint32_t vocab_size() const = 0;

  // P(next | context) for every token id in [0, vocab_size()): (vocab_size) probabilities that sum
  // to 1. `context` is the whole history; a model uses as much of it as it can.
  virtual std::vector<double> next_token_distribution(std::span<const std::uint32_t> context) const = 0;

  // Natural-log probabilities log P(tokens[i] | tokens[0..i)) for i in [first, tokens.size()).
  // The default asks next_token_distribution() once per position; models override it with
  // something faster (a KV cache, a single count lookup).
  virtual std::vector<double> score(std::span<const std::uint32_t> tokens, std::size_t first = 1) const;

  // Calls visit(i, P(· | tokens[0..i))) for every i in [first, tokens.size()], in order; the span
  // is valid during the call only. The default asks next_token_distribution() per position; models
  // that see a whole sequence at once (a transformer's forward pass) override it.
  using DistributionVisitor = std::function<void(std::size_t position, std::span<const double> distribution)>;
  virtual void for_each_distribution(std::span<const std::uint32_t> tokens, std::size_t first,
                                     const DistributionVisitor& visit) const;
};

}  // namespace lmkit::lm
