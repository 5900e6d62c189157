#include "lmkit/api/seq2seq.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "lmkit/api/model.hpp"
#include "lmkit/nn/hf_bart.hpp"
#include "lmkit/nn/seq2seq_generate.hpp"
#include "lmkit/nn/seq2seq_training.hpp"
#include "lmkit/nn/training_memory.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::api {

namespace {

std::vector<nn::TokenPair> encode_pairs(const std::vector<TextPair>& pairs, const Seq2SeqCodec& codec,
                                        const nn::Seq2SeqConfig& config, const std::string& path) {
  std::vector<nn::TokenPair> out;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    nn::TokenPair p{codec.encode(pairs[i].source, true), codec.encode(pairs[i].target, false)};
    if (p.source.empty()) fail("{}: pair {} has an empty source", path, i + 1);
    if (p.source.size() > config.n_ctx || p.target.size() + 1 > config.n_ctx)
      fail(
          "{}: pair {} has {} source and {} target tokens; the model's n_ctx is {} (the target also needs "
          "its "
          "end token)",
          path, i + 1, p.source.size(), p.target.size(), config.n_ctx);
    out.push_back(std::move(p));
  }
  return out;
}

// The architecture from a preset or a config.json; the vocabulary is the tokenizer's plus pad,
// start, end and mask.
nn::Seq2SeqConfig make_config(const std::string& spec, std::uint32_t tokenizer_vocab) {
  nn::Seq2SeqConfig config;
  if (!nn::seq2seq_config_preset(spec, config)) {
    if (!std::filesystem::is_regular_file(spec))
      invalid_argument("config", spec, "neither a built-in size (tiny) nor a config file");
    config = nn::seq2seq_config_from_json(read_json_file(spec), spec);
  }
  set_seq2seq_special_ids(config, tokenizer_vocab);
  config.validate(spec);
  return config;
}

}  // namespace

std::vector<TextPair> read_text_pairs(const std::string& path, bool require_target,
                                      const text::CorpusOptions& corpus, std::uint64_t* skipped) {
  if (corpus.format == text::CorpusFormat::text)
    invalid_argument("format", "text", "cannot hold (source, target) pairs; they are read as JSONL");
  if (corpus.lines)
    invalid_argument("lines", "true", "does not apply to (source, target) pairs: each JSONL line is one");
  if (corpus.text_field != "text")
    invalid_argument("text_field", corpus.text_field,
                     "does not apply to (source, target) pairs: they are read from \"source\" and "
                     "\"target\"");
  text::CorpusOptions options = corpus;
  options.format = text::CorpusFormat::jsonl;
  options.text_field = "source";
  text::CorpusReader reader({path}, options);
  std::vector<TextPair> pairs;
  std::uint64_t skipped_targets = 0;
  text::Document doc;
  while (reader.next(doc)) {
    TextPair pair{.source = std::move(doc.text), .target = "", .has_target = false};
    const auto target = doc.metadata.find("target");
    if (require_target || target != doc.metadata.end()) {
      if (target == doc.metadata.end() || !target->is_string()) {
        const std::string problem =
            target == doc.metadata.end() ? "missing field \"target\"" : "field \"target\" is not a string";
        if (!corpus.skip_bad) fail("{} line {}: {}", doc.source, doc.line, problem);
        ++skipped_targets;
        continue;
      }
      pair.target = target->get<std::string>();
      pair.has_target = true;
    }
    pairs.push_back(std::move(pair));
  }
  if (skipped) *skipped += reader.skipped() + skipped_targets;
  if (pairs.empty()) fail("{}: no (source, target) pairs", path);
  return pairs;
}

double OutputMatch::exact_match() const {
  return scored ? static_cast<double>(exact) / static_cast<double>(scored) : 0.0;
}
double OutputMatch::token_accuracy() const {
  return compared ? static_cast<double>(matched) / static_cast<double>(compared) : 1.0;
}

// ---------------------------------------------------------------------------------------------------
// The model

std::shared_ptr<Seq2Seq> Seq2Seq::load(const std::string& dir, const std::string& tokenizer) {
  std::shared_ptr<Seq2Seq> m(new Seq2Seq());
  m->dir_ = dir;
  nn::LoadedSeq2Seq loaded = nn::load_seq2seq_dir(dir);
  m->model_ = std::move(loaded.model);
  const std::string spec = tokenizer.empty() ? loaded.tokenizer_spec : tokenizer;
  if (spec.empty()) usage_fail("{}/config.json names no tokenizer; give a tokenizer", dir);
  m->tokenizer_ = text::load_tokenizer(spec);
  if (m->tokenizer_->vocab_size() > m->config().vocab_size)
    fail("tokenizer {} has {} ids but the model's vocabulary is {}", spec, m->tokenizer_->vocab_size(),
         m->config().vocab_size);
  m->codec_ = std::make_unique<Seq2SeqCodec>(*m->tokenizer_, m->model_->config());
  return m;
}

std::vector<std::int32_t> Seq2Seq::encode_source(const std::string& source, std::size_t index) const {
  std::vector<std::int32_t> ids = codec_->encode(source, true);
  if (ids.empty()) invalid_argument("source", "\"\"", "source {} is empty", index);
  if (ids.size() > config().n_ctx)
    fail("source {} has {} tokens, beyond the model's n_ctx of {}", index, ids.size(), config().n_ctx);
  return ids;
}

std::vector<Seq2SeqOutput> Seq2Seq::generate(const Seq2SeqGenerateRequest& request,
                                             const std::function<void(std::size_t done)>& on_done) {
  if (request.sources.empty()) invalid_argument("source", "none", "give at least one source");
  validate(request.sampling);
  if (request.beam && request.sampling.temperature > 0)
    invalid_argument("beam", request.beam, "searches; it does not combine with a temperature > 0");
  if (request.batch == 0) invalid_argument("batch", request.batch, "must be at least 1");
  std::vector<std::vector<std::int32_t>> sources;
  for (std::size_t i = 0; i < request.sources.size(); ++i)
    sources.push_back(encode_source(request.sources[i], i + 1));
  const std::size_t max_new = request.max_new_tokens ? request.max_new_tokens : config().n_ctx;
  std::vector<Seq2SeqOutput> outputs;
  std::lock_guard lock(mutex_);
  for (std::size_t begin = 0; begin < sources.size(); begin += request.batch) {
    std::vector<std::vector<std::int32_t>> chunk(
        sources.begin() + static_cast<std::ptrdiff_t>(begin),
        sources.begin() + static_cast<std::ptrdiff_t>(std::min(sources.size(), begin + request.batch)));
    std::vector<std::vector<std::int32_t>> result;
    if (request.beam) {
      result = nn::seq2seq_beam_search(
          *model_, chunk,
          {.beam_width = request.beam, .max_new_tokens = max_new, .length_penalty = request.length_penalty});
    } else {
      nn::SamplingOptions sampling = request.sampling;
      sampling.seed += begin;  // row r of the batch samples with seed + r
      result = nn::seq2seq_generate(*model_, chunk, {.max_new_tokens = max_new, .sampling = sampling});
    }
    for (auto& ids : result) {
      std::string text = codec_->decode(ids);
      outputs.push_back({std::move(ids), std::move(text)});
    }
    if (on_done) on_done(outputs.size());
  }
  return outputs;
}

TargetScore Seq2Seq::score(const std::string& source, const std::string& target) {
  const std::vector<std::vector<std::int32_t>> sources{encode_source(source)};
  const std::vector<std::vector<std::int32_t>> targets{codec_->encode(target, false)};
  if (targets[0].size() + 1 > config().n_ctx)
    fail("the target has {} tokens; with its end token that is beyond the model's n_ctx of {}",
         targets[0].size(), config().n_ctx);
  const nn::Seq2SeqBatch batch = nn::make_seq2seq_batch(config(), sources, targets);
  std::lock_guard lock(mutex_);
  model_->forward(batch);
  const std::span<const float> logits = model_->logits();  // (1, T, V)
  const std::size_t V = config().vocab_size;
  TargetScore s;
  for (std::size_t t = 0; t < batch.T; ++t) {
    const std::int32_t id = batch.targets[t];
    if (id < 0) break;
    const float* row = logits.data() + t * V;
    const float max = *std::max_element(row, row + V);
    double sum = 0;
    for (std::size_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v] - max));
    const double lp = static_cast<double>(row[id] - max) - std::log(sum);
    s.ids.push_back(id);
    s.logprobs.push_back(lp);
    s.logprob += lp;
  }
  return s;
}

OutputMatch Seq2Seq::match(const std::vector<TextPair>& pairs,
                           const std::vector<Seq2SeqOutput>& outputs) const {
  OutputMatch m;
  m.exact_rows.assign(pairs.size(), false);
  for (std::size_t i = 0; i < pairs.size() && i < outputs.size(); ++i) {
    if (!pairs[i].has_target) continue;
    const std::vector<std::int32_t> ref = codec_->encode(pairs[i].target, false);
    const std::vector<std::int32_t>& out = outputs[i].ids;
    ++m.scored;
    m.exact_rows[i] = ref == out;
    m.exact += ref == out;
    for (std::size_t t = 0; t < std::min(ref.size(), out.size()); ++t) m.matched += ref[t] == out[t];
    m.compared += std::max(ref.size(), out.size());
  }
  return m;
}

std::size_t Seq2SeqRun::generated_tokens() const {
  std::size_t n = 0;
  for (const auto& o : outputs) n += o.ids.size();
  return n;
}

Json Seq2SeqRun::to_json() const {
  Json results = Json::array();
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    Json r = {{"source", pairs[i].source}, {"ids", outputs[i].ids}, {"text", outputs[i].text}};
    if (pairs[i].has_target) r.update({{"target", pairs[i].target}, {"exact_match", match.exact_rows[i]}});
    results.push_back(std::move(r));
  }
  const std::size_t generated = generated_tokens();
  Json summary = {{"inputs", pairs.size()},
                  {"generated_tokens", generated},
                  {"seconds", seconds},
                  {"tokens_per_second", static_cast<double>(generated) / std::max(seconds, 1e-9)}};
  if (match.scored)
    summary.update({{"scored", match.scored},
                    {"exact_match", match.exact_match()},
                    {"token_accuracy", match.token_accuracy()}});
  return {{"summary", summary}, {"results", results}};
}

Seq2SeqRun Seq2Seq::run(std::vector<TextPair> pairs, Seq2SeqGenerateRequest request,
                        const std::function<void(std::size_t done)>& on_done) {
  Seq2SeqRun r;
  r.pairs = std::move(pairs);
  request.sources.clear();
  for (const auto& p : r.pairs) request.sources.push_back(p.source);
  const auto start = std::chrono::steady_clock::now();
  r.outputs = generate(request, on_done);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.match = match(r.pairs, r.outputs);
  return r;
}

// ---------------------------------------------------------------------------------------------------
// Training

Seq2SeqTrainResult train_seq2seq(Seq2SeqTrainOptions o,
                                 const std::function<void(const Seq2SeqTrainPlan&)>& on_start) {
  const bool resuming = o.resume;
  const std::uint64_t until = o.until;
  if (o.out.empty()) invalid_argument("out", "", "names the model directory to write (or to resume)");
  Json state;
  if (resuming) {
    const std::string path = o.out + "/training.json";
    state = read_json_file(path);
    const Seq2SeqTrainOptions requested = o;
    options_from_json(o, resolved_paths(json_get<Json>(state, "options", path), o.out), path);
    std::set<std::string> given = o.given;
    if (o.steps_given) given.insert("steps");
    apply_resume_changes(o, requested, given, {"tokenizer"}, path);
  } else {
    if (o.data.empty()) invalid_argument("data", "", "training needs (source, target) pairs");
    if (o.tokenizer.empty()) invalid_argument("tokenizer", "", "training needs a tokenizer");
    if (o.config.empty()) invalid_argument("config", "", "training needs a model size or config file");
    if (std::filesystem::exists(o.out))
      invalid_argument("out", o.out, "already exists; resume it or choose a new directory");
  }
  if (o.batch == 0) invalid_argument("batch", o.batch, "must be at least 1");
  o.schedule = with_defaults(o.schedule);
  // Before any data is read: the schedule's values, each in its domain.
  Trainer trainer({.schedule = o.schedule,
                   .until = until,
                   .val_every = o.val_every,
                   .checkpoint_every = o.checkpoint_every,
                   .unit = "target tok",
                   .label = "seq2seq train",
                   .quiet = o.quiet,
                   .on_step = o.on_step});
  const std::size_t threads = ThreadPool::default_threads();
  tensor::set_gemm_threads(threads);
  auto tokenizer = text::load_tokenizer(o.tokenizer);
  std::unique_ptr<nn::Seq2SeqModel> model;
  if (resuming) {
    model = std::move(nn::load_seq2seq_dir(o.out).model);
    if (o.given.contains("config")) {
      const nn::Seq2SeqConfig asked = make_config(o.config, tokenizer->vocab_size()),
                              &saved = model->config();
      auto shape = [](const nn::Seq2SeqConfig& c) {
        return fmt::format("{} + {} layers, {} heads, width {}, ffn {}, n_ctx {}, vocab_size {}",
                           c.n_encoder_layer, c.n_decoder_layer, c.n_head, c.n_embd, c.n_ffn, c.n_ctx,
                           c.vocab_size);
      };
      if (shape(asked) != shape(saved))
        invalid_argument("config", o.config,
                         "describes another model ({}) than the checkpoint in {} ({}); a resumed run "
                         "cannot change the model",
                         shape(asked), o.out, shape(saved));
    }
  } else {
    model = std::make_unique<nn::Seq2SeqModel>(make_config(o.config, tokenizer->vocab_size()));
    model->init_weights(o.seed);
  }
  const nn::Seq2SeqConfig& config = model->config();
  if (tokenizer->vocab_size() > config.vocab_size)
    fail("the tokenizer's {} ids do not fit the model's vocab_size {}", tokenizer->vocab_size(),
         config.vocab_size);
  const Seq2SeqCodec codec(*tokenizer, config);
  std::uint64_t skipped = 0;
  std::vector<nn::TokenPair> train = encode_pairs(read_text_pairs(o.data, true, o.corpus, &skipped), codec,
                                                  config, o.data),
                             val;
  if (!o.val_data.empty()) {
    val = encode_pairs(read_text_pairs(o.val_data, true, o.corpus, &skipped), codec, config, o.val_data);
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
  if (on_start)
    on_start({.parameters = model->parameters().size(),
              .encoder_layers = config.n_encoder_layer,
              .decoder_layers = config.n_decoder_layer,
              .width = config.n_embd,
              .train_pairs = train.size(),
              .val_pairs = val.size(),
              .batch = o.batch,
              .threads = threads});
  bool written = resuming;
  auto checkpoint = [&](const Trainer& t) {
    nn::save_seq2seq_checkpoint(o.out, written, *model, t.optimizer(), o.tokenizer,
                                t.state("lmkit-seq2seq-train-1", portable_paths(options_json(o), o.out)),
                                t.history());
    written = true;
  };
  const TrainResult r = trainer.run(
      trainable(*model),
      [&](std::uint64_t at) {
        nn::Seq2SeqBatch batch = nn::sample_pair_batch(config, train, o.batch, o.seed, at);
        const float loss = model->forward(batch);
        return std::pair{loss,
                         static_cast<std::size_t>(std::count_if(batch.targets.begin(), batch.targets.end(),
                                                                [](std::int32_t t) { return t >= 0; }))};
      },
      [&] { return nn::evaluate_pairs_loss(*model, val, o.batch, o.val_pairs); }, checkpoint);
  return {.out = o.out,
          .step = trainer.step(),
          .steps = o.schedule.steps,
          .train_loss = r.train_loss,
          .val_loss = r.val_loss,
          .parameters = model->parameters().size(),
          .skipped = skipped};
}

}  // namespace lmkit::api
