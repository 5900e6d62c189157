// `lmkit demo`: lmkit's main job, the Infini-gram paper's experiment on the King James Bible.
//
//   1. the KJV corpus in train / validation / test splits (one document per chapter);
//   2. a byte-level BPE tokenizer learned on the training split (api::train_tokenizer);
//   3. an ∞-gram index of the training split (api::build_index);
//   4. a small GPT trained on the training split (api::train_gpt);
//   5. the perplexity table on the test split (api::evaluate) — Katz and Kneser–Ney n-grams, the
//      ∞-gram, the GPT and the GPT + ∞-gram hybrid (λ tuned on the validation split) — with the
//      relative improvement.
//
// Each step tells the lmkit command that does the same alone; a step whose output already exists
// in the work directory is skipped.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "lmkit/api/evaluation.hpp"
#include "lmkit/api/gpt_training.hpp"
#include "lmkit/api/index.hpp"
#include "lmkit/api/tokenizer_training.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/text/kjv.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::cli {

namespace {

namespace fs = std::filesystem;

// The flags set the library requests' fields directly; run() fills in the paths.
struct DemoOptions {
  std::string data_dir = "data/kjv";
  std::string work_dir = "data/demo";
  bool corpus_only = false;
  bool force = false;
  bool json = false;
  api::TokenizerTrainOptions bpe;
  api::GptTrainOptions gpt;
  api::EvaluationRequest eval;
  DemoOptions() {
    bpe.vocab_size = 2048;
    gpt.config = "tiny";
    gpt.ctx = 128;
  }
};

void print_corpus_summary(const std::vector<text::KjvSplitSummary>& splits) {
  fmt::print("KJV demo corpus (one document per chapter)\n");
  fmt::print("{:<12} {:>10} {:>10} {:>12}  {}\n", "split", "documents", "lines", "bytes", "file");
  std::uint64_t documents = 0, lines = 0, bytes = 0;
  for (const auto& s : splits) {
    fmt::print("{:<12} {:>10} {:>10} {:>12}  {}\n", s.name, s.documents, s.lines, s.bytes, s.path);
    documents += s.documents;
    lines += s.lines;
    bytes += s.bytes;
  }
  fmt::print("{:<12} {:>10} {:>10} {:>12}\n", "total", documents, lines, bytes);
}

Json corpus_json(const std::vector<text::KjvSplitSummary>& splits) {
  Json out = {{"corpus", "kjv"}, {"splits", Json::array()}};
  for (const auto& s : splits)
    out["splits"].push_back({{"name", s.name},
                             {"path", s.path},
                             {"documents", s.documents},
                             {"lines", s.lines},
                             {"bytes", s.bytes}});
  return out;
}

void print_results(const api::Evaluation& table) {
  fmt::print("\nPerplexity on the KJV test split ({} tokens)\n", table.rows.front().result.tokens);
  fmt::print("{:<22} {:>12} {:>10}\n", "model", "perplexity", "accuracy");
  for (const auto& row : table.rows) {
    const double ppl = row.result.perplexity();
    fmt::print("{:<22} {:>12} {:>9.2f}%\n", row.result.model,
               std::isfinite(ppl) ? fmt::format("{:.2f}", ppl) : "inf", 100 * row.result.accuracy());
  }
  for (const auto& note : table.notes()) fmt::print("{}\n", note);
}

void run(DemoOptions o) {
  if (o.json) ProgressBar::set_quiet(true);
  const bool quiet = ProgressBar::quiet();
  auto step = [&](const std::string& command) {
    if (!quiet) fmt::print(stderr, "{} (as `lmkit {}`)\n", command.substr(0, command.find(' ')), command);
  };
  if (!quiet) fmt::print(stderr, "Preparing the KJV corpus in {} (if needed)\n", o.data_dir);
  auto splits = text::prepare_kjv(o.data_dir, o.force);
  if (o.corpus_only)
    return o.json ? fmt::print("{}\n", json_text(corpus_json(splits))) : print_corpus_summary(splits);
  if (!o.json) print_corpus_summary(splits);

  const fs::path data(o.data_dir), work(o.work_dir);
  const std::string train = (data / "train.jsonl").string(),
                    validation = (data / "validation.jsonl").string();
  if (o.force) fs::remove_all(work);
  fs::create_directories(work);
  const std::string tokenizer = (work / "tokenizer").string(), index = (work / "index").string(),
                    model = (work / "model").string();
  if (!fs::exists(work / "tokenizer" / "tokenizer.json")) {
    step(fmt::format("tokenizer train --data {} --vocab-size {} --out {}", train, o.bpe.vocab_size,
                     tokenizer));
    o.bpe.corpus = {train};
    o.bpe.out = tokenizer;
    o.bpe.quiet = quiet;
    api::train_tokenizer(o.bpe);
  }
  if (!fs::exists(work / "index" / "lmkit.json")) {
    step(fmt::format("index build --data {} --tokenizer {} --out {}", train, tokenizer, index));
    api::BuildIndexOptions build;
    build.out = index;
    build.tokenizer = tokenizer;
    api::build_index({train}, {}, build);
  }
  if (!fs::exists(work / "model" / "model.safetensors")) {
    step(fmt::format(
        "train --data {} --val-data {} --tokenizer {} --config tiny --out {} --steps {} --batch {} "
        "--ctx {}",
        train, validation, tokenizer, model, o.gpt.schedule.steps, o.gpt.batch, o.gpt.ctx));
    o.gpt.data = {train};
    o.gpt.val_data = {validation};
    o.gpt.tokenizer = tokenizer;
    o.gpt.out = model;
    o.gpt.quiet = quiet;
    api::train_gpt(o.gpt);
  }
  api::EvaluationRequest& eval = o.eval;
  eval.data = {(data / "test.jsonl").string()};
  eval.validation = {validation};
  eval.model_dir = model;
  eval.index_dir = index;
  eval.plot = (work / "agreement.svg").string();
  step(fmt::format("eval --data {} --val-data {} --index {} --model {} --order {}", eval.data[0], validation,
                   index, model, eval.order));
  const api::Evaluation table = api::evaluate(eval);
  write_json_file((work / "results.json").string(), table.to_json());
  if (o.json) {
    Json out = corpus_json(splits);
    out["eval"] = table.to_json();
    return fmt::print("{}\n", json_text(out));
  }
  print_results(table);
  fmt::print("\nArtifacts in {}: tokenizer/, index/, model/ (loss.svg), agreement.svg, results.json\n",
             o.work_dir);
}

const bool registered = register_command("demo", [](CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  auto* sub =
      app.add_subcommand("demo",
                         "lmkit's main job: the KJV experiment — tokenizer, ∞-gram index, GPT, perplexity "
                         "table of n-gram, ∞-gram, GPT and GPT+∞-gram models");
  sub->add_option("--data-dir", options->data_dir, "Where the KJV splits live")->capture_default_str();
  sub->add_option("--work-dir", options->work_dir, "Where the tokenizer, index, model and results go")
      ->capture_default_str();
  sub->add_flag("--corpus-only", options->corpus_only, "Only prepare and summarize the corpus");
  sub->add_option("--vocab-size", options->bpe.vocab_size, "BPE vocabulary size")->capture_default_str();
  sub->add_option("--steps", options->gpt.schedule.steps, "GPT training steps")->capture_default_str();
  sub->add_option("--batch", options->gpt.batch, "GPT training batch (sequences)")->capture_default_str();
  add_context_option(sub, options->gpt.ctx, "GPT training sequence length")->capture_default_str();
  sub->add_option("--order", options->eval.order, "n of the Katz and Kneser–Ney LMs")->capture_default_str();
  sub->add_option("--max-docs", options->eval.max_docs,
                  "Evaluate on at most this many test documents (0: all)");
  sub->add_flag("--force", options->force, "Redo every step, even those whose outputs exist");
  sub->add_flag("--json", options->json, "Print one JSON document");
  sub->callback([options] { run(*options); });
});

}  // namespace

}  // namespace lmkit::cli
