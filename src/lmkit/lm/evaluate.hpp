// Evaluating language models on tokenized documents: perplexity and next-token accuracy for any
// LanguageModel, the ∞-gram's effective-n breakdown, and the data for tuning a hybrid's λ.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "lmkit/lm/hybrid.hpp"
#include "lmkit/lm/language_model.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::lm {

// Documents as token ids; every position i ≥ 1 of a document is predicted from tokens [0, i)
// (callers put a BOS / EOS token first when the tokenizer has one, so the first word is scored too).
using TokenizedDocs = std::vector<std::vector<std::uint32_t>>;

struct EvalResult {
  std::string model;
  std::uint64_t tokens = 0;     // predicted positions
  double nll = 0;               // Σ −log P(target), natural log; +inf when some target had P = 0
  std::uint64_t correct = 0;    // argmax == target
  std::uint64_t zero_prob = 0;  // targets given probability 0

  double perplexity() const;  // exp(nll / tokens)
  double accuracy() const;    // correct / tokens
  Json to_json() const;
};

// Per effective n (suffix_len + 1) of the ∞-gram: how many positions, how many the ∞-gram's argmax
// got right, split by sparse (a single possible next token) or not.
struct EffectiveNBucket {
  std::uint64_t positions = 0;
  std::uint64_t agree = 0;
  std::uint64_t sparse_positions = 0;
  std::uint64_t sparse_agree = 0;
};

struct InfgramEvalResult {
  EvalResult overall;
  std::map<std::size_t, EffectiveNBucket> by_effective_n;
  std::uint64_t sparse_positions = 0;
  Json to_json() const;
};

// Scores every position of every document with `model`; `on_document` (if set) is called after each
// document with the number done, for progress bars.
EvalResult evaluate(const LanguageModel& model, const TokenizedDocs& docs,
                    const std::function<void(std::size_t)>& on_document = {});
InfgramEvalResult evaluate_infgram(const InfgramLM& model, const TokenizedDocs& docs,
                                   const std::function<void(std::size_t)>& on_document = {});
// P∞ and P_neural of every target, with the ∞-gram's sparsity, for tune_mixture().
std::vector<MixturePoint> mixture_points(const InfgramLM& infgram, const LanguageModel& neural,
                                         const TokenizedDocs& docs,
                                         const std::function<void(std::size_t)>& on_document = {});

// The Infini-gram paper's relative improvement of a hybrid over its neural model:
// (PPL_neural − PPL_hybrid) / (PPL_neural − 1).
double relative_improvement(double ppl_neural, double ppl_hybrid);

}  // namespace lmkit::lm
