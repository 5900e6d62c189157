#include "lmkit/lm/gpt_lm.hpp"

#include <algorithm>
#include <cmath>

#include "lmkit/util/error.hpp"

namespace lmkit::lm {

namespace {

// Softmax of one row of logits, in double precision.
void softmax_row(std::span<const float> logits, std::vector<double>& out) {
  out.resize(logits.size());
  const float max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (std::size_t v = 0; v < logits.size(); ++v) {
    out[v] = std::exp(static_cast<double>(logits[v] - max_logit));
    sum += out[v];
  }
  for (double& p : out) p /= sum;
}

}  // namespace

GptLM::GptLM(std::shared_ptr<const nn::GptModel> model, std::string name)
    : model_(std::move(model)), name_(std::move(name)) {}

std::uint32_t GptLM::vocab_size() const { return static_cast<std::uint32_t>(model_->config().vocab_size); }

void GptLM::run_window(std::span<const std::uint32_t> tokens, std::size_t begin, std::size_t end,
                       std::size_t first_position, const DistributionVisitor& visit) const {
  const std::size_t T = end - begin;
  const std::size_t V = vocab_size();
  std::vector<std::int32_t> ids(T);
  for (std::size_t t = 0; t < T; ++t) {
    if (tokens[begin + t] >= V)
      fail("{}: token id {} at position {} is outside the vocabulary of {}", name_, tokens[begin + t],
           begin + t, V);
    ids[t] = static_cast<std::int32_t>(tokens[begin + t]);
  }
  // A context of exactly this window: one prefill pass writes the logits of every position.
  nn::KvCache cache = model_->make_cache(1, T);
  std::vector<std::int32_t> positions(T);
  for (std::size_t t = 0; t < T; ++t) positions[t] = static_cast<std::int32_t>(t);
  std::vector<float> logits(T * V);  // (1, T, V)
  model_->forward_cached(cache, ids.data(), positions.data(), nullptr, T, logits.data(), nn::LogitRows::all);
  const std::span<const float> all(logits);
  std::vector<double> distribution;
  // Row t predicts position begin + t + 1.
  for (std::size_t t = 0; t < T; ++t) {
    const std::size_t position = begin + t + 1;
    if (position < first_position) continue;
    softmax_row(all.subspan(t * V, V), distribution);
    visit(position, distribution);
  }
}

void GptLM::for_each_distribution(std::span<const std::uint32_t> tokens, std::size_t first,
                                  const DistributionVisitor& visit) const {
  if (tokens.empty() || first > tokens.size()) return;
  if (first == 0) fail("{}: position 0 has no context to predict from", name_);
  const std::size_t n_ctx = model_->config().n_ctx;
  const std::size_t stride = std::max<std::size_t>(1, n_ctx / 2);
  // Window [begin, end) predicts positions begin+1 .. end. The first window starts at 0; later
  // ones end `stride` positions further and reach back n_ctx tokens.
  const std::size_t n = tokens.size();
  std::size_t next = first;  // the next position to visit
  while (next <= n) {
    const std::size_t end = next <= n_ctx ? std::min(n, n_ctx) : std::min(n, next - 1 + stride);
    const std::size_t begin = end > n_ctx ? end - n_ctx : 0;
    run_window(tokens, begin, end, next, visit);
    next = end + 1;
  }
}

std::vector<double> GptLM::next_token_distribution(std::span<const std::uint32_t> context) const {
  if (context.empty()) fail("{}: needs at least one context token (e.g. the tokenizer's EOS)", name_);
  std::vector<double> result;
  for_each_distribution(context, context.size(),
                        [&](std::size_t position, std::span<const double> distribution) {
                          if (position == context.size())
                            result.assign(distribution.begin(), distribution.end());
                        });
  return result;
}

GptStream::GptStream(std::shared_ptr<const nn::GptModel> model)
    : model_(std::move(model)), cache_(model_->make_cache(1)), logits_(model_->config().vocab_size) {}

const std::vector<double>& GptStream::next_token_distribution(std::span<const std::uint32_t> context) {
  const std::size_t n_ctx = model_->config().n_ctx, V = model_->config().vocab_size;
  if (context.empty()) fail("gpt: needs at least one context token (e.g. the tokenizer's EOS)");
  if (context.size() < start_ + fed_) fail("gpt stream: the context became shorter than the previous one");
  if (context.size() - start_ > n_ctx) {  // restart from the last n_ctx / 2 tokens
    start_ = context.size() - std::max<std::size_t>(1, n_ctx / 2);
    fed_ = 0;
    cache_ = model_->make_cache(1);
  }
  const std::size_t n_new = context.size() - start_ - fed_;
  if (n_new > 0) {
    std::vector<std::int32_t> ids(n_new), positions(n_new);
    for (std::size_t i = 0; i < n_new; ++i) {
      const std::uint32_t token = context[start_ + fed_ + i];
      if (token >= V)
        fail("gpt: token id {} at position {} is outside the vocabulary of {}", token, start_ + fed_ + i, V);
      ids[i] = static_cast<std::int32_t>(token);
      positions[i] = static_cast<std::int32_t>(fed_ + i);
    }
    model_->forward_cached(cache_, ids.data(), positions.data(), nullptr, n_new, logits_.data());
    fed_ += n_new;
    softmax_row(logits_, distribution_);
  }
  return distribution_;
}

}  // namespace lmkit::lm
