// `lmkit mlm train`: masked-language-model pretraining of a BERT-like encoder (Algorithm 12 ETraining)
// on a corpus, one example per document or per line (--lines), written as a Hugging Face BERT
// directory (config.json, model.safetensors, vocab.txt, tokenizer.json) that `lmkit classify train
// --init` fine-tunes and transformers' BertForMaskedLM loads.
//
//   lmkit mlm train --data data/kjv/train.jsonl --lines --tokenizer kjv-wp --config tiny --out kjv-bert
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "lmkit/api/saved_options.hpp"
#include "lmkit/api/trainer.hpp"
#include "lmkit/cli/bert_data.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/bert.hpp"
#include "lmkit/nn/hf_bert.hpp"
#include "lmkit/nn/training.hpp"
#include "lmkit/nn/training_memory.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::cli {

namespace {

struct MlmOptions {
  std::vector<std::string> data;
  std::vector<std::string> val_data;
  bool lines = false;
  std::string tokenizer;
  std::string config = "tiny";
  std::string out;
  std::size_t steps = 1000;
  std::size_t batch = 32;
  std::size_t seq_len = 64;
  float lr = 1e-3f;
  std::size_t warmup = 0;
  float mask_prob = 0.15f;
  float weight_decay = 0.01f;
  float clip = 1.0f;
  float beta1 = 0.9f, beta2 = 0.999f, adam_eps = 1e-8f;
  std::uint64_t seed = 1;
  std::size_t val_every = 100;
  std::size_t val_batches = 8;
  std::size_t checkpoint_every = 0;
  std::size_t until = 0;  // stop (and checkpoint) after this step; 0: at `steps`
  bool steps_given = false;
  bool resume = false;
  bool force = false;
  bool json = false;
};

// What a checkpoint saves of the options, for --resume (not --out, --until, --resume, --force,
// --json: see api/saved_options.hpp).
template <typename O, typename Visit>
void saved_fields(O& o, Visit visit) {
  visit("lines", o.lines);
  visit("config", o.config);
  api::visit_common(o, visit);
  visit("seq_len", o.seq_len);
  visit("mask_prob", o.mask_prob);
  visit("val_batches", o.val_batches);
}

// SplitMix64, so batches and masks depend only on (seed, step).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Random replacement tokens are drawn past the vocabulary's leading specials.
std::int32_t first_ordinary_id(const text::WordPieceTokenizer& tokenizer) {
  const auto& vocab = tokenizer.vocab();
  std::size_t i = 0;
  while (i < vocab.size() && std::find(text::bert_special_tokens.begin(), text::bert_special_tokens.end(),
                                       vocab[i]) != text::bert_special_tokens.end())
    ++i;
  if (i == vocab.size()) fail("{}: the vocabulary has only special tokens", tokenizer.spec());
  return static_cast<std::int32_t>(i);
}

// Mean MLM loss over the first val_batches × batch validation sequences, masked the same way each call.
float validation_loss(nn::BertModel& model, const std::vector<std::vector<std::int32_t>>& sequences,
                      const text::WordPieceTokenizer& tokenizer, const MlmOptions& o) {
  const auto mask_id = static_cast<std::int32_t>(tokenizer.required_id("[MASK]"));
  const std::size_t n = std::min(sequences.size(), o.val_batches * o.batch);
  double total = 0;
  std::size_t counted = 0;
  std::vector<std::int32_t> inputs, targets;
  for (std::size_t first = 0; first < n; first += o.batch) {
    std::vector<std::size_t> rows;
    for (std::size_t r = first; r < std::min(n, first + o.batch); ++r) rows.push_back(r);
    PaddedBatch b = make_batch(sequences, rows, tokenizer);
    std::mt19937_64 rng(mix(o.seed ^ 0x76616cull) + first);
    nn::mask_tokens(b.tokens, b.maskable, o.mask_prob, mask_id, first_ordinary_id(tokenizer),
                    tokenizer.vocab_size(), rng, inputs, targets);
    std::size_t n_targets = 0;
    for (auto t : targets) n_targets += t >= 0;
    if (n_targets == 0) continue;
    float loss = model.forward_mlm(inputs.data(), nullptr, b.valid.data(), targets.data(), b.B, b.T);
    total += static_cast<double>(loss) * static_cast<double>(n_targets);
    counted += n_targets;
  }
  if (counted == 0) fail("validation data: no position was masked; give more validation text");
  return static_cast<float>(total / static_cast<double>(counted));
}

void run_mlm_train(MlmOptions o) {
  Json state;  // the checkpoint's training.json when resuming
  if (o.resume) {
    if (o.out.empty()) usage_fail("--resume needs --out, the checkpoint directory to continue");
    const std::string path = o.out + "/training.json";
    if (!std::filesystem::is_regular_file(path))
      usage_fail("--resume: {} is not an lmkit mlm checkpoint", o.out);
    state = read_json_file(path);
    if (json_get<std::string>(state, "format", path) != "lmkit-mlm-1")
      fail("{}: not an lmkit mlm checkpoint", path);
    const std::size_t steps_override = o.steps;
    api::options_from_json(o, json_get<Json>(state, "options", path), path);  // leaves --out, --until, --json
    if (o.steps_given) o.steps = steps_override;
  } else {
    if (o.data.empty() || o.tokenizer.empty())
      usage_fail("lmkit mlm train needs --data and --tokenizer (or --resume with --out)");
    if (std::filesystem::exists(o.out) && !o.force)
      usage_fail("--out {} already exists; continue it with --resume, choose a new directory or pass --force",
                 o.out);
  }
  if (o.batch == 0) usage_fail("--batch must be positive");
  if (!(o.mask_prob > 0.0f && o.mask_prob < 1.0f)) usage_fail("--mask-prob must be in (0, 1)");
  if (o.val_every == 0) usage_fail("--val-every must be positive");
  if (o.warmup == 0) o.warmup = std::max<std::size_t>(1, o.steps / 20);
  // Before any data is read: the schedule's values, each in its domain.
  api::Trainer trainer({.schedule = {.steps = o.steps,
                                     .warmup = o.warmup,
                                     .lr = o.lr,
                                     .min_lr = o.lr / 10,
                                     .weight_decay = o.weight_decay,
                                     .clip = o.clip,
                                     .beta1 = o.beta1,
                                     .beta2 = o.beta2,
                                     .eps = o.adam_eps},
                        .until = o.until,
                        .val_every = o.val_every,
                        .checkpoint_every = o.checkpoint_every,
                        .unit = "seq",
                        .label = "mlm train",
                        .quiet = ProgressBar::quiet() || o.json,
                        .on_step = {}});
  const std::size_t threads = ThreadPool::default_threads();
  tensor::set_gemm_threads(threads);
  // A resumed run reads the tokenizer the checkpoint carries, wherever the original went.
  auto tokenizer = load_bert_tokenizer(o.resume ? o.out : o.tokenizer);

  std::unique_ptr<nn::BertModel> loaded;
  if (o.resume) {
    loaded = std::make_unique<nn::BertModel>(nn::load_bert_dir(o.out));
  } else {
    nn::BertConfig fresh;
    if (!nn::bert_config_preset(o.config, fresh))
      usage_fail("--config {} is not tiny, small or base", o.config);
    fresh.vocab_size = tokenizer->vocab_size();
    fresh.max_position_embeddings = std::max(fresh.max_position_embeddings, o.seq_len);
    loaded = std::make_unique<nn::BertModel>(fresh);
    loaded->init_weights(o.seed);
  }
  nn::BertModel& model = *loaded;
  const nn::BertConfig& config = model.config();

  auto train_examples = read_examples(o.data, o.lines, "");
  std::vector<Example> val_examples;
  if (!o.val_data.empty()) {
    val_examples = read_examples(o.val_data, o.lines, "");
  } else {  // the last tenth of the training examples
    std::size_t n_val = train_examples.size() / 10;
    val_examples.assign(train_examples.end() - static_cast<std::ptrdiff_t>(n_val), train_examples.end());
    train_examples.resize(train_examples.size() - n_val);
  }
  if (train_examples.empty()) fail("{}: no training examples", o.data.front());
  if (val_examples.empty()) fail("no validation examples (give --val-data or more --data)");
  const auto train = encode_examples(*tokenizer, train_examples, o.seq_len);
  const auto val = encode_examples(*tokenizer, val_examples, o.seq_len);
  nn::check_training_memory(
      nn::bert_training_memory(config, model.parameters().size(), o.batch, train, val, o.mask_prob));

  const bool quiet = trainer.options().quiet;
  std::size_t n_parameters = model.parameters().size();
  if (!quiet)
    fmt::print(stderr,
               "MLM pretraining {} parameters ({} layers, {} wide) on {} sequences ({} held out), batch {}, "
               "at most {} tokens each, {} threads\n",
               n_parameters, config.num_hidden_layers, config.hidden_size, train.size(), val.size(), o.batch,
               o.seq_len, threads);

  if (o.resume) trainer.resume(o.out, state, n_parameters);
  const auto mask_id = static_cast<std::int32_t>(tokenizer->required_id("[MASK]"));
  const std::int32_t first_random = first_ordinary_id(*tokenizer);
  bool written = o.force || o.resume;
  auto checkpoint = [&](const api::Trainer& t) {
    AtomicDirectory out(o.out, written);
    nn::save_bert_dir(model, out.temp_path(), "", {});
    write_bert_tokenizer_files(*tokenizer, out.temp_path());
    nn::write_training_files(out.temp_path(), t.optimizer(), t.state("lmkit-mlm-1", api::options_json(o)),
                             t.history(), "lmkit mlm train: " + o.out);
    out.commit();
    written = true;
  };
  std::vector<std::int32_t> inputs, targets;
  std::vector<std::size_t> rows(o.batch);
  const api::TrainResult r = trainer.run(
      api::trainable(model),
      [&](std::uint64_t at) {
        std::mt19937_64 rng(mix(o.seed ^ mix(at)));
        for (auto& row : rows) row = static_cast<std::size_t>(rng() % train.size());
        PaddedBatch b = make_batch(train, rows, *tokenizer);
        nn::mask_tokens(b.tokens, b.maskable, o.mask_prob, mask_id, first_random, tokenizer->vocab_size(),
                        rng, inputs, targets);
        return std::pair{model.forward_mlm(inputs.data(), nullptr, b.valid.data(), targets.data(), b.B, b.T),
                         b.B};
      },
      [&] { return validation_loss(model, val, *tokenizer, o); }, checkpoint);
  if (o.json) {
    fmt::print("{}\n", Json{{"out", o.out},
                            {"steps", trainer.last_step()},
                            {"train_loss", r.train_loss},
                            {"val_loss", r.val_loss ? Json(*r.val_loss) : Json(nullptr)},
                            {"sequences_per_second", r.units_per_second},
                            {"seconds", r.seconds},
                            {"parameters", n_parameters}}
                           .dump());
  } else {
    fmt::print(
        "trained to step {} of {} in {:.1f} s: train MLM loss {:.4f}, validation MLM loss {:.4f}\nmodel: "
        "{}\n",
        trainer.last_step(), o.steps, r.seconds, r.train_loss, r.val_loss.value_or(0.0f), o.out);
  }
}

const bool registered = register_command("mlm", [](CLI::App& app) {
  auto o = std::make_shared<MlmOptions>();
  auto* group = app.add_subcommand("mlm", "Masked-language-model pretraining of a BERT-like encoder");
  group->require_subcommand(1);
  auto* sub = group->add_subcommand("train", "Pretrain an encoder with BERT's masked-LM objective");
  sub->add_option("--data", o->data, "Training corpus files (.jsonl with a \"text\" field, or plain text)");
  sub->add_option("--val-data", o->val_data, "Validation corpus (default: the last tenth of the examples)");
  sub->add_flag("--lines", o->lines, "One example per line of each document (default: per document)");
  sub->add_option("--tokenizer", o->tokenizer,
                  "A WordPiece tokenizer (vocab.txt or tokenizer.json, or its folder)");
  sub->add_option("--config", o->config, "Model size: tiny, small or base")->capture_default_str();
  sub->add_option("--out", o->out, "Model directory to write")->required();
  sub->add_option("--steps", o->steps, "Optimizer steps (with --resume: a new total, to train further)")
      ->capture_default_str()
      ->each([o](const std::string&) { o->steps_given = true; });
  sub->add_option("--until", o->until, "Stop after this step and checkpoint (continue with --resume)");
  sub->add_flag("--resume", o->resume, "Continue the checkpoint in --out where it stopped, bit for bit");
  sub->add_option("--batch", o->batch, "Sequences per step")->capture_default_str();
  sub->add_option("--seq-len", o->seq_len, "Longest sequence, with [CLS] and [SEP] (longer ones are cut)")
      ->capture_default_str();
  sub->add_option("--lr", o->lr, "Peak learning rate (warmup, then cosine decay to a tenth)")
      ->capture_default_str();
  sub->add_option("--warmup", o->warmup, "Warmup steps (default steps / 20)");
  sub->add_option("--mask-prob", o->mask_prob, "Probability of choosing a position for the loss")
      ->capture_default_str();
  sub->add_option("--weight-decay", o->weight_decay, "AdamW weight decay on matrices")->capture_default_str();
  sub->add_option("--beta1", o->beta1, "AdamW's first-moment decay")->capture_default_str();
  sub->add_option("--beta2", o->beta2, "AdamW's second-moment decay")->capture_default_str();
  sub->add_option("--adam-eps", o->adam_eps, "AdamW's epsilon")->capture_default_str();
  sub->add_option("--clip", o->clip, "Clip gradients to this global norm")->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed for initialization, batches and masks")->capture_default_str();
  sub->add_option("--val-every", o->val_every, "Steps between validation losses")->capture_default_str();
  sub->add_option("--val-batches", o->val_batches, "Batches per validation")->capture_default_str();
  sub->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints (0: only at the end)")
      ->capture_default_str();
  sub->add_flag("--force", o->force, "Replace --out if it exists");
  sub->add_flag("--json", o->json, "Print one JSON document");
  sub->callback([o] { run_mlm_train(*o); });
});

}  // namespace

}  // namespace lmkit::cli
