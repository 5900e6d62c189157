// Evaluating language models on a corpus, as the Infini-gram paper's tables do: Katz and Kneser–Ney
// n-gram LMs and the ∞-gram over an index, a GPT, and the GPT + ∞-gram hybrid with λ tuned on
// validation data — perplexity and next-token accuracy per model, in one table.
//
//   auto table = lmkit::api::evaluate({.data = {"test.jsonl"}, .validation = {"valid.jsonl"},
//                                      .model_dir = "model", .index_dir = "index"});
//   for (const auto& row : table.rows) fmt::print("{} {}\n", row.result.model, row.result.perplexity());
//
// Every document is scored from an end-of-text token before it (when the tokenizer has one), so its
// first token is predicted too, as GPT-2 scores documents.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lmkit/api/index.hpp"
#include "lmkit/api/model.hpp"
#include "lmkit/lm/evaluate.hpp"
#include "lmkit/lm/hybrid.hpp"
#include "lmkit/text/corpus.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::api {

struct EvaluationRequest {
  std::vector<std::string> data;        // the corpus to evaluate on (text/corpus.hpp paths)
  std::vector<std::string> validation;  // the corpus to tune the hybrid's λ on (needed for a hybrid)
  text::CorpusOptions corpus;           // how both corpora are read
  // The GPT and the index, by directory or already open (an open one is used when both are given).
  std::string model_dir, index_dir;
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Index> index;
  std::string tokenizer;             // overrides the model's and index's (which must otherwise agree)
  int order = 5;                     // n of the Katz and Kneser–Ney LMs, in [1, lm::kMaxNgramOrder]
  bool ngram = true;                 // evaluate Katz and Kneser–Ney over the index's documents
  std::uint64_t max_support = 1000;  // ∞-gram distributions of more frequent suffixes are sampled
  std::size_t max_docs = 0;          // evaluate on at most this many documents of each corpus (0: all)
  std::string plot;                  // write the ∞-gram's agreement-by-effective-n plot (SVG) here
};

struct EvaluationRow {
  lm::EvalResult result;
  std::optional<lm::MixtureWeights> weights;   // the hybrid's λ
  std::optional<double> relative_improvement;  // the hybrid's (PPL_gpt − PPL_hybrid) / (PPL_gpt − 1)
};

struct Evaluation {
  std::vector<std::string> data;
  std::string tokenizer;
  std::vector<EvaluationRow> rows;               // in the order katz, kneser-ney, infgram, gpt, gpt+infgram
  std::optional<lm::InfgramEvalResult> infgram;  // the ∞-gram's breakdown by effective n
  std::uint64_t validation_tokens = 0;           // positions λ was tuned on
  Json to_json() const;                          // the report `lmkit eval --json` prints
  // One line per remark on the table: the ∞-gram's sparse fraction, the hybrid's λ and improvement.
  std::vector<std::string> notes() const;
};

// Throws InvalidArgument / UsageError for a request that cannot be evaluated (nothing to evaluate, a
// hybrid without validation data, an order out of range, no data) before any file is read.
void validate(const EvaluationRequest& request);

// Loads what the request names, checks that the model and the index use one tokenizer, reads and
// tokenizes the corpora, and scores every model (with progress bars on stderr).
Evaluation evaluate(const EvaluationRequest& request);

// The ∞-gram's agreement with the text by effective n, as an SVG line plot, written atomically.
void write_agreement_plot(const std::string& path, const lm::InfgramEvalResult& infgram);

}  // namespace lmkit::api
