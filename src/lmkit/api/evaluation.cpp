#include "lmkit/api/evaluation.hpp"

#include <fmt/format.h>

#include <cmath>

#include "lmkit/lm/gpt_lm.hpp"
#include "lmkit/lm/infgram_lm.hpp"
#include "lmkit/lm/ngram_counts.hpp"
#include "lmkit/lm/smoothed_ngram.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/svg_plot.hpp"

namespace lmkit::api {

namespace {

lm::TokenizedDocs read_docs(const std::vector<std::string>& paths, const text::CorpusOptions& options,
                            const text::Tokenizer& tokenizer, std::size_t max_docs,
                            const std::string& label) {
  text::CorpusReader reader(paths, options);
  const auto eos = tokenizer.specials().eos;
  lm::TokenizedDocs docs;
  ProgressBar bar("tokenize " + label, reader.total_raw_bytes(), "B");
  text::Document doc;
  while ((max_docs == 0 || docs.size() < max_docs) && reader.next(doc)) {
    std::vector<std::uint32_t> ids;
    // The EOS in front lets the first real token be predicted too, as GPT-2 scores documents.
    if (eos) ids.push_back(*eos);
    auto encoded = tokenizer.encode(doc.text);
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    docs.push_back(std::move(ids));
    bar.set(reader.raw_bytes_read());
  }
  bar.finish();
  if (reader.skipped() > 0 && !ProgressBar::quiet())
    fmt::print(stderr, "{}: skipped {} bad documents\n", label, reader.skipped());
  if (docs.empty()) fail("{}: no documents to evaluate on", fmt::join(paths, ", "));
  return docs;
}

lm::EvalResult run_eval(const lm::LanguageModel& model, const lm::TokenizedDocs& docs) {
  ProgressBar bar("eval " + model.name(), docs.size(), "docs");
  auto result = lm::evaluate(model, docs, [&](std::size_t done) { bar.set(done); });
  bar.finish();
  return result;
}

EvaluationRow row_of(lm::EvalResult result) {
  EvaluationRow row;
  row.result = std::move(result);
  return row;
}

}  // namespace

void validate(const EvaluationRequest& r) {
  const bool has_model = r.model || !r.model_dir.empty();
  const bool has_index = r.index || !r.index_dir.empty();
  if (!has_model && !has_index)
    usage_fail("nothing to evaluate: give a GPT model directory, an ∞-gram index, or both");
  if (r.data.empty()) invalid_argument("data", "none", "name the corpus to evaluate on");
  if (r.order < 1 || r.order > lm::kMaxNgramOrder)
    invalid_argument("order", r.order, "must be in [1, {}]", lm::kMaxNgramOrder);
  if (has_model && has_index && r.validation.empty())
    invalid_argument("validation", "none",
                     "evaluating the GPT + ∞-gram hybrid needs validation data to tune its λ on");
}

Evaluation evaluate(const EvaluationRequest& request) {
  validate(request);
  Evaluation out;
  out.data = request.data;
  std::shared_ptr<const Model> model =
      request.model
          ? request.model
          : (request.model_dir.empty() ? nullptr : Model::load(request.model_dir, request.tokenizer));
  std::shared_ptr<const Index> index = request.index;
  if (!index && !request.index_dir.empty()) {
    IndexOptions options;
    options.dirs = {request.index_dir};
    options.tokenizer = request.tokenizer;
    index = Index::open(options);
  }
  if (request.ngram && index && index->directories().size() > 1)
    usage_fail("the Katz and Kneser–Ney LMs count one index directory; evaluate without them over several");

  // The model and the index each name their tokenizer; they must agree.
  std::string spec = request.tokenizer;
  if (spec.empty() && model) spec = model->tokenizer_spec();
  if (spec.empty() && index) spec = index->tokenizer_spec();
  if (request.tokenizer.empty() && model && index)
    check_same_tokenizer(model->tokenizer(), "the model " + model->dir(), index->tokenizer(),
                         "the index " + index->directories().front().dir());
  if (spec.empty()) usage_fail("no tokenizer known: the model and index name none; give a tokenizer spec");
  // The tokenizer the model or index loaded, unless the request names another.
  std::unique_ptr<text::Tokenizer> loaded;
  const text::Tokenizer* tokenizer = nullptr;
  if (model && spec == model->tokenizer_spec()) {
    tokenizer = &model->tokenizer();
  } else if (index && index->tokenizer() && spec == index->tokenizer_spec()) {
    tokenizer = index->tokenizer();
  } else {
    loaded = text::load_tokenizer(spec);
    tokenizer = loaded.get();
  }
  out.tokenizer = spec;
  const std::uint32_t vocab_size = model ? model->vocab_size() : tokenizer->vocab_size();
  if (vocab_size < tokenizer->vocab_size())
    fail("{}: the model's vocabulary ({}) is smaller than its tokenizer's ({})", model->dir(), vocab_size,
         tokenizer->vocab_size());

  const lm::TokenizedDocs docs =
      read_docs(request.data, request.corpus, *tokenizer, request.max_docs, "data");
  std::shared_ptr<const lm::InfgramLM> infgram;
  if (index) {
    infgram = std::make_shared<const lm::InfgramLM>(index->shared_engine(), vocab_size, request.max_support);
    if (request.ngram) {
      ProgressBar counting("count n-grams", 0, "");
      auto counts = lm::count_index_ngrams(index->directories().front(), request.order, vocab_size);
      counting.finish();
      const lm::KatzLM katz(counts);
      const lm::KneserNeyLM kneser_ney(counts);
      out.rows.push_back(row_of(run_eval(katz, docs)));
      out.rows.push_back(row_of(run_eval(kneser_ney, docs)));
    }
    ProgressBar bar("eval infgram", docs.size(), "docs");
    out.infgram = lm::evaluate_infgram(*infgram, docs, [&](std::size_t done) { bar.set(done); });
    bar.finish();
    out.rows.push_back(row_of(out.infgram->overall));
    if (!request.plot.empty()) write_agreement_plot(request.plot, *out.infgram);
  }
  if (model) {
    const auto neural = std::make_shared<const lm::GptLM>(model->shared_gpt(), "gpt");
    out.rows.push_back(row_of(run_eval(*neural, docs)));
    if (infgram) {
      const lm::TokenizedDocs validation =
          read_docs(request.validation, request.corpus, *tokenizer, request.max_docs, "validation");
      ProgressBar bar("tune λ", validation.size(), "docs");
      auto points =
          lm::mixture_points(*infgram, *neural, validation, [&](std::size_t done) { bar.set(done); });
      bar.finish();
      const lm::MixtureWeights weights = lm::tune_mixture(points);
      const lm::HybridLM hybrid(infgram, neural, weights);
      const double ppl_gpt = out.rows.back().result.perplexity();
      EvaluationRow row = row_of(run_eval(hybrid, docs));
      row.weights = weights;
      row.relative_improvement = lm::relative_improvement(ppl_gpt, row.result.perplexity());
      out.rows.push_back(row);
      out.validation_tokens = points.size();
    }
  }
  return out;
}

Json Evaluation::to_json() const {
  Json report = {{"data", data}, {"tokenizer", tokenizer}, {"models", Json::array()}};
  for (const auto& row : rows) {
    Json j = infgram && row.result.model == infgram->overall.model && !row.weights ? infgram->to_json()
                                                                                   : row.result.to_json();
    if (row.weights) {
      j["lambda_sparse"] = row.weights->lambda_sparse;
      j["lambda_dense"] = row.weights->lambda_dense;
    }
    if (row.relative_improvement) j["relative_improvement"] = *row.relative_improvement;
    report["models"].push_back(j);
  }
  return report;
}

std::vector<std::string> Evaluation::notes() const {
  std::vector<std::string> out;
  if (infgram)
    out.push_back(fmt::format("infgram: sparse estimates at {:.1f}% of positions",
                              100.0 * static_cast<double>(infgram->sparse_positions) /
                                  static_cast<double>(std::max<std::uint64_t>(1, infgram->overall.tokens))));
  for (const auto& row : rows)
    if (row.weights && row.relative_improvement)
      out.push_back(
          fmt::format("{}: λ_sparse = {:.3f}, λ_dense = {:.3f} (tuned on {} validation tokens); "
                      "relative improvement over gpt (PPL_gpt − PPL_hybrid) / (PPL_gpt − 1) = {:.1f}%",
                      row.result.model, row.weights->lambda_sparse, row.weights->lambda_dense,
                      validation_tokens, 100 * *row.relative_improvement));
  return out;
}

void write_agreement_plot(const std::string& path, const lm::InfgramEvalResult& infgram) {
  PlotSeries all{"all positions", "#1f77b4", {}}, sparse{"sparse estimates", "#d62728", {}};
  for (const auto& [n, bucket] : infgram.by_effective_n) {
    if (bucket.positions > 0)
      all.points.emplace_back(static_cast<double>(n), 100.0 * static_cast<double>(bucket.agree) /
                                                          static_cast<double>(bucket.positions));
    if (bucket.sparse_positions > 0)
      sparse.points.emplace_back(static_cast<double>(n), 100.0 * static_cast<double>(bucket.sparse_agree) /
                                                             static_cast<double>(bucket.sparse_positions));
  }
  write_file_atomic(path, line_plot_svg({all, sparse}, {"∞-gram agreement with the text by effective n",
                                                        "effective n (suffix length + 1)",
                                                        "argmax = actual next token (%)", true, true}));
}

}  // namespace lmkit::api
