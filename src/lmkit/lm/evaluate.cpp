#include "lmkit/lm/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lmkit/util/error.hpp"

namespace lmkit::lm {

namespace {

std::uint32_t argmax(std::span<const double> distribution) {
  return static_cast<std::uint32_t>(std::max_element(distribution.begin(), distribution.end()) -
                                    distribution.begin());
}

void record(EvalResult& result, double p, bool correct) {
  result.tokens += 1;
  result.correct += correct ? 1 : 0;
  if (p > 0) {
    result.nll -= std::log(p);
  } else {
    result.zero_prob += 1;
    result.nll = std::numeric_limits<double>::infinity();
  }
}

void check_targets(const std::vector<std::uint32_t>& doc, std::uint32_t vocab_size,
                   const std::string& model) {
  for (std::size_t i = 0; i < doc.size(); ++i)
    if (doc[i] >= vocab_size)
      fail("{}: token id {} at position {} is outside the vocabulary of {}", model, doc[i], i, vocab_size);
}

}  // namespace

double EvalResult::perplexity() const {
  return tokens == 0 ? std::numeric_limits<double>::quiet_NaN() : std::exp(nll / static_cast<double>(tokens));
}

double EvalResult::accuracy() const {
  return tokens == 0 ? std::numeric_limits<double>::quiet_NaN()
                     : static_cast<double>(correct) / static_cast<double>(tokens);
}

Json EvalResult::to_json() const {
  Json out = {
      {"model", model}, {"tokens", tokens}, {"accuracy", accuracy()}, {"zero_prob_tokens", zero_prob}};
  // JSON has no infinity: an infinite perplexity is null.
  out["perplexity"] = std::isfinite(perplexity()) ? Json(perplexity()) : Json(nullptr);
  out["nll_per_token"] = std::isfinite(nll) ? Json(nll / static_cast<double>(tokens)) : Json(nullptr);
  return out;
}

Json InfgramEvalResult::to_json() const {
  Json out = overall.to_json();
  out["sparse_fraction"] =
      overall.tokens == 0 ? 0.0 : static_cast<double>(sparse_positions) / static_cast<double>(overall.tokens);
  Json buckets = Json::array();
  for (const auto& [n, b] : by_effective_n)
    buckets.push_back({{"effective_n", n},
                       {"positions", b.positions},
                       {"agree", b.agree},
                       {"sparse_positions", b.sparse_positions},
                       {"sparse_agree", b.sparse_agree}});
  out["by_effective_n"] = buckets;
  return out;
}

EvalResult evaluate(const LanguageModel& model, const TokenizedDocs& docs,
                    const std::function<void(std::size_t)>& on_document) {
  EvalResult result;
  result.model = model.name();
  for (std::size_t d = 0; d < docs.size(); ++d) {
    const auto& doc = docs[d];
    check_targets(doc, model.vocab_size(), model.name());
    if (doc.size() >= 2) {
      model.for_each_distribution(doc, 1, [&](std::size_t i, std::span<const double> distribution) {
        if (i < doc.size()) record(result, distribution[doc[i]], argmax(distribution) == doc[i]);
      });
    }
    if (on_document) on_document(d + 1);
  }
  return result;
}

InfgramEvalResult evaluate_infgram(const InfgramLM& model, const TokenizedDocs& docs,
                                   const std::function<void(std::size_t)>& on_document) {
  InfgramEvalResult result;
  result.overall.model = model.name();
  for (std::size_t d = 0; d < docs.size(); ++d) {
    const auto& doc = docs[d];
    check_targets(doc, model.vocab_size(), model.name());
    for (std::size_t i = 1; i < doc.size(); ++i) {
      InfgramEstimate estimate = model.estimate(std::span<const std::uint32_t>(doc).first(i));
      const bool agree = argmax(estimate.distribution) == doc[i];
      record(result.overall, estimate.distribution[doc[i]], agree);
      EffectiveNBucket& bucket = result.by_effective_n[estimate.suffix_len + 1];
      bucket.positions += 1;
      bucket.agree += agree ? 1 : 0;
      if (estimate.sparse) {
        result.sparse_positions += 1;
        bucket.sparse_positions += 1;
        bucket.sparse_agree += agree ? 1 : 0;
      }
    }
    if (on_document) on_document(d + 1);
  }
  return result;
}

std::vector<MixturePoint> mixture_points(const InfgramLM& infgram, const LanguageModel& neural,
                                         const TokenizedDocs& docs,
                                         const std::function<void(std::size_t)>& on_document) {
  std::vector<MixturePoint> points;
  for (std::size_t d = 0; d < docs.size(); ++d) {
    const auto& doc = docs[d];
    check_targets(doc, neural.vocab_size(), neural.name());
    if (doc.size() >= 2) {
      neural.for_each_distribution(doc, 1, [&](std::size_t i, std::span<const double> distribution) {
        if (i >= doc.size()) return;
        InfgramEstimate estimate = infgram.estimate(std::span<const std::uint32_t>(doc).first(i));
        points.push_back({estimate.distribution[doc[i]], distribution[doc[i]], estimate.sparse});
      });
    }
    if (on_document) on_document(d + 1);
  }
  return points;
}

double relative_improvement(double ppl_neural, double ppl_hybrid) {
  if (!(ppl_neural > 1)) fail("relative improvement: the neural perplexity {} must exceed 1", ppl_neural);
  return (ppl_neural - ppl_hybrid) / (ppl_neural - 1);
}

}  // namespace lmkit::lm
