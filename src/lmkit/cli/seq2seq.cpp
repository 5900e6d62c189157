// `lmkit seq2seq`: the encoder-decoder from the command line — corrupt (api/denoising.hpp), train and
// generate (api/seq2seq.hpp; with reference targets, exact match and token accuracy).
#include <fmt/format.h>

#include <memory>

#include "lmkit/api/denoising.hpp"
#include "lmkit/api/seq2seq.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/cli/sampling_options.hpp"
#include "lmkit/cli/schedule_options.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::cli {

namespace {

struct TrainCommand {
  CorpusCliOptions corpus;
  api::Seq2SeqTrainOptions train;
  bool json = false;
};

void run_train(TrainCommand& c) {
  if (c.corpus.paths.size() > 1 || c.corpus.validation.size() > 1)
    usage_fail("seq2seq train reads one pairs file as --data and one as --val-data");
  c.train.data = c.corpus.paths.empty() ? "" : c.corpus.paths.front();
  c.train.val_data = c.corpus.validation.empty() ? "" : c.corpus.validation.front();
  c.train.corpus = c.corpus.reader_options();
  c.train.quiet = ProgressBar::quiet() || c.json;
  const api::Seq2SeqTrainResult r = api::train_seq2seq(c.train, [&](const api::Seq2SeqTrainPlan& p) {
    if (!c.train.quiet)
      fmt::print(stderr,
                 "Training {} parameters ({} + {} layers, {} wide) on {} pairs ({} held out), batch {}, {} "
                 "threads\n",
                 p.parameters, p.encoder_layers, p.decoder_layers, p.width, p.train_pairs, p.val_pairs,
                 p.batch, p.threads);
  });
  report_skipped(r.skipped, {});
  if (c.json)
    fmt::print("{}\n", Json{{"out", r.out},
                            {"skipped", r.skipped},
                            {"steps", r.step},
                            {"train_loss", r.train_loss},
                            {"val_loss", r.val_loss ? Json(*r.val_loss) : Json(nullptr)},
                            {"parameters", r.parameters}}
                           .dump());
  else
    fmt::print("trained to step {} of {}: train loss {:.4f}, validation loss {:.4f}\nmodel: {}\n", r.step,
               r.steps, r.train_loss, r.val_loss.value_or(0.0f), r.out);
}

struct GenerateCommand {
  std::string model_dir, tokenizer, input;
  std::size_t limit = 0;
  api::Seq2SeqGenerateRequest request;
  bool json = false;
};

void run_generate(GenerateCommand& c) {
  if (c.request.sources.empty() == c.input.empty())
    usage_fail("give --source (repeatable) or --input, not both");
  tensor::set_gemm_threads(ThreadPool::default_threads());
  auto model = api::Seq2Seq::load(c.model_dir, c.tokenizer);
  std::vector<api::TextPair> pairs;
  if (!c.input.empty()) {
    pairs = api::read_text_pairs(c.input, false);
    if (c.limit && pairs.size() > c.limit) pairs.resize(c.limit);
  }
  for (const auto& s : c.request.sources) pairs.push_back({s, "", false});
  ProgressBar bar("seq2seq generate", pairs.size(), "inputs");
  const api::Seq2SeqRun run = model->run(pairs, c.request, [&](std::size_t done) { bar.set(done); });
  bar.finish();
  if (c.json) {
    Json j = run.to_json();
    j["model"] = c.model_dir;
    fmt::print("{}\n", json_text(j));
    return;
  }
  for (const auto& o : run.outputs) fmt::print("{}\n", o.text);
  const api::OutputMatch& m = run.match;
  if (m.scored)
    fmt::print(stderr, "exact match {:.4f} ({} of {}), token accuracy {:.4f}\n", m.exact_match(), m.exact,
               m.scored, m.token_accuracy());
}

const bool registered = register_command("seq2seq", [](CLI::App& app) {
  auto* group = app.add_subcommand("seq2seq", "Encoder-decoder transformer: corrupt, train, generate");
  group->require_subcommand(1);

  auto c = std::make_shared<api::CorruptOptions>();
  auto* corrupt = group->add_subcommand("corrupt", "Make BART-style denoising pairs from KJV chapter .jsonl");
  corrupt
      ->add_option("--input", c->input, "Chapters, one JSON object with \"text\" per line (verses by line)")
      ->required();
  corrupt->add_option("--out", c->out, "Pairs to write (.jsonl of source, target)")->required();
  corrupt->add_option("--mask-ratio", c->mask_ratio, "Share of words masked")->capture_default_str();
  corrupt->add_option("--mean-span", c->mean_span, "Mean masked span length in words (Poisson)")
      ->capture_default_str();
  corrupt->add_option("--max-chars", c->max_chars, "Leave out verses longer than this (0: none)");
  corrupt->add_option("--limit", c->limit, "Stop after this many pairs (0: all)");
  corrupt->add_option("--seed", c->seed, "Seed of the corruption")->capture_default_str();
  corrupt->callback([c] {
    const api::CorruptResult r = api::corrupt_chapters(*c);
    if (!ProgressBar::quiet())
      fmt::print(
          stderr, "wrote {} pairs to {}{}\n", r.pairs, c->out,
          r.skipped ? fmt::format(" ({} verses over {} characters left out)", r.skipped, c->max_chars) : "");
  });

  auto t = std::make_shared<TrainCommand>();
  api::Seq2SeqTrainOptions* o = &t->train;
  auto* train =
      group->add_subcommand("train", "Train on (source, target) pairs (writes a BART-layout directory)");
  add_corpus_options(
      train, t->corpus,
      {.required = false,
       .validation = true,
       .data_help = "Training pairs: JSONL with \"source\" and \"target\"; .gz / .zst; '-' for stdin",
       .validation_help = "Validation pairs (default: the last tenth of --data)"});
  train->add_option("--tokenizer", o->tokenizer, "Tokenizer spec (e.g. bytes)");
  train->add_option("--config", o->config, "Model size: tiny, or a config.json file");
  add_run_options(train, *o);
  CLI::Option* steps = add_schedule_options(train, o->schedule);
  train->add_option("--batch", o->batch, "Pairs per step")->capture_default_str();
  train->add_option("--val-pairs", o->val_pairs, "Validation pairs per evaluation (0: all)")
      ->capture_default_str();
  train->add_flag("--json", t->json, "Print one JSON summary");
  train->callback([t, steps, train] {
    t->train.steps_given = steps->count() > 0;
    t->train.given = given_fields(train);
    run_train(*t);
  });

  auto g = std::make_shared<GenerateCommand>();
  api::Seq2SeqGenerateRequest* r = &g->request;
  auto* gen =
      group->add_subcommand("generate", "Generate targets for sources (greedy, sampling or beam search)");
  gen->add_option("--model", g->model_dir, "Model directory (config.json + model.safetensors)")->required();
  gen->add_option("--source", r->sources, "Source text (\"<mask>\" marks a mask token); repeat for a batch");
  gen->add_option("--input", g->input,
                  "Sources from a .jsonl file; with \"target\" fields, outputs are scored");
  gen->add_option("--limit", g->limit, "Only the first this many lines of --input (0: all)");
  gen->add_option("--tokenizer", g->tokenizer, "Tokenizer spec (default: the one named in config.json)");
  gen->add_option("--max-new-tokens", r->max_new_tokens, "Most tokens per output (default: n_ctx)");
  add_sampling_options(gen, r->sampling, "input");
  gen->add_option("--beam", r->beam, "Beam search with this width instead of greedy or sampling");
  gen->add_option("--length-penalty", r->length_penalty, "Beam ranking: log P / length^this")
      ->capture_default_str();
  gen->add_option("--batch", r->batch, "Inputs decoded together")->capture_default_str();
  gen->add_flag("--json", g->json, "Print one JSON document");
  gen->callback([g] { run_generate(*g); });
});

}  // namespace

}  // namespace lmkit::cli
