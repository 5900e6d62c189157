// `lmkit train`: trains a GPT-like decoder on a text corpus (api::train_gpt) and writes a Hugging
// Face GPT-2 model directory with the optimizer state, the loss history and a loss-curve SVG,
// checkpointing atomically as it goes; `--resume` continues a checkpoint bit for bit.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "lmkit/api/gpt_training.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/cli/schedule_options.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::cli {

namespace {

struct TrainCommand {
  CorpusCliOptions corpus;
  api::GptTrainOptions train;
  bool json = false;
};

void run_train(TrainCommand& c) {
  api::GptTrainOptions& o = c.train;
  o.data = c.corpus.paths;
  o.val_data = c.corpus.validation;
  o.corpus = c.corpus.reader_options();
  o.quiet = ProgressBar::quiet() || c.json;
  const api::GptTrainResult r = api::train_gpt(o, [&](const api::GptTrainPlan& p) {
    if (!o.quiet)
      fmt::print(stderr,
                 "Training {} parameters ({} layers, {} wide) on {} tokens ({} held out), batch {} × {}, {} "
                 "threads\n",
                 p.parameters, p.layers, p.width, p.train_tokens, p.val_tokens, p.batch, p.ctx, p.threads);
  });
  report_skipped(r.skipped, r.skipped_examples);
  if (c.json) {
    fmt::print("{}\n", Json{{"out", r.out},
                            {"skipped", r.skipped},
                            {"steps", r.step},
                            {"train_loss", r.train_loss},
                            {"val_loss", r.val_loss ? Json(*r.val_loss) : Json(nullptr)},
                            {"tokens_per_second", r.tokens_per_second},
                            {"parameters", r.parameters}}
                           .dump());
  } else {
    fmt::print(
        "trained to step {} of {}: train loss {:.4f}, validation loss {:.4f}, {:.0f} tokens/s\nmodel: {}\n",
        r.step, r.steps, r.train_loss, r.val_loss.value_or(0.0f), r.tokens_per_second, r.out);
  }
}

const bool registered = register_command("train", [](CLI::App& app) {
  auto c = std::make_shared<TrainCommand>();
  api::GptTrainOptions* o = &c->train;
  auto* sub = app.add_subcommand(
      "train", "Train a GPT-like transformer LM on a corpus (writes a Hugging Face GPT-2 directory)");
  add_corpus_options(sub, c->corpus,
                     {.required = false,
                      .validation = true,
                      .data_help = "Training corpus: files or directories; .jsonl (field \"text\") or plain "
                                   "text; .gz / .zst; '-' for stdin",
                      .validation_help = "Validation corpus (default: the last tenth of --data)"});
  sub->add_option("--tokenizer", o->tokenizer, "Tokenizer spec (e.g. bytes)");
  sub->add_option("--config", o->config, "Model size: tiny, small, or a config.json file");
  add_run_options(sub, *o);
  CLI::Option* steps = add_schedule_options(sub, o->schedule);
  sub->add_option("--batch", o->batch, "Sequences per step")->capture_default_str();
  add_context_option(sub, o->ctx, "Tokens per sequence (default: min(n_ctx, 256))");
  sub->add_option("--val-batches", o->val_batches, "Batches per validation")->capture_default_str();
  sub->add_flag("--json", c->json, "Print one JSON summary");
  sub->callback([c, steps, sub] {
    c->train.steps_given = steps->count() > 0;
    c->train.given = given_fields(sub);
    run_train(*c);
  });
});

}  // namespace

}  // namespace lmkit::cli
