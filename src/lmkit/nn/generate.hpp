// Text generation with a KV cache (Phuong & Hutter, Algorithm 14 DInference): the prompt runs through
// the model once, then each new token runs one position and appends its keys and values to the cache.
// Several prompts of different lengths run as one batch, left-padded, with padding masks and per-row
// positions, so each row gets exactly the tokens it would get alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "lmkit/nn/gpt.hpp"

namespace lmkit::nn {

struct SamplingOptions {
  float temperature = 1.0f;  // 0: greedy (argmax)
  std::size_t top_k = 0;     // 0: no limit
  float top_p = 1.0f;        // nucleus: smallest set of tokens whose probability reaches top_p
  std::uint64_t seed = 0;
};

// Draws tokens from logits; one per generated sequence, so rows of a batch are independent.
class Sampler {
 public:
  explicit Sampler(SamplingOptions options);
  std::int32_t sample(std::span<const float> logits);

 private:
  double uniform();

  SamplingOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, std::int32_t>> candidates_;
};

// Argmax; the lowest id wins ties.
std::int32_t greedy_token(std::span<const float> logits);

struct GenerateOptions {
  std::size_t max_new_tokens = 64;
  SamplingOptions sampling;
  std::optional<std::int32_t> stop_token;  // a row ends after producing it
};

// Generates for each prompt (each non-empty); row r samples with seed sampling.seed + r. Generation
// stops early when the context reaches n_ctx; the rows of a batch share one cache length (the longest
// prompt plus the tokens so far), so a short prompt batched with a long one may stop sooner than alone.
// on_token(row, token) is called as each token is chosen.
std::vector<std::vector<std::int32_t>> generate(
    const GptModel& model, const std::vector<std::vector<std::int32_t>>& prompts,
    const GenerateOptions& options,
    const std::function<void(std::size_t row, std::int32_t token)>& on_token = {});

}  // namespace lmkit::nn
