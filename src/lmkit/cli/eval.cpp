// `lmkit eval`: perplexity and next-token accuracy of the n-gram, ∞-gram, GPT and hybrid models on a
// corpus, as a table or one JSON document, with the ∞-gram's agreement-by-effective-n plot.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/cli/model_tokenizer.hpp"
#include "lmkit/lm/evaluate.hpp"
#include "lmkit/lm/gpt_lm.hpp"
#include "lmkit/lm/smoothed_ngram.hpp"
#include "lmkit/ngram/open.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/svg_plot.hpp"

namespace lmkit::cli {

namespace {

struct EvalOptions {
  CorpusCliOptions data;
  std::vector<std::string> validation;
  std::string model_dir;
  std::string index_dir;
  std::string tokenizer_spec;
  int ngram_order = 5;
  bool no_ngram = false;
  std::uint64_t max_support = 1000;
  std::size_t max_docs = 0;
  std::string plot_path;
  bool json = false;
};

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
  report_skipped(reader);
  if (docs.empty()) fail("{}: no documents to evaluate on", fmt::join(paths, ", "));
  return docs;
}

lm::EvalResult run_eval(const lm::LanguageModel& model, const lm::TokenizedDocs& docs) {
  ProgressBar bar("eval " + model.name(), docs.size(), "docs");
  auto result = lm::evaluate(model, docs, [&](std::size_t done) { bar.set(done); });
  bar.finish();
  return result;
}

std::string format_ppl(double ppl) { return std::isfinite(ppl) ? fmt::format("{:.3f}", ppl) : "inf"; }

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

void run(const EvalOptions& options) {
  if (options.model_dir.empty() && options.index_dir.empty())
    usage_fail("nothing to evaluate: give --model DIR (a GPT), --index DIR (∞-gram and n-gram LMs), or both");

  // The model directory and the index each name their tokenizer; they must agree.
  std::shared_ptr<nn::GptModel> gpt;
  std::string spec = options.tokenizer_spec;
  if (!options.model_dir.empty()) {
    nn::LoadedModel loaded = nn::load_gpt2_dir(options.model_dir);
    if (spec.empty()) spec = model_tokenizer_spec(options.model_dir, loaded.tokenizer_spec);
    gpt = std::make_shared<nn::GptModel>(std::move(loaded.model));
  }
  std::shared_ptr<ngram::OpenedIndex> opened;
  if (!options.index_dir.empty()) {
    opened = ngram::open_index(options.index_dir, options.tokenizer_spec);
    const std::string& index_spec = opened->index.tokenizer_spec();
    if (spec.empty()) spec = index_spec;
    // The two may name one tokenizer by different paths (a model directory carries a copy of its
    // tokenizer's files), so what is compared is what the tokenizers do.
    if (options.tokenizer_spec.empty() && !index_spec.empty() && index_spec != spec &&
        text::tokenizer_fingerprint(*text::load_tokenizer(index_spec)) !=
            text::tokenizer_fingerprint(*text::load_tokenizer(spec)))
      usage_fail("the model's tokenizer ({}) differs from the index's ({}); both must use one tokenizer",
                 spec, index_spec);
  }
  if (spec.empty()) usage_fail("no tokenizer known: the model and index name none; give --tokenizer SPEC");
  auto tokenizer = text::load_tokenizer(spec);
  const std::uint32_t vocab_size =
      gpt ? static_cast<std::uint32_t>(gpt->config().vocab_size) : tokenizer->vocab_size();
  if (vocab_size < tokenizer->vocab_size())
    fail("{}: the model's vocabulary ({}) is smaller than its tokenizer's ({})", options.model_dir,
         vocab_size, tokenizer->vocab_size());

  const auto reader_options = options.data.reader_options();
  lm::TokenizedDocs docs =
      read_docs(options.data.paths, reader_options, *tokenizer, options.max_docs, "data");
  Json report = {{"data", options.data.paths}, {"tokenizer", spec}, {"models", Json::array()}};
  std::vector<lm::EvalResult> rows;
  std::vector<std::string> notes;

  std::shared_ptr<lm::InfgramLM> infgram;
  if (opened) {
    std::shared_ptr<const ngram::Engine> engine(opened, opened->engine.get());
    infgram = std::make_shared<lm::InfgramLM>(engine, vocab_size, options.max_support);
    if (!options.no_ngram) {
      ProgressBar counting("count n-grams", 0, "");
      auto counts = lm::count_index_ngrams(opened->index, options.ngram_order, vocab_size);
      counting.finish();
      const lm::KatzLM katz(counts);
      const lm::KneserNeyLM kneser_ney(counts);
      for (const lm::LanguageModel* model : {static_cast<const lm::LanguageModel*>(&katz),
                                             static_cast<const lm::LanguageModel*>(&kneser_ney)}) {
        rows.push_back(run_eval(*model, docs));
        report["models"].push_back(rows.back().to_json());
      }
    }
    ProgressBar bar("eval infgram", docs.size(), "docs");
    lm::InfgramEvalResult result =
        lm::evaluate_infgram(*infgram, docs, [&](std::size_t done) { bar.set(done); });
    bar.finish();
    rows.push_back(result.overall);
    report["models"].push_back(result.to_json());
    notes.push_back(fmt::format("infgram: sparse estimates at {:.1f}% of positions",
                                100.0 * static_cast<double>(result.sparse_positions) /
                                    static_cast<double>(std::max<std::uint64_t>(1, result.overall.tokens))));
    if (!options.plot_path.empty()) write_agreement_plot(options.plot_path, result);
  }
  if (gpt) {
    auto neural = std::make_shared<lm::GptLM>(gpt, "gpt");
    rows.push_back(run_eval(*neural, docs));
    report["models"].push_back(rows.back().to_json());
    if (infgram) {
      if (options.validation.empty())
        usage_fail("evaluating the GPT + ∞-gram hybrid needs --validation FILE to tune its λ on");
      lm::TokenizedDocs validation =
          read_docs(options.validation, reader_options, *tokenizer, options.max_docs, "validation");
      ProgressBar bar("tune λ", validation.size(), "docs");
      auto points =
          lm::mixture_points(*infgram, *neural, validation, [&](std::size_t done) { bar.set(done); });
      bar.finish();
      lm::MixtureWeights weights = lm::tune_mixture(points);
      lm::HybridLM hybrid(infgram, neural, weights);
      lm::EvalResult gpt_row = rows.back();
      rows.push_back(run_eval(hybrid, docs));
      Json row = rows.back().to_json();
      row["lambda_sparse"] = weights.lambda_sparse;
      row["lambda_dense"] = weights.lambda_dense;
      const double improvement = lm::relative_improvement(gpt_row.perplexity(), rows.back().perplexity());
      row["relative_improvement"] = improvement;
      report["models"].push_back(row);
      notes.push_back(
          fmt::format("gpt+infgram: λ_sparse = {:.3f}, λ_dense = {:.3f} (tuned on {} validation tokens); "
                      "relative improvement over gpt (PPL_gpt − PPL_hybrid) / (PPL_gpt − 1) = {:.1f}%",
                      weights.lambda_sparse, weights.lambda_dense, points.size(), 100 * improvement));
    }
  }

  if (options.json) {
    fmt::print("{}\n", json_text(report));
    return;
  }
  fmt::print("{:<22} {:>10} {:>12} {:>10}\n", "model", "tokens", "perplexity", "accuracy");
  for (const auto& row : rows)
    fmt::print("{:<22} {:>10} {:>12} {:>9.2f}%\n", row.model, row.tokens, format_ppl(row.perplexity()),
               100 * row.accuracy());
  for (const auto& note : notes) fmt::print("{}\n", note);
  if (!options.plot_path.empty() && infgram) fmt::print("plot: {}\n", options.plot_path);
}

const bool registered = register_command("eval", [](CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  auto* sub = app.add_subcommand(
      "eval", "Perplexity and next-token accuracy of n-gram, ∞-gram, GPT and GPT+∞-gram models on a corpus");
  add_corpus_options(sub, options->data, "--data");
  sub->add_option("--model", options->model_dir, "A GPT model directory (Hugging Face GPT-2 layout)");
  sub->add_option("--index", options->index_dir,
                  "An ∞-gram index: evaluates the ∞-gram and, over its "
                  "documents, Katz and Kneser–Ney n-gram LMs");
  sub->add_option("--validation", options->validation,
                  "Corpus to tune the hybrid's λ_sparse / λ_dense on (needed with --model and --index)");
  sub->add_option("--tokenizer", options->tokenizer_spec,
                  "Tokenizer spec (default: the model's or the index's)");
  sub->add_option("--order", options->ngram_order, "n of the Katz and Kneser–Ney n-gram LMs")
      ->capture_default_str()
      ->check(CLI::Range(1, lm::kMaxNgramOrder));
  sub->add_flag("--no-ngram", options->no_ngram, "Skip the Katz and Kneser–Ney n-gram LMs");
  sub->add_option("--max-support", options->max_support,
                  "∞-gram next-token distributions of suffixes seen more often are estimated by sampling")
      ->capture_default_str();
  sub->add_option("--max-docs", options->max_docs, "Evaluate on at most this many documents (0: all)");
  sub->add_option("--plot", options->plot_path, "Write the ∞-gram agreement-by-effective-n plot (SVG) here");
  sub->add_flag("--json", options->json, "Print one JSON document");
  sub->callback([options] { run(*options); });
});

}  // namespace

}  // namespace lmkit::cli
