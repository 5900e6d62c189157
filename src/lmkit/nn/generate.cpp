#include "lmkit/nn/generate.hpp"

#include <algorithm>
#include <cmath>

#include "lmkit/util/error.hpp"

namespace lmkit::nn {

Sampler::Sampler(SamplingOptions options) : options_(options), rng_(options.seed) {
  if (!(options_.temperature >= 0))
    invalid_argument("temperature", options_.temperature, "must be at least 0");
  if (!(options_.top_p > 0 && options_.top_p <= 1))
    invalid_argument("top_p", options_.top_p, "must be in (0, 1]");
}

double Sampler::uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

std::int32_t greedy_token(std::span<const float> logits) {
  return static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

std::int32_t Sampler::sample(std::span<const float> logits) {
  if (options_.temperature == 0.0f || options_.top_k == 1) return greedy_token(logits);
  candidates_.clear();
  for (std::size_t i = 0; i < logits.size(); ++i)
    candidates_.emplace_back(logits[i] / options_.temperature, static_cast<std::int32_t>(i));
  auto higher = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::size_t keep = candidates_.size();
  if (options_.top_k > 0 && options_.top_k < keep) {
    keep = options_.top_k;
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep),
                      candidates_.end(), higher);
  } else if (options_.top_p < 1.0f) {
    std::sort(candidates_.begin(), candidates_.end(), higher);
  }
  candidates_.resize(keep);
  float max = candidates_[0].first;
  if (options_.top_k == 0 && options_.top_p >= 1.0f)
    for (const auto& c : candidates_) max = std::max(max, c.first);
  double total = 0;
  for (auto& c : candidates_) {
    c.first = std::exp(c.first - max);
    total += c.first;
  }
  if (options_.top_p < 1.0f) {
    // candidates are sorted: keep the shortest prefix reaching top_p of the mass
    double cumulative = 0;
    std::size_t n = 0;
    while (n < candidates_.size()) {
      cumulative += candidates_[n++].first / total;
      if (cumulative >= options_.top_p) break;
    }
    candidates_.resize(n);
    total = 0;
    for (const auto& c : candidates_) total += c.first;
  }
  double r = uniform() * total;
  for (const auto& c : candidates_) {
    r -= c.first;
    if (r < 0) return c.second;
  }
  return candidates_.back().second;
}

std::vector<std::vector<std::int32_t>> generate(
    const GptModel& model, const std::vector<std::vector<std::int32_t>>& prompts,
    const GenerateOptions& options,
    const std::function<void(std::size_t row, std::int32_t token)>& on_token) {
  const std::size_t B = prompts.size(), V = model.config().vocab_size, n_ctx = model.config().n_ctx;
  std::vector<std::vector<std::int32_t>> outputs(B);
  if (B == 0 || options.max_new_tokens == 0) return outputs;
  std::size_t P = 0;
  for (std::size_t b = 0; b < B; ++b) {
    if (prompts[b].empty()) fail("prompt {} is empty; generation needs at least one token to start from", b);
    P = std::max(P, prompts[b].size());
  }
  if (P > n_ctx) fail("a prompt of {} tokens does not fit the model's context of {}", P, n_ctx);

  // Left padding: every row's last prompt token sits at column P - 1, so all rows advance together.
  std::vector<std::int32_t> tokens(B * P, 0), positions(B * P, 0);
  std::vector<std::uint8_t> valid(B * P, 0);
  std::vector<std::size_t> pad(B);
  for (std::size_t b = 0; b < B; ++b) {
    pad[b] = P - prompts[b].size();
    for (std::size_t t = pad[b]; t < P; ++t) {
      tokens[b * P + t] = prompts[b][t - pad[b]];
      positions[b * P + t] = static_cast<std::int32_t>(t - pad[b]);
      valid[b * P + t] = 1;
    }
  }
  std::vector<Sampler> samplers;
  for (std::size_t b = 0; b < B; ++b) {
    SamplingOptions s = options.sampling;
    s.seed += b;
    samplers.emplace_back(s);
  }
  KvCache cache = model.make_cache(B);
  std::vector<float> logits(B * V);
  model.forward_cached(cache, tokens.data(), positions.data(), valid.data(), P, logits.data());

  std::vector<bool> done(B, false);
  std::vector<std::int32_t> next(B), next_positions(B);
  for (std::size_t step = 0; step < options.max_new_tokens; ++step) {
    bool any_active = false;
    for (std::size_t b = 0; b < B; ++b) {
      if (done[b]) continue;
      next[b] = samplers[b].sample(std::span<const float>(logits).subspan(b * V, V));
      outputs[b].push_back(next[b]);
      if (on_token) on_token(b, next[b]);
      if (options.stop_token && next[b] == *options.stop_token)
        done[b] = true;
      else
        any_active = true;
    }
    if (!any_active || step + 1 == options.max_new_tokens || cache.length == n_ctx) break;
    for (std::size_t b = 0; b < B; ++b)
      next_positions[b] = static_cast<std::int32_t>(prompts[b].size() + outputs[b].size() - 1);
    model.forward_cached(cache, next.data(), next_positions.data(), nullptr, 1, logits.data());
  }
  return outputs;
}

}  // namespace lmkit::nn
