// `lmkit classify` train / eval / predict / baseline: sequence classification with a BERT-like encoder
// (the pooler and a linear layer on the [CLS] state) and the naive Bayes baseline it is measured
// against, over api/classifier.hpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>

#include "lmkit/api/classifier.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/cli/schedule_options.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::cli {

namespace {

struct ClassifyCommand {
  CorpusCliOptions corpus;
  api::ClassifierTrainOptions train;  // its data, lines, corpus, label_field, batch, seq_len serve them all
  std::vector<std::string> test, texts;
  std::string model;
  bool json = false;

  // The corpus options into train's fields (--lines: an example per line of each document).
  void take_corpus() {
    train.data = corpus.paths, train.val_data = corpus.validation, train.lines = corpus.options.lines;
    train.corpus = corpus.reader_options();
    train.corpus.lines = false;
  }
};

void run_train(ClassifyCommand& c) {
  api::ClassifierTrainOptions& o = c.train;
  o.quiet = ProgressBar::quiet() || c.json;
  const api::ClassifierTrainResult r = api::train_classifier(
      o,
      [&](const api::ClassifierTrainPlan& p) {
        if (!o.quiet)
          fmt::print(
              stderr,
              "Fine-tuning {} parameters ({}) on {} examples{} ({} for validation), labels {}, {} threads\n",
              p.parameters, o.init.empty() ? "from scratch" : "from " + o.init, p.train_examples,
              p.train_examples < p.available_examples ? fmt::format(" of {}", p.available_examples) : "",
              p.val_examples, fmt::join(p.labels, ", "), p.threads);
      },
      [&](const api::EpochReport& e) {
        if (!o.quiet)
          fmt::print(stderr, "epoch {}: mean train loss {:.4f}, validation accuracy {:.4f}\n", e.epoch,
                     e.train_loss, e.val_accuracy);
      });
  report_skipped(r.skipped, {});
  if (c.json)
    fmt::print("{}\n", r.to_json().dump());
  else
    fmt::print("trained {} steps in {:.1f} s: validation accuracy {:.4f}\nmodel: {}\n", r.steps, r.seconds,
               r.val_accuracy, r.out);
}

void run_eval(ClassifyCommand& c) {
  const api::ClassifierTrainOptions& o = c.train;
  tensor::set_gemm_threads(ThreadPool::default_threads());
  auto classifier = api::Classifier::load(c.model);
  std::uint64_t skipped = 0;
  const auto examples = api::read_examples(o.data, o.lines, o.label_field, o.corpus, &skipped);
  report_skipped(skipped, {});
  const api::ClassifierEvaluation e =
      classifier->evaluate(examples, o.data.front(), {.seq_len = o.seq_len, .batch = o.batch});
  if (c.json) {
    Json j = e.to_json();
    j["model"] = c.model;
    j["skipped"] = skipped;
    fmt::print("{}\n", j.dump());
    return;
  }
  fmt::print("accuracy {:.4f} on {} examples\n", e.accuracy, e.examples);
  for (std::size_t t = 0; t < e.confusion.size(); ++t)
    fmt::print("  true {}: predicted {}\n", classifier->labels()[t], fmt::join(e.confusion[t], " / "));
}

void run_predict(ClassifyCommand& c) {
  const api::ClassifierTrainOptions& o = c.train;
  tensor::set_gemm_threads(ThreadPool::default_threads());
  auto classifier = api::Classifier::load(c.model);
  std::vector<std::string> texts;
  std::uint64_t skipped = 0;
  if (!o.data.empty())
    for (auto& e : api::read_examples(o.data, o.lines, "", o.corpus, &skipped))
      texts.push_back(std::move(e.text));
  report_skipped(skipped, {});
  texts.insert(texts.end(), c.texts.begin(), c.texts.end());
  if (texts.empty()) usage_fail("give texts to classify, or --data");
  const auto predictions = classifier->predict(texts, {.seq_len = o.seq_len, .batch = o.batch});
  for (std::size_t i = 0; i < texts.size(); ++i) {
    Json j = predictions[i].to_json(classifier->labels());
    j["text"] = texts[i];
    fmt::print("{}\n", j.dump());
  }
}

void run_baseline(ClassifyCommand& c) {
  const api::ClassifierTrainOptions& o = c.train;
  const api::BaselineResult r = api::naive_bayes_baseline({.data = o.data,
                                                           .test = c.test,
                                                           .lines = o.lines,
                                                           .label_field = o.label_field,
                                                           .budget = o.budget,
                                                           .seed = o.seed,
                                                           .corpus = o.corpus});
  if (c.json) {
    fmt::print("{}\n", r.to_json().dump());
    return;
  }
  fmt::print(
      "naive Bayes (bag of words, {} words): accuracy {:.4f} on {} test examples; majority class {} alone: "
      "{:.4f}\n",
      r.vocabulary, r.accuracy, r.test_examples, r.majority_class, r.majority_accuracy);
}

// The corpus options, and those of the examples read from it; the callback runs `run` on them.
void add_data_options(CLI::App* sub, const std::shared_ptr<ClassifyCommand>& c, bool labels,
                      const CorpusFlags& corpus, void (*run)(ClassifyCommand&)) {
  api::ClassifierTrainOptions& o = c->train;
  add_corpus_options(sub, c->corpus, corpus);
  if (labels)
    sub->add_option("--label-field", o.label_field, "The JSONL field holding each document's label")
        ->capture_default_str();
  sub->add_option("--batch", o.batch, "Sequences per batch")->capture_default_str();
  add_context_option(sub, o.seq_len, "Longest sequence, with [CLS] and [SEP] (longer ones are cut)")
      ->capture_default_str();
  sub->add_flag("--json", c->json, "Print one JSON document");
  sub->callback([c, run] {
    c->take_corpus();
    run(*c);
  });
}

void add_budget_options(CLI::App* sub, api::LabelBudget& budget) {
  sub->add_option("--train-examples", budget.examples,
                  "Label budget: train on this many of the training examples, drawn at random (--seed)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--train-fraction", budget.fraction,
                  "Label budget: train on this fraction (0, 1] of the training examples, drawn at random")
      ->check(CLI::PositiveNumber);
}

const bool registered = register_command("classify", [](CLI::App& app) {
  auto c = std::make_shared<ClassifyCommand>();
  api::ClassifierTrainOptions* o = &c->train;
  auto* group = app.add_subcommand("classify", "Sequence classification with a BERT-like encoder");
  group->require_subcommand(1);

  auto* train = group->add_subcommand("train", "Fine-tune a classifier on the [CLS] state (cross-entropy)");
  train->add_option("--init", o->init, "A pretrained BERT directory (lmkit mlm train, or Hugging Face)");
  train->add_option("--tokenizer", o->tokenizer, "WordPiece tokenizer (default: the one in --init)");
  train->add_option("--config", o->config, "Without --init: model size tiny, small or base")
      ->capture_default_str();
  train->add_option("--out", o->out, "Model directory to write")->required();
  train->add_option("--epochs", o->epochs, "Passes over the training examples")->capture_default_str();
  add_budget_options(train, o->budget);
  add_schedule_options(train, o->schedule, false);  // warmup a tenth of the steps, then cosine decay to 0
  train->add_option("--seed", o->seed, "Seed for the new heads and the order of examples")
      ->capture_default_str();
  train->add_flag("--force", o->force, "Replace --out if it exists");
  add_data_options(
      train, c, true,
      {.validation = true,
       .data_help = "Training corpus (.jsonl with text and label fields); .gz / .zst; '-' for stdin",
       .validation_help = "Validation corpus (default: a tenth of the training examples)"},
      run_train);

  auto* eval =
      group->add_subcommand("eval", "Accuracy and confusion counts of a classifier on labelled data");
  eval->add_option("--model", c->model, "Classifier directory")->required();
  add_data_options(eval, c, true, {.data_help = "Labelled corpus; .gz / .zst; '-' for stdin"}, run_eval);

  auto* predict =
      group->add_subcommand("predict", "Label texts: one JSON line each (label, probabilities, text)");
  predict->add_option("--model", c->model, "Classifier directory")->required();
  predict->add_option("texts", c->texts, "Texts to label");
  add_data_options(predict, c, false, {.required = false, .data_help = "Corpus to label"}, run_predict);

  auto* baseline =
      group->add_subcommand("baseline", "Multinomial naive Bayes over bags of words, for comparison");
  baseline->add_option("--test", c->test, "Test corpus")->required();
  add_budget_options(baseline, o->budget);
  baseline->add_option("--seed", o->seed, "Seed of the label budget's draw")->capture_default_str();
  add_data_options(baseline, c, true, {.data_help = "Training corpus"}, run_baseline);
});

}  // namespace

}  // namespace lmkit::cli
