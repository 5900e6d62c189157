// `lmkit mlm train`: masked-language-model pretraining of a BERT-like encoder (api::train_mlm) on a
// corpus, one example per document or per line (--lines), written as a Hugging Face BERT directory
// that `lmkit classify train --init` fine-tunes and transformers' BertForMaskedLM loads.
//
//   lmkit mlm train --data data/kjv/train.jsonl --lines --tokenizer kjv-wp --config tiny --out kjv-bert
#include <fmt/format.h>

#include <memory>

#include "lmkit/api/mlm_training.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/cli/schedule_options.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::cli {

namespace {

struct MlmCommand {
  CorpusCliOptions corpus;
  api::MlmTrainOptions train;
  bool json = false;
};

void run_mlm_train(MlmCommand& c) {
  c.train.data = c.corpus.paths;
  c.train.val_data = c.corpus.validation;
  c.train.corpus = c.corpus.reader_options();
  c.train.lines = c.train.corpus.lines;  // an example per line, of plain text and of JSONL texts alike
  c.train.corpus.lines = false;
  c.train.quiet = ProgressBar::quiet() || c.json;
  const api::MlmTrainResult r = api::train_mlm(c.train, [&](const api::MlmTrainPlan& p) {
    if (!c.train.quiet)
      fmt::print(
          stderr,
          "MLM pretraining {} parameters ({} layers, {} wide) on {} sequences ({} held out), batch {}, "
          "at most {} tokens each, {} threads\n",
          p.parameters, p.layers, p.width, p.train_sequences, p.val_sequences, p.batch, p.seq_len, p.threads);
  });
  report_skipped(r.skipped, {});
  if (c.json) {
    fmt::print("{}\n", Json{{"out", r.out},
                            {"skipped", r.skipped},
                            {"steps", r.step},
                            {"train_loss", r.train_loss},
                            {"val_loss", r.val_loss ? Json(*r.val_loss) : Json(nullptr)},
                            {"sequences_per_second", r.sequences_per_second},
                            {"seconds", r.seconds},
                            {"parameters", r.parameters}}
                           .dump());
  } else {
    fmt::print(
        "trained to step {} of {} in {:.1f} s: train MLM loss {:.4f}, validation MLM loss {:.4f}\nmodel: "
        "{}\n",
        r.step, r.steps, r.seconds, r.train_loss, r.val_loss.value_or(0.0f), r.out);
  }
}

const bool registered = register_command("mlm", [](CLI::App& app) {
  auto c = std::make_shared<MlmCommand>();
  api::MlmTrainOptions* o = &c->train;
  auto* group = app.add_subcommand("mlm", "Masked-language-model pretraining of a BERT-like encoder");
  group->require_subcommand(1);
  auto* sub = group->add_subcommand("train", "Pretrain an encoder with BERT's masked-LM objective");
  add_corpus_options(
      sub, c->corpus,
      {.required = false,
       .validation = true,
       .data_help = "Training corpus: .jsonl (field \"text\") or plain text; .gz / .zst; '-' for stdin",
       .validation_help = "Validation corpus (default: the last tenth of the examples)"});
  sub->add_option("--tokenizer", o->tokenizer,
                  "A WordPiece tokenizer (vocab.txt or tokenizer.json, or its folder)");
  sub->add_option("--config", o->config, "Model size: tiny, small or base")->capture_default_str();
  add_run_options(sub, *o);
  CLI::Option* steps = add_schedule_options(sub, o->schedule);
  sub->add_option("--batch", o->batch, "Sequences per step")->capture_default_str();
  add_context_option(sub, o->seq_len, "Longest sequence, with [CLS] and [SEP] (longer ones are cut)")
      ->capture_default_str();
  sub->add_option("--mask-prob", o->mask_prob, "Probability of choosing a position for the loss")
      ->capture_default_str();
  sub->add_option("--val-batches", o->val_batches, "Batches per validation")->capture_default_str();
  sub->add_flag("--force", o->force, "Replace --out if it exists");
  sub->add_flag("--json", c->json, "Print one JSON document");
  sub->callback([c, steps, sub] {
    c->train.steps_given = steps->count() > 0;
    // --lines is mlm's own "lines" (an example per line) and --ctx its "seq_len".
    std::map<std::string, std::string> renames = kCorpusFields;
    renames.erase("lines");
    renames["ctx"] = "seq_len";
    c->train.given = given_fields(sub, renames);
    run_mlm_train(*c);
  });
});

}  // namespace

}  // namespace lmkit::cli
