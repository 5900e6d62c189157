#include "lmkit/lm/language_model.hpp"

#include <cmath>

#include "lmkit/util/error.hpp"

namespace lmkit::lm {

std::vector<double> LanguageModel::score(std::span<const std::uint32_t> tokens, std::size_t first) const {
  std::vector<double> log_probs;
  for (std::size_t i = first; i < tokens.size(); ++i) {
    if (tokens[i] >= vocab_size())
      fail("{}: token id {} at position {} is outside the vocabulary of {}", name(), tokens[i], i,
           vocab_size());
    std::vector<double> distribution = next_token_distribution(tokens.first(i));
    log_probs.push_back(std::log(distribution[tokens[i]]));
  }
  return log_probs;
}

void LanguageModel::for_each_distribution(std::span<const std::uint32_t> tokens, std::size_t first,
                                          const DistributionVisitor& visit) const {
  for (std::size_t i = first; i <= tokens.size(); ++i) {
    std::vector<double> distribution = next_token_distribution(tokens.first(i));
    visit(i, distribution);
  }
}

}  // namespace lmkit::lm
