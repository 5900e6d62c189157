#include "lmkit/api/gpt_training.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "lmkit/nn/gpt.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/nn/training.hpp"
#include "lmkit/nn/training_memory.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/text/corpus.hpp"
#include "lmkit/text/parallel_tokenize.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/text/tokenizer_files.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/memory.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::api {

namespace {

// The corpus as one token stream, read through text::CorpusReader and tokenized on all cores.
// Documents are separated by the tokenizer's end-of-text token when it has one, else a blank line. Bad
// documents skipped (skip_bad) are added to `skipped`.
std::vector<std::int32_t> read_tokens(const std::vector<std::string>& paths,
                                      const text::CorpusOptions& corpus_options,
                                      const text::Tokenizer& tokenizer, bool quiet, GptTrainResult& skipped) {
  text::CorpusReader reader(paths, corpus_options);
  std::vector<std::int32_t> tokens;
  std::vector<std::uint32_t> blank_line;
  if (!tokenizer.specials().eos) blank_line = tokenizer.encode("\n\n");
  std::optional<ProgressBar> bar;
  if (!quiet) bar.emplace("read " + paths.front(), reader.total_raw_bytes(), "B");
  text::tokenize_corpus(reader, tokenizer, [&](text::TokenizedBatch& batch) {
    // The stream's growth is the one large allocation (the vector doubles its capacity when full).
    std::uint64_t needed = tokens.size();
    for (const auto& doc : batch.documents) needed += doc.ids.size() + blank_line.size() + 1;
    const std::uint64_t growth =
        needed > tokens.capacity() ? std::max<std::uint64_t>(needed, 2 * tokens.capacity()) : 0;
    allocating(fmt::format("the token stream of {}", fmt::join(paths, ", ")),
               bytes_of(growth, sizeof(std::int32_t)), [&] {
                 for (const auto& doc : batch.documents) {
                   if (!tokens.empty()) {
                     if (auto eos = tokenizer.specials().eos)
                       tokens.push_back(static_cast<std::int32_t>(*eos));
                     else
                       tokens.insert(tokens.end(), blank_line.begin(), blank_line.end());
                   }
                   for (std::uint32_t id : doc.ids) tokens.push_back(static_cast<std::int32_t>(id));
                 }
               });
    if (bar) bar->set(batch.raw_bytes_read);
  });
  if (bar) bar->finish();
  skipped.skipped += reader.skipped();
  const auto& examples = reader.skipped_examples();
  skipped.skipped_examples.insert(skipped.skipped_examples.end(), examples.begin(), examples.end());
  if (tokens.empty()) fail("{}: no text to train on", fmt::join(paths, ", "));
  return tokens;
}

nn::GptConfig make_config(const std::string& spec, std::uint32_t vocab_size) {
  nn::GptConfig config;
  if (!nn::gpt_config_preset(spec, config)) {
    if (!std::filesystem::is_regular_file(spec))
      invalid_argument("config", spec, "neither a built-in size (tiny, small) nor a config file");
    config = nn::gpt_config_from_json(read_json_file(spec), spec);
    if (config.vocab_size != 0 && config.vocab_size < vocab_size)
      fail("{}: vocab_size {} is smaller than the tokenizer's {}", spec, config.vocab_size, vocab_size);
  }
  if (config.vocab_size == 0) config.vocab_size = vocab_size;
  config.validate(spec);
  return config;
}

}  // namespace

GptTrainResult train_gpt(GptTrainOptions o, const std::function<void(const GptTrainPlan&)>& on_start) {
  const bool resuming = o.resume;
  const std::uint64_t until = o.until;
  Json state;
  if (o.out.empty()) invalid_argument("out", "", "names the model directory to write (or to resume)");
  if (resuming) {
    const std::string path = o.out + "/training.json";
    state = read_json_file(path);
    const GptTrainOptions requested = o;
    options_from_json(o, resolved_paths(json_get<Json>(state, "options", path), o.out), path);
    std::set<std::string> given = o.given;
    if (o.steps_given) given.insert("steps");
    apply_resume_changes(o, requested, given, {"tokenizer", "ctx"}, path);
  } else {
    if (o.data.empty()) invalid_argument("data", "", "training needs a corpus");
    if (o.tokenizer.empty()) invalid_argument("tokenizer", "", "training needs a tokenizer");
    if (o.config.empty()) invalid_argument("config", "", "training needs a model size or config file");
    if (std::filesystem::exists(o.out))
      invalid_argument("out", o.out, "already exists; resume it or choose a new directory");
  }
  o.schedule = with_defaults(o.schedule);
  // Before any data is read: the schedule's values, each in its domain.
  Trainer trainer({.schedule = o.schedule,
                   .until = until,
                   .val_every = o.val_every,
                   .checkpoint_every = o.checkpoint_every,
                   .unit = "tok",
                   .label = "train",
                   .quiet = o.quiet,
                   .on_step = o.on_step});
  if (o.batch == 0) invalid_argument("batch", o.batch, "must be at least 1");

  const std::size_t threads = ThreadPool::default_threads();
  tensor::set_gemm_threads(threads);
  // A checkpoint carries its tokenizer's files: resuming reads them there, wherever it was moved.
  const std::string tokenizer_source = resuming && text::directory_has_tokenizer(o.out) ? o.out : o.tokenizer;
  auto tokenizer = text::load_tokenizer(tokenizer_source);
  // The model's shape and the memory the run will need, before the corpus is read or any weights,
  // gradients or activations are allocated (a resumed model's weights are the checkpoint's).
  std::unique_ptr<nn::GptModel> model;
  if (resuming) model = std::make_unique<nn::GptModel>(nn::load_gpt2_dir(o.out).model);
  const nn::GptConfig config = resuming ? model->config() : make_config(o.config, tokenizer->vocab_size());
  if (resuming && o.given.contains("config")) {
    const nn::GptConfig asked = make_config(o.config, tokenizer->vocab_size());
    auto shape = [](const nn::GptConfig& c) {
      return fmt::format("{} layers, {} heads, width {}, n_ctx {}, vocab_size {}, {}, {} positions",
                         c.n_layer, c.n_head, c.n_embd, c.n_ctx, c.vocab_size, nn::to_string(c.norm),
                         nn::to_string(c.position));
    };
    if (shape(asked) != shape(config) || asked.activation != config.activation || asked.tied != config.tied)
      invalid_argument(
          "config", o.config,
          "describes another model ({}) than the checkpoint in {} ({}); a resumed run cannot change "
          "the model",
          shape(asked), o.out, shape(config));
  }
  if (tokenizer->vocab_size() > config.vocab_size)
    fail("the tokenizer's {} ids do not fit the model's vocab_size {}", tokenizer->vocab_size(),
         config.vocab_size);
  if (o.ctx == 0) o.ctx = std::min<std::size_t>(config.n_ctx, 256);
  if (o.ctx > config.n_ctx) invalid_argument("ctx", o.ctx, "exceeds the model's n_ctx {}", config.n_ctx);
  nn::check_training_memory(nn::gpt_training_memory(config, o.batch, o.ctx));
  if (!resuming) {
    model = std::make_unique<nn::GptModel>(config);
    model->init_weights(o.seed);
  }

  GptTrainResult skipped;  // the bad documents skipped while reading
  std::vector<std::int32_t> train_tokens = read_tokens(o.data, o.corpus, *tokenizer, o.quiet, skipped),
                            val_tokens;
  if (!o.val_data.empty()) {
    val_tokens = read_tokens(o.val_data, o.corpus, *tokenizer, o.quiet, skipped);
  } else {
    // Hold out the last tenth of the training stream for validation.
    const std::size_t n_val = train_tokens.size() / 10;
    val_tokens.assign(train_tokens.end() - static_cast<std::ptrdiff_t>(n_val), train_tokens.end());
    train_tokens.resize(train_tokens.size() - n_val);
  }
  if (train_tokens.size() <= o.ctx)
    fail("{}: {} tokens cannot fill one window of ctx = {} tokens", fmt::join(o.data, ", "),
         train_tokens.size(), o.ctx);
  if (val_tokens.size() <= o.ctx)
    fail("validation data: {} tokens cannot fill one window of ctx = {} tokens", val_tokens.size(), o.ctx);

  if (resuming) trainer.resume(o.out, state, model->parameters().size());
  if (on_start)
    on_start({.parameters = config.n_parameters(),
              .layers = config.n_layer,
              .width = config.n_embd,
              .train_tokens = train_tokens.size(),
              .val_tokens = val_tokens.size(),
              .batch = o.batch,
              .ctx = o.ctx,
              .threads = threads});
  bool written = resuming;
  auto checkpoint = [&](const Trainer& t) {
    nn::save_checkpoint(
        o.out, written, *model, t.optimizer(), o.tokenizer,
        t.state("lmkit-train-1", portable_paths(options_json(o), o.out)), t.history(),
        [&](const std::string& temp_dir) { text::copy_tokenizer_files(tokenizer_source, temp_dir); });
    written = true;
  };
  std::vector<std::int32_t> inputs, targets;
  const TrainResult r = trainer.run(
      trainable(*model),
      [&](std::uint64_t at) {
        nn::sample_batch(train_tokens, o.batch, o.ctx, o.seed, at, inputs, targets);
        return std::pair{model->forward(inputs.data(), targets.data(), o.batch, o.ctx), o.batch * o.ctx};
      },
      [&] { return nn::evaluate_loss(*model, val_tokens, o.batch, o.ctx, o.val_batches); }, checkpoint);
  GptTrainResult result{.out = o.out,
                        .step = trainer.step(),
                        .steps = o.schedule.steps,
                        .train_loss = r.train_loss,
                        .val_loss = r.val_loss,
                        .tokens_per_second = r.units_per_second,
                        .parameters = config.n_parameters()};
  result.skipped = skipped.skipped;
  result.skipped_examples = std::move(skipped.skipped_examples);
  return result;
}

}  // namespace lmkit::api
