// `lmkit train`: trains a GPT-like decoder on a text corpus (Algorithm 13 DTraining) and writes a
// Hugging Face GPT-2 model directory with the optimizer state, the loss history and a loss-curve SVG,
// checkpointing atomically as it goes; `--resume` continues a checkpoint bit for bit.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "lmkit/api/saved_options.hpp"
#include "lmkit/api/trainer.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/model_tokenizer.hpp"
#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/gpt.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/nn/training.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/text/corpus.hpp"
#include "lmkit/text/parallel_tokenize.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/text/tokenizer_files.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::cli {

namespace {

struct TrainOptions {
  std::vector<std::string> data, val_data;
  std::string tokenizer, config, out;
  std::uint64_t steps = 1000, until = 0, warmup = 0;
  std::size_t batch = 8, ctx = 0, val_every = 100, val_batches = 4, checkpoint_every = 500;
  float lr = 1e-3f, min_lr = -1, weight_decay = 0.1f, clip = 1.0f;
  float beta1 = 0.9f, beta2 = 0.95f, adam_eps = 1e-8f;
  std::uint64_t seed = 1;
  bool resume = false, json = false;
  bool steps_given = false;  // --steps was passed (with --resume: a new total)
};

// What a checkpoint saves of the options (not --out, --until, --resume, --json: see api/saved_options.hpp).
template <typename O, typename Visit>
void saved_fields(O& o, Visit visit) {
  api::visit_common(o, visit);
  visit("ctx", o.ctx);
  visit("min_lr", o.min_lr);
  visit("val_batches", o.val_batches);
}

// The corpus as one token stream, read through text::CorpusReader (files, directories, .jsonl with a
// "text" field, .gz / .zst) and tokenized on all cores. Documents are separated by the tokenizer's
// end-of-text token when it has one, else by a blank line.
std::vector<std::int32_t> read_tokens(const std::vector<std::string>& paths,
                                      const text::Tokenizer& tokenizer) {
  text::CorpusReader reader(paths);
  std::vector<std::int32_t> tokens;
  std::vector<std::uint32_t> blank_line;
  if (!tokenizer.specials().eos) blank_line = tokenizer.encode("\n\n");
  ProgressBar bar("read " + paths.front(), reader.total_raw_bytes(), "B");
  text::tokenize_corpus(reader, tokenizer, [&](text::TokenizedBatch& batch) {
    for (const auto& doc : batch.documents) {
      if (!tokens.empty()) {
        if (auto eos = tokenizer.specials().eos)
          tokens.push_back(static_cast<std::int32_t>(*eos));
        else
          tokens.insert(tokens.end(), blank_line.begin(), blank_line.end());
      }
      for (std::uint32_t id : doc.ids) tokens.push_back(static_cast<std::int32_t>(id));
    }
    bar.set(batch.raw_bytes_read);
  });
  bar.finish();
  if (tokens.empty()) fail("{}: no text to train on", fmt::join(paths, ", "));
  return tokens;
}

nn::GptConfig make_config(const std::string& spec, std::uint32_t vocab_size) {
  nn::GptConfig config;
  if (!nn::gpt_config_preset(spec, config)) {
    if (!std::filesystem::is_regular_file(spec))
      usage_fail("--config {}: neither a built-in size (tiny, small) nor a config file", spec);
    config = nn::gpt_config_from_json(read_json_file(spec), spec);
    if (config.vocab_size != 0 && config.vocab_size < vocab_size)
      fail("{}: vocab_size {} is smaller than the tokenizer's {}", spec, config.vocab_size, vocab_size);
  }
  if (config.vocab_size == 0) config.vocab_size = vocab_size;
  config.validate(spec);
  return config;
}

void run_train(TrainOptions o) {
  const bool resuming = o.resume;
  std::uint64_t until = o.until;
  Json state;
  if (resuming) {
    if (o.out.empty()) usage_fail("--resume needs --out, the checkpoint directory to continue");
    state = read_json_file(o.out + "/training.json");
    const std::uint64_t steps_override = o.steps;
    api::options_from_json(o, json_get<Json>(state, "options", o.out + "/training.json"),
                           o.out + "/training.json");
    if (o.steps_given) o.steps = steps_override;
  } else {
    if (o.data.empty() || o.tokenizer.empty() || o.config.empty() || o.out.empty())
      usage_fail("lmkit train needs --data, --tokenizer, --config and --out (or --resume with --out)");
    if (std::filesystem::exists(o.out))
      usage_fail("--out {} already exists; continue it with --resume or choose a new directory", o.out);
    if (!o.steps_given) o.steps = 1000;
  }
  if (o.min_lr < 0) o.min_lr = o.lr / 10;
  if (!resuming && o.warmup == 0) o.warmup = std::max<std::uint64_t>(1, o.steps / 20);
  // Before any data is read: the schedule's values, each in its domain.
  api::Trainer trainer({.schedule = {.steps = o.steps,
                                     .warmup = o.warmup,
                                     .lr = o.lr,
                                     .min_lr = o.min_lr,
                                     .weight_decay = o.weight_decay,
                                     .clip = o.clip,
                                     .beta1 = o.beta1,
                                     .beta2 = o.beta2,
                                     .eps = o.adam_eps},
                        .until = until,
                        .val_every = o.val_every,
                        .checkpoint_every = o.checkpoint_every,
                        .unit = "tok",
                        .label = "train",
                        .quiet = ProgressBar::quiet() || o.json,
                        .on_step = {}});

  std::size_t threads = ThreadPool::default_threads();
  tensor::set_gemm_threads(threads);
  // A checkpoint carries its tokenizer's files: resuming reads them there, wherever it was moved.
  const std::string tokenizer_source = resuming ? model_tokenizer_spec(o.out, o.tokenizer) : o.tokenizer;
  auto tokenizer = text::load_tokenizer(tokenizer_source);
  std::vector<std::int32_t> train_tokens = read_tokens(o.data, *tokenizer), val_tokens;
  if (!o.val_data.empty()) {
    val_tokens = read_tokens(o.val_data, *tokenizer);
  } else {
    // Hold out the last tenth of the training stream for validation.
    std::size_t n_val = train_tokens.size() / 10;
    val_tokens.assign(train_tokens.end() - static_cast<std::ptrdiff_t>(n_val), train_tokens.end());
    train_tokens.resize(train_tokens.size() - n_val);
  }

  std::unique_ptr<nn::GptModel> model;
  if (resuming) {
    model = std::make_unique<nn::GptModel>(nn::load_gpt2_dir(o.out).model);
  } else {
    model = std::make_unique<nn::GptModel>(make_config(o.config, tokenizer->vocab_size()));
    model->init_weights(o.seed);
  }
  const nn::GptConfig& config = model->config();
  if (tokenizer->vocab_size() > config.vocab_size)
    fail("the tokenizer's {} ids do not fit the model's vocab_size {}", tokenizer->vocab_size(),
         config.vocab_size);
  if (o.ctx == 0) o.ctx = std::min<std::size_t>(config.n_ctx, 256);
  if (o.ctx > config.n_ctx) usage_fail("--ctx {} exceeds the model's n_ctx {}", o.ctx, config.n_ctx);
  if (o.batch == 0) usage_fail("--batch must be positive");
  if (train_tokens.size() <= o.ctx)
    fail("{}: {} tokens cannot fill one window of --ctx {}", fmt::join(o.data, ", "), train_tokens.size(),
         o.ctx);
  if (val_tokens.size() <= o.ctx)
    fail("validation data: {} tokens cannot fill one window of --ctx {}", val_tokens.size(), o.ctx);

  if (resuming) trainer.resume(o.out, state, model->parameters().size());
  if (!trainer.options().quiet)
    fmt::print(
        stderr,
        "Training {} parameters ({} layers, {} wide) on {} tokens ({} held out), batch {} × {}, {} threads\n",
        config.n_parameters(), config.n_layer, config.n_embd, train_tokens.size(), val_tokens.size(), o.batch,
        o.ctx, threads);
  bool written = resuming;
  auto checkpoint = [&](const api::Trainer& t) {
    nn::save_checkpoint(
        o.out, written, *model, t.optimizer(), o.tokenizer, t.state("lmkit-train-1", api::options_json(o)),
        t.history(),
        [&](const std::string& temp_dir) { text::copy_tokenizer_files(tokenizer_source, temp_dir); });
    written = true;
  };
  std::vector<std::int32_t> inputs, targets;
  const api::TrainResult r = trainer.run(
      api::trainable(*model),
      [&](std::uint64_t at) {
        nn::sample_batch(train_tokens, o.batch, o.ctx, o.seed, at, inputs, targets);
        return std::pair{model->forward(inputs.data(), targets.data(), o.batch, o.ctx), o.batch * o.ctx};
      },
      [&] { return nn::evaluate_loss(*model, val_tokens, o.batch, o.ctx, o.val_batches); }, checkpoint);
  const std::uint64_t step = trainer.step();
  if (o.json) {
    fmt::print("{}\n", Json{{"out", o.out},
                            {"steps", step},
                            {"train_loss", r.train_loss},
                            {"val_loss", r.val_loss ? Json(*r.val_loss) : Json(nullptr)},
                            {"tokens_per_second", r.units_per_second},
                            {"parameters", config.n_parameters()}}
                           .dump());
  } else {
    fmt::print(
        "trained to step {} of {}: train loss {:.4f}, validation loss {:.4f}, {:.0f} tokens/s\nmodel: {}\n",
        step, o.steps, r.train_loss, r.val_loss.value_or(0.0f), r.units_per_second, o.out);
  }
}

const bool registered = register_command("train", [](CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  auto* sub = app.add_subcommand(
      "train", "Train a GPT-like transformer LM on a corpus (writes a Hugging Face GPT-2 directory)");
  sub->add_option("--data", o->data,
                  "Training corpus: files or directories; .jsonl (field \"text\") or plain text; .gz / .zst")
      ->expected(1, -1);
  sub->add_option("--val-data", o->val_data, "Validation corpus (default: the last tenth of --data)")
      ->expected(1, -1);
  sub->add_option("--tokenizer", o->tokenizer, "Tokenizer spec (e.g. bytes)");
  sub->add_option("--config", o->config, "Model size: tiny, small, or a config.json file");
  sub->add_option("--out", o->out, "Model directory to write (must not exist unless --resume)");
  auto* steps = sub->add_option("--steps", o->steps,
                                "Optimizer steps in total (default 1000; the schedule spans them)");
  sub->add_option("--until", o->until, "Stop after this step and checkpoint (continue later with --resume)");
  sub->add_option("--batch", o->batch, "Sequences per step")->capture_default_str();
  sub->add_option("--ctx", o->ctx, "Tokens per sequence (default: min(n_ctx, 256))");
  sub->add_option("--lr", o->lr, "Peak learning rate")->capture_default_str();
  sub->add_option("--min-lr", o->min_lr, "Final learning rate of the cosine decay (default lr / 10)");
  sub->add_option("--warmup", o->warmup, "Linear warmup steps (default steps / 20)");
  sub->add_option("--weight-decay", o->weight_decay, "AdamW weight decay on matrices")->capture_default_str();
  sub->add_option("--clip", o->clip, "Clip gradients to this global norm")->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed for initialization and batches")->capture_default_str();
  sub->add_option("--val-every", o->val_every, "Steps between validation losses")->capture_default_str();
  sub->add_option("--val-batches", o->val_batches, "Batches per validation")->capture_default_str();
  sub->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints (0: only at the end)")
      ->capture_default_str();
  sub->add_option("--beta1", o->beta1, "AdamW's first-moment decay")->capture_default_str();
  sub->add_option("--beta2", o->beta2, "AdamW's second-moment decay")->capture_default_str();
  sub->add_option("--adam-eps", o->adam_eps, "AdamW's epsilon")->capture_default_str();
  sub->add_flag("--resume", o->resume, "Continue the checkpoint in --out where it stopped");
  sub->add_flag("--json", o->json, "Print one JSON summary");
  sub->callback([o, steps] {
    o->steps_given = steps->count() > 0;
    run_train(*o);
  });
});

}  // namespace

}  // namespace lmkit::cli
