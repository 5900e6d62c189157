#include "lmkit/api/mlm_training.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>

#include "lmkit/api/bert_data.hpp"
#include "lmkit/nn/bert.hpp"
#include "lmkit/nn/hf_bert.hpp"
#include "lmkit/nn/training.hpp"
#include "lmkit/nn/training_memory.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::api {

namespace {

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
                      const text::WordPieceTokenizer& tokenizer, const MlmTrainOptions& o) {
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

}  // namespace

MlmTrainResult train_mlm(MlmTrainOptions o, const std::function<void(const MlmTrainPlan&)>& on_start) {
  if (o.out.empty()) invalid_argument("out", "", "names the model directory to write (or to resume)");
  Json state;  // the checkpoint's training.json when resuming
  if (o.resume) {
    const std::string path = o.out + "/training.json";
    if (!std::filesystem::is_regular_file(path))
      invalid_argument("out", o.out, "is not an lmkit mlm checkpoint");
    state = read_json_file(path);
    if (json_get<std::string>(state, "format", path) != "lmkit-mlm-1")
      fail("{}: not an lmkit mlm checkpoint", path);
    const MlmTrainOptions requested = o;
    options_from_json(o, resolved_paths(json_get<Json>(state, "options", path), o.out),
                      path);  // leaves out, until
    std::set<std::string> given = o.given;
    if (o.steps_given) given.insert("steps");
    apply_resume_changes(o, requested, given, {"config", "tokenizer", "seq_len"}, path);
  } else {
    if (o.data.empty()) invalid_argument("data", "", "training needs a corpus");
    if (o.tokenizer.empty()) invalid_argument("tokenizer", "", "training needs a WordPiece tokenizer");
    if (std::filesystem::exists(o.out) && !o.force)
      invalid_argument("out", o.out,
                       "already exists; resume it, choose a new directory or replace it (force)");
  }
  if (o.batch == 0) invalid_argument("batch", o.batch, "must be at least 1");
  if (!(o.mask_prob > 0.0f && o.mask_prob < 1.0f))
    invalid_argument("mask_prob", o.mask_prob, "must be in (0, 1)");
  o.schedule = with_defaults(o.schedule);
  // Before any data is read: the schedule's values, each in its domain.
  Trainer trainer({.schedule = o.schedule,
                   .until = o.until,
                   .val_every = o.val_every,
                   .checkpoint_every = o.checkpoint_every,
                   .unit = "seq",
                   .label = "mlm train",
                   .quiet = o.quiet,
                   .on_step = o.on_step});
  const std::size_t threads = ThreadPool::default_threads();
  tensor::set_gemm_threads(threads);
  // A resumed run reads the tokenizer the checkpoint carries, wherever the original went.
  auto tokenizer = load_bert_tokenizer(o.resume ? o.out : o.tokenizer);

  std::unique_ptr<nn::BertModel> model;
  if (o.resume) {
    model = std::make_unique<nn::BertModel>(nn::load_bert_dir(o.out));
  } else {
    nn::BertConfig fresh;
    if (!nn::bert_config_preset(o.config, fresh))
      invalid_argument("config", o.config, "is not tiny, small or base");
    fresh.vocab_size = tokenizer->vocab_size();
    fresh.max_position_embeddings = std::max(fresh.max_position_embeddings, o.seq_len);
    model = std::make_unique<nn::BertModel>(fresh);
    model->init_weights(o.seed);
  }
  const nn::BertConfig& config = model->config();

  std::uint64_t skipped = 0;
  auto train_examples = read_examples(o.data, o.lines, "", o.corpus, &skipped);
  std::vector<Example> val_examples;
  if (!o.val_data.empty()) {
    val_examples = read_examples(o.val_data, o.lines, "", o.corpus, &skipped);
  } else {  // the last tenth of the training examples
    const std::size_t n_val = train_examples.size() / 10;
    val_examples.assign(train_examples.end() - static_cast<std::ptrdiff_t>(n_val), train_examples.end());
    train_examples.resize(train_examples.size() - n_val);
  }
  if (train_examples.empty()) fail("{}: no training examples", o.data.front());
  if (val_examples.empty()) fail("no validation examples (give validation data or more training data)");
  const auto train = encode_examples(*tokenizer, train_examples, o.seq_len);
  const auto val = encode_examples(*tokenizer, val_examples, o.seq_len);
  nn::check_training_memory(
      nn::bert_training_memory(config, model->parameters().size(), o.batch, train, val, o.mask_prob));

  const std::size_t n_parameters = model->parameters().size();
  if (on_start)
    on_start({.parameters = n_parameters,
              .layers = config.num_hidden_layers,
              .width = config.hidden_size,
              .train_sequences = train.size(),
              .val_sequences = val.size(),
              .batch = o.batch,
              .seq_len = o.seq_len,
              .threads = threads});
  if (o.resume) trainer.resume(o.out, state, n_parameters);
  const auto mask_id = static_cast<std::int32_t>(tokenizer->required_id("[MASK]"));
  const std::int32_t first_random = first_ordinary_id(*tokenizer);
  bool written = o.force || o.resume;
  auto checkpoint = [&](const Trainer& t) {
    AtomicDirectory out(o.out, written);
    nn::save_bert_dir(*model, out.temp_path(), "", {});
    text::write_wordpiece_files(*tokenizer, out.temp_path(), config.max_position_embeddings);
    nn::write_training_files(out.temp_path(), t.optimizer(),
                             t.state("lmkit-mlm-1", portable_paths(options_json(o), o.out)), t.history(),
                             "lmkit mlm train: " + o.out);
    out.commit();
    written = true;
  };
  std::vector<std::int32_t> inputs, targets;
  std::vector<std::size_t> rows(o.batch);
  const TrainResult r = trainer.run(
      trainable(*model),
      [&](std::uint64_t at) {
        std::mt19937_64 rng(mix(o.seed ^ mix(at)));
        for (auto& row : rows) row = static_cast<std::size_t>(rng() % train.size());
        PaddedBatch b = make_batch(train, rows, *tokenizer);
        nn::mask_tokens(b.tokens, b.maskable, o.mask_prob, mask_id, first_random, tokenizer->vocab_size(),
                        rng, inputs, targets);
        return std::pair{model->forward_mlm(inputs.data(), nullptr, b.valid.data(), targets.data(), b.B, b.T),
                         b.B};
      },
      [&] { return validation_loss(*model, val, *tokenizer, o); }, checkpoint);
  return {.out = o.out,
          .step = trainer.step(),
          .steps = o.schedule.steps,
          .train_loss = r.train_loss,
          .val_loss = r.val_loss,
          .sequences_per_second = r.units_per_second,
          .seconds = r.seconds,
          .parameters = n_parameters,
          .skipped = skipped};
}

}  // namespace lmkit::api
