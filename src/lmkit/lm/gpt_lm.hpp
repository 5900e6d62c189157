// A GPT model as a LanguageModel. Sequences longer than the model's context are scored with a
// sliding window of n_ctx tokens advancing by n_ctx / 2, so every position after the first window
// is predicted from at least n_ctx / 2 tokens of context. The model is shared and only read: each
// call runs its windows through a KV cache of its own (an inference context), so any number of
// threads score through one GptLM at once, with no lock.
#pragma once

#include <memory>

#include "lmkit/lm/language_model.hpp"
#include "lmkit/nn/gpt.hpp"

namespace lmkit::lm {

class GptLM final : public LanguageModel {
 public:
  GptLM(std::shared_ptr<const nn::GptModel> model, std::string name = "gpt");
  const std::shared_ptr<const nn::GptModel>& model() const { return model_; }

  std::string name() const override { return name_; }
  std::uint32_t vocab_size() const override;
  std::vector<double> next_token_distribution(std::span<const std::uint32_t> context) const override;
  void for_each_distribution(std::span<const std::uint32_t> tokens, std::size_t first,
                             const DistributionVisitor& visit) const override;

 private:
  // Runs tokens [begin, end) (end − begin ≤ n_ctx) through the model and visits the positions
  // first_position .. end that its rows predict.
  void run_window(std::span<const std::uint32_t> tokens, std::size_t begin, std::size_t end,
                  std::size_t first_position, const DistributionVisitor& visit) const;

  std::shared_ptr<const nn::GptModel> model_;
  std::string name_;
};

// Next-token distributions of one growing sequence through a KV cache, for generation: each call runs
// only the tokens added since the previous call. While the sequence fits in n_ctx the distributions
// are GptLM's (one pass over the whole prefix); past n_ctx the cache restarts from the last n_ctx / 2
// tokens, so a step costs one position plus, every n_ctx / 2 steps, a prefill of n_ctx / 2 — where
// GptLM would rerun the last n_ctx tokens at every step.
class GptStream {
 public:
  explicit GptStream(std::shared_ptr<const nn::GptModel> model);

  // P(· | context); `context` extends the previous call's context (the first call may be any prefix).
  const std::vector<double>& next_token_distribution(std::span<const std::uint32_t> context);

 private:
  std::shared_ptr<const nn::GptModel> model_;
  nn::KvCache cache_;
  std::size_t start_ = 0;  // context position of the cache's first row
  std::size_t fed_ = 0;    // context tokens already in the cache (from start_)
  std::vector<float> logits_;
  std::vector<double> distribution_;
};

}  // namespace lmkit::lm
