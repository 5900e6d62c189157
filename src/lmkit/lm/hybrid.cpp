#include "lmkit/lm/hybrid.hpp"

#include <cmath>
#include <limits>

#include "lmkit/util/error.hpp"

namespace lmkit::lm {

namespace {

double log_likelihood(std::span<const MixturePoint> points, bool sparse, double lambda) {
  double total = 0;
  for (const auto& p : points) {
    if (p.sparse != sparse) continue;
    total += std::log(lambda * p.p_infgram + (1 - lambda) * p.p_neural);
  }
  return std::isnan(total) ? -std::numeric_limits<double>::infinity() : total;
}

double best_lambda(std::span<const MixturePoint> points, bool sparse) {
  // Golden-section search for the maximum of a concave function on [0, 1].
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double lo = 0, hi = 1;
  double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
  double fa = log_likelihood(points, sparse, a), fb = log_likelihood(points, sparse, b);
  while (hi - lo > 1e-7) {
    if (fa < fb) {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = log_likelihood(points, sparse, b);
    } else {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = log_likelihood(points, sparse, a);
    }
  }
  double best = (lo + hi) / 2;
  double best_value = log_likelihood(points, sparse, best);
  for (double endpoint : {0.0, 1.0}) {
    double value = log_likelihood(points, sparse, endpoint);
    if (value > best_value) {
      best = endpoint;
      best_value = value;
    }
  }
  return best;
}

}  // namespace

double mixture_log_prob(const MixturePoint& point, const MixtureWeights& weights) {
  const double lambda = point.sparse ? weights.lambda_sparse : weights.lambda_dense;
  return std::log(lambda * point.p_infgram + (1 - lambda) * point.p_neural);
}

MixtureWeights tune_mixture(std::span<const MixturePoint> points) {
  for (const auto& p : points) {
    if (!(p.p_neural > 0 && p.p_neural <= 1) || !(p.p_infgram >= 0 && p.p_infgram <= 1))
      fail("tune_mixture: probabilities must lie in [0, 1] (neural {} must be > 0, infgram {})", p.p_neural,
           p.p_infgram);
  }
  return {best_lambda(points, true), best_lambda(points, false)};
}

HybridLM::HybridLM(std::shared_ptr<const InfgramLM> infgram, std::shared_ptr<const LanguageModel> neural,
                   MixtureWeights weights)
    : infgram_(std::move(infgram)), neural_(std::move(neural)), weights_(weights) {
  if (infgram_->vocab_size() != neural_->vocab_size())
    usage_fail("hybrid: the ∞-gram index's vocabulary ({}) differs from the model's ({})",
               infgram_->vocab_size(), neural_->vocab_size());
  for (double lambda : {weights_.lambda_sparse, weights_.lambda_dense})
    if (!(lambda >= 0 && lambda <= 1)) usage_fail("hybrid: λ = {} is outside [0, 1]", lambda);
}

namespace {

void mix_into(std::vector<double>& distribution, const InfgramEstimate& estimate,
              const MixtureWeights& weights) {
  const double lambda = estimate.sparse ? weights.lambda_sparse : weights.lambda_dense;
  for (std::size_t w = 0; w < distribution.size(); ++w)
    distribution[w] = lambda * estimate.distribution[w] + (1 - lambda) * distribution[w];
}

}  // namespace

void HybridLM::mix(std::span<const std::uint32_t> context, std::vector<double>& neural) const {
  if (neural.size() != vocab_size())
    fail("hybrid: a distribution over {} tokens, not the vocabulary's {}", neural.size(), vocab_size());
  mix_into(neural, infgram_->estimate(context), weights_);
}

std::vector<double> HybridLM::next_token_distribution(std::span<const std::uint32_t> context) const {
  std::vector<double> distribution = neural_->next_token_distribution(context);
  mix_into(distribution, infgram_->estimate(context), weights_);
  return distribution;
}

void HybridLM::for_each_distribution(std::span<const std::uint32_t> tokens, std::size_t first,
                                     const DistributionVisitor& visit) const {
  std::vector<double> mixed;
  neural_->for_each_distribution(tokens, first, [&](std::size_t i, std::span<const double> neural) {
    mixed.assign(neural.begin(), neural.end());
    mix_into(mixed, infgram_->estimate(tokens.first(i)), weights_);
    visit(i, mixed);
  });
}

}  // namespace lmkit::lm
