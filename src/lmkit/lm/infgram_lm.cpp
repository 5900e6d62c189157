#include "lmkit/lm/infgram_lm.hpp"

#include <cmath>
#include <limits>

#include "lmkit/util/error.hpp"

namespace lmkit::lm {

InfgramLM::InfgramLM(std::shared_ptr<const ngram::Engine> engine, std::uint32_t vocab_size,
                     std::uint64_t max_support)
    : engine_(std::move(engine)), vocab_size_(vocab_size), max_support_(max_support) {
  if (vocab_size_ == 0) usage_fail("infgram: the vocabulary is empty");
}

InfgramEstimate InfgramLM::estimate(std::span<const std::uint32_t> context) const {
  // A vocabulary may hold the id the index uses as its document separator (byte 255 of the bytes
  // tokenizer in a 1-byte index): no suffix that contains it occurs in the corpus, so the longest
  // matching suffix lies after its last occurrence.
  const std::uint32_t separator = engine_->separator_id();
  for (std::size_t i = context.size(); i-- > 0;)
    if (context[i] == separator) {
      context = context.subspan(i + 1);
      break;
    }
  engine_->check_ids(context, "infgram context");
  for (std::size_t start = 0; start <= context.size(); ++start) {
    ngram::InfgramNtdResult result = engine_->infgram_ntd(context.subspan(start), max_support_);
    InfgramEstimate estimate;
    estimate.distribution.assign(vocab_size_, 0.0);
    estimate.suffix_len = result.suffix_len;
    estimate.prompt_cnt = result.ntd.prompt_cnt;
    double kept = 0;
    std::size_t nonzero = 0;
    for (const auto& [token, entry] : result.ntd.result_by_token_id) {
      if (token >= vocab_size_ || entry.cont_cnt == 0) continue;  // a document end without an EOS id
      estimate.distribution[token] = static_cast<double>(entry.cont_cnt);
      kept += static_cast<double>(entry.cont_cnt);
      ++nonzero;
    }
    if (kept > 0) {
      for (double& p : estimate.distribution) p /= kept;
      estimate.sparse = nonzero == 1;
      return estimate;
    }
    // Only document ends followed this suffix: try the next shorter one.
    start = context.size() - result.suffix_len;
  }
  fail("infgram: the index has no tokens inside the vocabulary of {}", vocab_size_);
}

std::vector<double> InfgramLM::next_token_distribution(std::span<const std::uint32_t> context) const {
  return estimate(context).distribution;
}

std::vector<double> InfgramLM::score(std::span<const std::uint32_t> tokens, std::size_t first) const {
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] >= vocab_size_)
      fail("infgram: token id {} at position {} is outside the vocabulary of {}", tokens[i], i, vocab_size_);
  std::vector<ngram::TokenScore> scores = engine_->score(tokens);
  std::vector<double> log_probs;
  for (std::size_t i = first; i < tokens.size(); ++i)
    log_probs.push_back(scores[i].prob > 0 ? std::log(scores[i].prob)
                                           : -std::numeric_limits<double>::infinity());
  return log_probs;
}

}  // namespace lmkit::lm
