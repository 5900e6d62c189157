// `lmkit seq2seq`: the encoder-decoder transformer from the command line.
//   corrupt   KJV chapters → (corrupted verse, verse) pairs for BART-style denoising: spans of words
//             replaced by one <mask> each
//   train     teacher-forced training on (source, target) pairs (Algorithm 11 EDTraining), writing a
//             BART-layout model directory with the optimizer state and loss curve, atomically
//   generate  greedy, sampled or beam-search outputs for sources (Algorithm 15 EDInference); with
//             reference targets, exact match and token accuracy
//
// Token ids: a new model's vocabulary is the tokenizer's plus four ids after it — pad, start, end and
// mask — so any tokenizer (even raw bytes) serves. In source text the marker "<mask>" becomes the
// mask id; user text cannot produce the other three.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "lmkit/api/saved_options.hpp"
#include "lmkit/api/seq2seq_codec.hpp"
#include "lmkit/api/trainer.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/hf_bart.hpp"
#include "lmkit/nn/seq2seq_generate.hpp"
#include "lmkit/nn/seq2seq_training.hpp"
#include "lmkit/nn/training_memory.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::cli {

namespace {

using PairCodec = api::Seq2SeqCodec;

struct TextPair {
  std::string source, target;
  bool has_target = false;
};

// A .jsonl file of {"source": ..., "target": ...} objects (target optional unless required).
std::vector<TextPair> read_pairs(const std::string& path, bool require_target) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open: {}", path, errno_message(errno));
  std::vector<TextPair> pairs;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const std::string where = fmt::format("{} line {}", path, line_no);
    Json doc = parse_json(line, where);
    TextPair pair;
    pair.source = json_get<std::string>(doc, "source", where);
    if (require_target || doc.contains("target")) {
      pair.target = json_get<std::string>(doc, "target", where);
      pair.has_target = true;
    }
    pairs.push_back(std::move(pair));
  }
  if (pairs.empty()) fail("{}: no (source, target) pairs", path);
  return pairs;
}

std::vector<nn::TokenPair> encode_pairs(const std::vector<TextPair>& pairs, const PairCodec& codec,
                                        const nn::Seq2SeqConfig& config, const std::string& path) {
  std::vector<nn::TokenPair> out;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    nn::TokenPair p{codec.encode(pairs[i].source, true), codec.encode(pairs[i].target, false)};
    if (p.source.empty()) fail("{}: pair {} has an empty source", path, i + 1);
    if (p.source.size() > config.n_ctx || p.target.size() + 1 > config.n_ctx)
      fail(
          "{}: pair {} has {} source and {} target tokens; the model's n_ctx is {} (the target also needs "
          "its end "
          "token)",
          path, i + 1, p.source.size(), p.target.size(), config.n_ctx);
    out.push_back(std::move(p));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// corrupt

struct CorruptOptions {
  std::string input, out;
  double mask_ratio = 0.3, mean_span = 3.0;
  std::size_t max_chars = 0, limit = 0;
  std::uint64_t seed = 1;
};

// BART's text infilling at the word level: spans with Poisson(mean_span) lengths (at least 1) are
// drawn until mask_ratio of the words are covered; each maximal masked run becomes one <mask>.
std::string corrupt_verse(const std::string& verse, const CorruptOptions& o, std::mt19937_64& rng) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start <= verse.size()) {
    std::size_t end = verse.find(' ', start);
    if (end == std::string::npos) end = verse.size();
    if (end > start) words.push_back(verse.substr(start, end - start));
    start = end + 1;
  }
  const std::size_t n = words.size();
  const std::size_t to_mask =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(o.mask_ratio * n)));
  std::vector<bool> masked(n, false);
  std::poisson_distribution<std::size_t> span_length(o.mean_span);
  std::size_t n_masked = 0;
  while (n_masked < std::min(to_mask, n)) {
    std::size_t length = std::min(n, std::max<std::size_t>(1, span_length(rng)));
    std::size_t first = static_cast<std::size_t>(rng() % (n - length + 1));
    for (std::size_t i = first; i < first + length && n_masked < to_mask; ++i)
      if (!masked[i]) masked[i] = true, ++n_masked;
  }
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (masked[i] && i > 0 && masked[i - 1]) continue;
    if (!out.empty()) out += ' ';
    out += masked[i] ? std::string(api::seq2seq_mask_marker) : words[i];
  }
  return out;
}

void run_corrupt(const CorruptOptions& o) {
  if (!(o.mask_ratio > 0 && o.mask_ratio < 1))
    usage_fail("--mask-ratio must be in (0, 1), got {}", o.mask_ratio);
  if (!(o.mean_span > 0)) usage_fail("--mean-span must be positive, got {}", o.mean_span);
  std::ifstream in(o.input, std::ios::binary);
  if (!in) fail("{}: cannot open: {}", o.input, errno_message(errno));
  std::mt19937_64 rng(o.seed);
  std::string out, line;
  std::size_t line_no = 0, n_pairs = 0, skipped = 0;
  while (std::getline(in, line) && (o.limit == 0 || n_pairs < o.limit)) {
    ++line_no;
    if (line.empty()) continue;
    const std::string where = fmt::format("{} line {}", o.input, line_no);
    const std::string chapter = json_get<std::string>(parse_json(line, where), "text", where);
    std::size_t start = 0;
    while (start < chapter.size() && (o.limit == 0 || n_pairs < o.limit)) {
      std::size_t end = chapter.find('\n', start);
      if (end == std::string::npos) end = chapter.size();
      std::string verse = chapter.substr(start, end - start);
      start = end + 1;
      if (verse.empty()) continue;
      if (o.max_chars && verse.size() > o.max_chars) {
        ++skipped;
        continue;
      }
      out += Json{{"source", corrupt_verse(verse, o, rng)}, {"target", verse}}.dump() + "\n";
      ++n_pairs;
    }
  }
  if (n_pairs == 0) fail("{}: no verses to corrupt", o.input);
  write_file_atomic(o.out, out);
  if (!ProgressBar::quiet())
    fmt::print(stderr, "wrote {} pairs to {}{}\n", n_pairs, o.out,
               skipped ? fmt::format(" ({} verses over {} characters left out)", skipped, o.max_chars) : "");
}

// ---------------------------------------------------------------------------------------------------
// train

struct TrainOptions {
  std::string data, val_data, tokenizer, config, out;
  std::uint64_t steps = 0, until = 0, warmup = 0, seed = 1;
  std::size_t batch = 16, val_every = 100, val_pairs = 256, checkpoint_every = 500;
  float lr = 1e-3f, min_lr = -1, weight_decay = 0.01f, clip = 1.0f;
  float beta1 = 0.9f, beta2 = 0.98f, adam_eps = 1e-8f;
  bool resume = false, json = false;
  bool steps_given = false;  // --steps was passed (with --resume: a new total)
};

// What a checkpoint saves of the options (not --out, --until, --resume, --json: see api/saved_options.hpp).
template <typename O, typename Visit>
void saved_fields(O& o, Visit visit) {
  api::visit_common(o, visit);
  visit("min_lr", o.min_lr);
  visit("val_pairs", o.val_pairs);
}

// The architecture from a preset or a config.json; the vocabulary is the tokenizer's plus pad,
// start, end and mask.
nn::Seq2SeqConfig make_config(const std::string& spec, std::uint32_t tokenizer_vocab) {
  nn::Seq2SeqConfig config;
  if (!nn::seq2seq_config_preset(spec, config)) {
    if (!std::filesystem::is_regular_file(spec))
      usage_fail("--config {}: neither a built-in size (tiny) nor a config file", spec);
    config = nn::seq2seq_config_from_json(read_json_file(spec), spec);
  }
  api::set_seq2seq_special_ids(config, tokenizer_vocab);
  config.validate(spec);
  return config;
}

void run_train(TrainOptions o) {
  const bool resuming = o.resume;
  const std::uint64_t until = o.until;
  Json state;
  if (resuming) {
    if (o.out.empty()) usage_fail("--resume needs --out, the checkpoint directory to continue");
    const std::string path = o.out + "/training.json";
    state = read_json_file(path);
    const std::uint64_t steps_override = o.steps;
    api::options_from_json(o, json_get<Json>(state, "options", path), path);
    if (o.steps_given) o.steps = steps_override;
  } else {
    if (o.data.empty() || o.tokenizer.empty() || o.config.empty() || o.out.empty())
      usage_fail(
          "lmkit seq2seq train needs --data, --tokenizer, --config and --out (or --resume with --out)");
    if (std::filesystem::exists(o.out))
      usage_fail("--out {} already exists; continue it with --resume or choose a new directory", o.out);
    if (!o.steps_given) o.steps = 1000;
  }
  if (o.batch == 0) usage_fail("--batch must be positive");
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
                        .unit = "target tok",
                        .label = "seq2seq train",
                        .quiet = ProgressBar::quiet() || o.json,
                        .on_step = {}});
  const std::size_t threads = ThreadPool::default_threads();
  tensor::set_gemm_threads(threads);
  auto tokenizer = text::load_tokenizer(o.tokenizer);

  std::unique_ptr<nn::Seq2SeqModel> model;
  if (resuming) {
    model = std::move(nn::load_seq2seq_dir(o.out).model);
  } else {
    model = std::make_unique<nn::Seq2SeqModel>(make_config(o.config, tokenizer->vocab_size()));
    model->init_weights(o.seed);
  }
  const nn::Seq2SeqConfig& config = model->config();
  if (tokenizer->vocab_size() > config.vocab_size)
    fail("the tokenizer's {} ids do not fit the model's vocab_size {}", tokenizer->vocab_size(),
         config.vocab_size);
  PairCodec codec(*tokenizer, config);
  std::vector<nn::TokenPair> train = encode_pairs(read_pairs(o.data, true), codec, config, o.data), val;
  if (!o.val_data.empty()) {
    val = encode_pairs(read_pairs(o.val_data, true), codec, config, o.val_data);
  } else {
    // Hold out the last tenth of the pairs (at least one) for validation.
    const std::size_t n_val = std::max<std::size_t>(1, train.size() / 10);
    if (train.size() < 2) fail("{}: one pair cannot be split into training and validation", o.data);
    val.assign(train.end() - static_cast<std::ptrdiff_t>(n_val), train.end());
    train.resize(train.size() - n_val);
  }

  nn::check_training_memory(
      nn::seq2seq_training_memory(config, model->parameters().size(), o.batch, train, val));
  if (resuming) trainer.resume(o.out, state, model->parameters().size());
  if (!trainer.options().quiet)
    fmt::print(
        stderr,
        "Training {} parameters ({} + {} layers, {} wide) on {} pairs ({} held out), batch {}, {} threads\n",
        model->parameters().size(), config.n_encoder_layer, config.n_decoder_layer, config.n_embd,
        train.size(), val.size(), o.batch, threads);
  bool written = resuming;
  auto checkpoint = [&](const api::Trainer& t) {
    nn::save_seq2seq_checkpoint(o.out, written, *model, t.optimizer(), o.tokenizer,
                                t.state("lmkit-seq2seq-train-1", api::options_json(o)), t.history());
    written = true;
  };
  const api::TrainResult r = trainer.run(
      api::trainable(*model),
      [&](std::uint64_t at) {
        nn::Seq2SeqBatch batch = nn::sample_pair_batch(config, train, o.batch, o.seed, at);
        const float loss = model->forward(batch);
        return std::pair{loss,
                         static_cast<std::size_t>(std::count_if(batch.targets.begin(), batch.targets.end(),
                                                                [](std::int32_t t) { return t >= 0; }))};
      },
      [&] { return nn::evaluate_pairs_loss(*model, val, o.batch, o.val_pairs); }, checkpoint);
  const std::uint64_t step = trainer.step();
  if (o.json)
    fmt::print("{}\n", Json{{"out", o.out},
                            {"steps", step},
                            {"train_loss", r.train_loss},
                            {"val_loss", r.val_loss ? Json(*r.val_loss) : Json(nullptr)},
                            {"parameters", model->parameters().size()}}
                           .dump());
  else
    fmt::print("trained to step {} of {}: train loss {:.4f}, validation loss {:.4f}\nmodel: {}\n", step,
               o.steps, r.train_loss, r.val_loss.value_or(0.0f), o.out);
}

// ---------------------------------------------------------------------------------------------------
// generate

struct GenerateOptions {
  std::string model_dir, tokenizer, input;
  std::vector<std::string> sources;
  std::size_t max_new_tokens = 0, top_k = 0, beam = 0, batch = 32, limit = 0;
  float temperature = 0.0f, top_p = 1.0f, length_penalty = 1.0f;
  std::uint64_t seed = 0;
  bool json = false;
};

void run_generate(const GenerateOptions& o) {
  if (o.sources.empty() == o.input.empty()) usage_fail("give --source (repeatable) or --input, not both");
  if (o.beam && o.temperature > 0) usage_fail("--beam searches; it does not combine with --temperature > 0");
  if (o.batch == 0) usage_fail("--batch must be positive");
  tensor::set_gemm_threads(ThreadPool::default_threads());
  nn::LoadedSeq2Seq loaded = nn::load_seq2seq_dir(o.model_dir);
  nn::Seq2SeqModel& model = *loaded.model;
  const std::string spec = o.tokenizer.empty() ? loaded.tokenizer_spec : o.tokenizer;
  if (spec.empty()) usage_fail("{}/config.json names no tokenizer; pass --tokenizer", o.model_dir);
  auto tokenizer = text::load_tokenizer(spec);
  if (tokenizer->vocab_size() > model.config().vocab_size)
    fail("tokenizer {} has {} ids but the model's vocabulary is {}", spec, tokenizer->vocab_size(),
         model.config().vocab_size);
  PairCodec codec(*tokenizer, model.config());

  std::vector<TextPair> pairs;
  if (!o.input.empty()) {
    pairs = read_pairs(o.input, false);
    if (o.limit && pairs.size() > o.limit) pairs.resize(o.limit);
  } else {
    for (const auto& s : o.sources) pairs.push_back({s, "", false});
  }
  std::vector<std::vector<std::int32_t>> sources;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    sources.push_back(codec.encode(pairs[i].source, true));
    if (sources.back().empty()) usage_fail("source {} is empty", i + 1);
    if (sources.back().size() > model.config().n_ctx)
      fail("{}source {} has {} tokens, beyond the model's n_ctx of {}", o.input.empty() ? "" : o.input + ": ",
           i + 1, sources.back().size(), model.config().n_ctx);
  }
  const std::size_t max_new = o.max_new_tokens ? o.max_new_tokens : model.config().n_ctx;
  std::vector<std::vector<std::int32_t>> outputs;
  ProgressBar bar("seq2seq generate", sources.size(), "inputs");
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t begin = 0; begin < sources.size(); begin += o.batch) {
    std::vector<std::vector<std::int32_t>> chunk(
        sources.begin() + static_cast<std::ptrdiff_t>(begin),
        sources.begin() + static_cast<std::ptrdiff_t>(std::min(sources.size(), begin + o.batch)));
    std::vector<std::vector<std::int32_t>> result;
    if (o.beam)
      result = nn::seq2seq_beam_search(
          model, chunk,
          {.beam_width = o.beam, .max_new_tokens = max_new, .length_penalty = o.length_penalty});
    else
      result = nn::seq2seq_generate(
          model, chunk,
          {.max_new_tokens = max_new,
           .sampling = {
               .temperature = o.temperature, .top_k = o.top_k, .top_p = o.top_p, .seed = o.seed + begin}});
    outputs.insert(outputs.end(), result.begin(), result.end());
    bar.add(chunk.size());
  }
  bar.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // With reference targets: exact match of the whole output, and token accuracy — reference tokens
  // matched at the same position, over the longer of output and reference.
  std::size_t n_scored = 0, exact = 0, matched = 0, compared = 0, generated = 0;
  Json results = Json::array();
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    generated += outputs[i].size();
    Json r = {{"source", pairs[i].source}, {"ids", outputs[i]}, {"text", codec.decode(outputs[i])}};
    if (pairs[i].has_target) {
      const std::vector<std::int32_t> ref = codec.encode(pairs[i].target, false);
      const bool same = ref == outputs[i];
      std::size_t ok = 0;
      for (std::size_t t = 0; t < std::min(ref.size(), outputs[i].size()); ++t) ok += ref[t] == outputs[i][t];
      ++n_scored;
      exact += same;
      matched += ok;
      compared += std::max(ref.size(), outputs[i].size());
      r["target"] = pairs[i].target;
      r["exact_match"] = same;
    }
    results.push_back(std::move(r));
  }
  Json summary = {{"inputs", pairs.size()},
                  {"generated_tokens", generated},
                  {"seconds", seconds},
                  {"tokens_per_second", static_cast<double>(generated) / std::max(seconds, 1e-9)}};
  if (n_scored) {
    summary["scored"] = n_scored;
    summary["exact_match"] = static_cast<double>(exact) / static_cast<double>(n_scored);
    summary["token_accuracy"] = compared ? static_cast<double>(matched) / static_cast<double>(compared) : 1.0;
  }
  if (o.json) {
    fmt::print("{}\n", json_text(Json{{"model", o.model_dir}, {"summary", summary}, {"results", results}}));
    return;
  }
  for (const auto& r : results) fmt::print("{}\n", r["text"].get<std::string>());
  if (n_scored)
    fmt::print(stderr, "exact match {:.4f} ({} of {}), token accuracy {:.4f}\n",
               summary["exact_match"].get<double>(), exact, n_scored,
               summary["token_accuracy"].get<double>());
}

const bool registered = register_command("seq2seq", [](CLI::App& app) {
  auto* group = app.add_subcommand("seq2seq", "Encoder-decoder transformer: corrupt, train, generate");
  group->require_subcommand(1);

  auto c = std::make_shared<CorruptOptions>();
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
  corrupt->callback([c] { run_corrupt(*c); });

  auto t = std::make_shared<TrainOptions>();
  auto* train =
      group->add_subcommand("train", "Train on (source, target) pairs (writes a BART-layout directory)");
  train->add_option("--data", t->data, "Training pairs: .jsonl with \"source\" and \"target\"");
  train->add_option("--val-data", t->val_data, "Validation pairs (default: the last tenth of --data)");
  train->add_option("--tokenizer", t->tokenizer, "Tokenizer spec (e.g. bytes)");
  train->add_option("--config", t->config, "Model size: tiny, or a config.json file");
  train->add_option("--out", t->out, "Model directory to write (must not exist unless --resume)");
  auto* steps = train->add_option("--steps", t->steps, "Optimizer steps in total (default 1000)");
  train->add_option("--until", t->until, "Stop after this step and checkpoint (continue with --resume)");
  train->add_option("--batch", t->batch, "Pairs per step")->capture_default_str();
  train->add_option("--lr", t->lr, "Peak learning rate")->capture_default_str();
  train->add_option("--min-lr", t->min_lr, "Final learning rate of the cosine decay (default lr / 10)");
  train->add_option("--warmup", t->warmup, "Linear warmup steps (default steps / 20)");
  train->add_option("--weight-decay", t->weight_decay, "AdamW weight decay on matrices")
      ->capture_default_str();
  train->add_option("--clip", t->clip, "Clip gradients to this global norm")->capture_default_str();
  train->add_option("--seed", t->seed, "Seed for initialization and batches")->capture_default_str();
  train->add_option("--beta1", t->beta1, "AdamW's first-moment decay")->capture_default_str();
  train->add_option("--beta2", t->beta2, "AdamW's second-moment decay")->capture_default_str();
  train->add_option("--adam-eps", t->adam_eps, "AdamW's epsilon")->capture_default_str();
  train->add_option("--val-every", t->val_every, "Steps between validation losses")->capture_default_str();
  train->add_option("--val-pairs", t->val_pairs, "Validation pairs per evaluation (0: all)")
      ->capture_default_str();
  train
      ->add_option("--checkpoint-every", t->checkpoint_every,
                   "Steps between checkpoints (0: only at the end)")
      ->capture_default_str();
  train->add_flag("--resume", t->resume, "Continue the checkpoint in --out where it stopped");
  train->add_flag("--json", t->json, "Print one JSON summary");
  train->callback([t, steps] {
    t->steps_given = steps->count() > 0;
    run_train(*t);
  });

  auto g = std::make_shared<GenerateOptions>();
  auto* gen =
      group->add_subcommand("generate", "Generate targets for sources (greedy, sampling or beam search)");
  gen->add_option("--model", g->model_dir, "Model directory (config.json + model.safetensors)")->required();
  gen->add_option("--source", g->sources, "Source text (\"<mask>\" marks a mask token); repeat for a batch");
  gen->add_option("--input", g->input,
                  "Sources from a .jsonl file; with \"target\" fields, outputs are scored");
  gen->add_option("--limit", g->limit, "Only the first this many lines of --input (0: all)");
  gen->add_option("--tokenizer", g->tokenizer, "Tokenizer spec (default: the one named in config.json)");
  gen->add_option("--max-new-tokens", g->max_new_tokens, "Most tokens per output (default: n_ctx)");
  gen->add_option("--temperature", g->temperature, "Sampling temperature; 0 is greedy")
      ->capture_default_str();
  gen->add_option("--top-k", g->top_k, "Sample among the k most likely tokens (0: all)")
      ->capture_default_str();
  gen->add_option("--top-p", g->top_p, "Nucleus sampling mass")->capture_default_str();
  gen->add_option("--seed", g->seed, "Sampling seed (input i uses seed + i)")->capture_default_str();
  gen->add_option("--beam", g->beam, "Beam search with this width instead of greedy or sampling");
  gen->add_option("--length-penalty", g->length_penalty, "Beam ranking: log P / length^this")
      ->capture_default_str();
  gen->add_option("--batch", g->batch, "Inputs decoded together")->capture_default_str();
  gen->add_flag("--json", g->json, "Print one JSON document");
  gen->callback([g] { run_generate(*g); });
});

}  // namespace

}  // namespace lmkit::cli
