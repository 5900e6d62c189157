// `lmkit eval`: perplexity and next-token accuracy of the n-gram, ∞-gram, GPT and hybrid models on a
// corpus, as a table or one JSON document, with the ∞-gram's agreement-by-effective-n plot.
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "lmkit/api/evaluation.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/lm/ngram_counts.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::cli {

namespace {

struct EvalOptions {
  CorpusCliOptions data;
  api::EvaluationRequest request;
  bool no_ngram = false;
  bool json = false;
};

std::string format_ppl(double ppl) { return std::isfinite(ppl) ? fmt::format("{:.3f}", ppl) : "inf"; }

void run(EvalOptions& o) {
  o.request.data = o.data.paths;
  o.request.validation = o.data.validation;
  o.request.corpus = o.data.reader_options();
  o.request.ngram = !o.no_ngram;
  const api::Evaluation table = api::evaluate(o.request);
  if (o.json) return fmt::print("{}\n", json_text(table.to_json()));
  fmt::print("{:<22} {:>10} {:>12} {:>10}\n", "model", "tokens", "perplexity", "accuracy");
  for (const auto& row : table.rows)
    fmt::print("{:<22} {:>10} {:>12} {:>9.2f}%\n", row.result.model, row.result.tokens,
               format_ppl(row.result.perplexity()), 100 * row.result.accuracy());
  for (const auto& note : table.notes()) fmt::print("{}\n", note);
  if (!o.request.plot.empty() && table.infgram) fmt::print("plot: {}\n", o.request.plot);
}

const bool registered = register_command("eval", [](CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  auto* sub = app.add_subcommand(
      "eval", "Perplexity and next-token accuracy of n-gram, ∞-gram, GPT and GPT+∞-gram models on a corpus");
  add_corpus_options(
      sub, options->data,
      {.validation = true,
       .validation_help = "Corpus to tune the hybrid's λ_sparse / λ_dense on (needed with --model "
                          "and --index)"});
  sub->add_option("--model", options->request.model_dir, "A GPT model directory (Hugging Face GPT-2 layout)");
  sub->add_option("--index", options->request.index_dir,
                  "An ∞-gram index: evaluates the ∞-gram and, over its "
                  "documents, Katz and Kneser–Ney n-gram LMs");
  sub->add_option("--tokenizer", options->request.tokenizer,
                  "Tokenizer spec (default: the model's or the index's)");
  sub->add_option("--order", options->request.order, "n of the Katz and Kneser–Ney n-gram LMs")
      ->capture_default_str()
      ->check(CLI::Range(1, lm::kMaxNgramOrder));
  sub->add_flag("--no-ngram", options->no_ngram, "Skip the Katz and Kneser–Ney n-gram LMs");
  sub->add_option("--max-support", options->request.max_support,
                  "∞-gram next-token distributions of suffixes seen more often are estimated by sampling")
      ->capture_default_str();
  sub->add_option("--max-docs", options->request.max_docs,
                  "Evaluate on at most this many documents (0: all)");
  sub->add_option("--plot", options->request.plot,
                  "Write the ∞-gram agreement-by-effective-n plot (SVG) here");
  sub->add_flag("--json", options->json, "Print one JSON document");
  sub->callback([options] { run(*options); });
});

}  // namespace

}  // namespace lmkit::cli
