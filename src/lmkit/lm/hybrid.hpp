// A neural LM interpolated with an ∞-gram LM, as in the Infini-gram paper:
//   P(w | x) = λ · P∞(w | x) + (1 − λ) · P_neural(w | x),
// with λ = λ_sparse where the ∞-gram estimate is sparse (a single possible next token) and
// λ = λ_dense otherwise, both tuned on validation data. P∞ may be 0; since λ < 1 whenever the
// neural model is needed, the mixture stays a proper distribution with nonzero probabilities.
#pragma once

#include <memory>
#include <span>

#include "lmkit/lm/infgram_lm.hpp"
#include "lmkit/lm/language_model.hpp"

namespace lmkit::lm {

// One scored position: what each model gave the true next token, and the ∞-gram's sparsity there.
struct MixturePoint {
  double p_infgram = 0;
  double p_neural = 0;
  bool sparse = false;
};

struct MixtureWeights {
  double lambda_sparse = 0;
  double lambda_dense = 0;
};

// log(λ·p∞ + (1 − λ)·p_neural) with λ chosen by the point's sparsity.
double mixture_log_prob(const MixturePoint& point, const MixtureWeights& weights);

// The λ_sparse and λ_dense in [0, 1] that maximize the total log-likelihood of `points`. The
// log-likelihood is concave in each λ and separates over sparse and dense points, so each λ is
// found by golden-section search to 1e-7; λ = 0 (the neural model alone) and λ = 1 are candidates
// too, so the result never scores worse on `points` than either model alone.
MixtureWeights tune_mixture(std::span<const MixturePoint> points);

class HybridLM final : public LanguageModel {
 public:
  HybridLM(std::shared_ptr<const InfgramLM> infgram, std::shared_ptr<const LanguageModel> neural,
           MixtureWeights weights);

  std::string name() const override { return neural_->name() + "+infgram"; }
  std::uint32_t vocab_size() const override { return neural_->vocab_size(); }
  std::vector<double> next_token_distribution(std::span<const std::uint32_t> context) const override;
  // The neural model's pass over the sequence, each distribution mixed with the ∞-gram estimate.
  void for_each_distribution(std::span<const std::uint32_t> tokens, std::size_t first,
                             const DistributionVisitor& visit) const override;
  const MixtureWeights& weights() const { return weights_; }
  // Mixes the ∞-gram estimate for `context` into `neural`, the neural model's distribution there
  // (for callers that compute it themselves, as cached generation does).
  void mix(std::span<const std::uint32_t> context, std::vector<double>& neural) const;

 private:
  std::shared_ptr<const InfgramLM> infgram_;
  std::shared_ptr<const LanguageModel> neural_;
  MixtureWeights weights_;
};

}  // namespace lmkit::lm
