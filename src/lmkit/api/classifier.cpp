#include "lmkit/api/classifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "lmkit/nn/hf_bert.hpp"
#include "lmkit/nn/naive_bayes.hpp"
#include "lmkit/nn/training_memory.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/tensor/ops.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::api {

namespace {

// Each example's label id among `labels` (Error naming `what` and an unknown label).
std::vector<std::int32_t> label_ids(const std::vector<Example>& examples,
                                    const std::vector<std::string>& labels, const std::string& what) {
  std::map<std::string, std::int32_t> ids;
  for (std::size_t i = 0; i < labels.size(); ++i) ids[labels[i]] = static_cast<std::int32_t>(i);
  std::vector<std::int32_t> out;
  for (const auto& e : examples) {
    auto it = ids.find(e.label);
    if (it == ids.end()) fail("{}: label \"{}\" is not one the model knows", what, e.label);
    out.push_back(it->second);
  }
  return out;
}

// The labels of `examples`, sorted; Error unless there are at least two.
std::vector<std::string> labels_of(const std::vector<Example>& examples, const std::string& path,
                                   const std::string& field) {
  std::set<std::string> label_set;
  for (const auto& e : examples) label_set.insert(e.label);
  if (label_set.size() < 2)
    fail("{}: field \"{}\" has only one value; a classifier needs at least two", path, field);
  return {label_set.begin(), label_set.end()};
}

std::size_t argmax(const float* row, std::size_t n) {
  return static_cast<std::size_t>(std::max_element(row, row + n) - row);
}

// Class probabilities (n, L) of every sequence, in batches.
std::vector<float> predict_probabilities(nn::BertModel& model,
                                         const std::vector<std::vector<std::int32_t>>& sequences,
                                         const text::WordPieceTokenizer& tokenizer, std::size_t batch) {
  if (batch == 0) invalid_argument("batch", batch, "must be at least 1");
  const std::size_t L = model.config().num_labels;
  std::vector<float> probs(sequences.size() * L);
  ProgressBar bar("classify", sequences.size(), "seqs");
  for (std::size_t first = 0; first < sequences.size(); first += batch) {
    std::vector<std::size_t> rows(std::min(batch, sequences.size() - first));
    std::iota(rows.begin(), rows.end(), first);
    PaddedBatch b = make_batch(sequences, rows, tokenizer);
    model.forward_classify(b.tokens.data(), nullptr, b.valid.data(), nullptr, b.B, b.T);
    auto logits = model.class_logits();
    std::copy(logits.begin(), logits.end(), probs.begin() + static_cast<std::ptrdiff_t>(first * L));
    bar.set(first + rows.size());
  }
  tensor::softmax_rows(probs.data(), sequences.size(), L);
  bar.finish();
  return probs;
}

double accuracy(const std::vector<float>& probs, const std::vector<std::int32_t>& labels, std::size_t L) {
  std::size_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i)
    correct += argmax(probs.data() + i * L, L) == static_cast<std::size_t>(labels[i]);
  return labels.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(labels.size());
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Classifier

Json Prediction::to_json(const std::vector<std::string>& labels) const {
  Json p = Json::object();
  for (std::size_t l = 0; l < labels.size() && l < probabilities.size(); ++l) p[labels[l]] = probabilities[l];
  return {{"label", label}, {"probabilities", p}};
}

Json ClassifierEvaluation::to_json() const {
  return {{"examples", examples}, {"accuracy", accuracy}, {"labels", labels}, {"confusion", confusion}};
}

Json ClassifierTrainResult::to_json() const {
  return {{"out", out},
          {"labels", labels},
          {"train_examples", train_examples},
          {"steps", steps},
          {"val_accuracy", val_accuracy},
          {"seconds", seconds},
          {"skipped", skipped}};
}

Json BaselineResult::to_json() const {
  return {{"baseline", "multinomial naive Bayes, bag of words, Laplace smoothing 1"},
          {"train_examples", train_examples},
          {"test_examples", test_examples},
          {"vocabulary", vocabulary},
          {"accuracy", accuracy},
          {"majority_class", majority_class},
          {"majority_accuracy", majority_accuracy}};
}

Classifier::Classifier(nn::BertModel model, std::vector<std::string> labels,
                       std::unique_ptr<text::WordPieceTokenizer> tokenizer)
    : model_(std::move(model)), labels_(std::move(labels)), tokenizer_(std::move(tokenizer)) {}

std::shared_ptr<Classifier> Classifier::load(const std::string& dir) {
  nn::BertDirInfo info = nn::read_bert_config(dir);
  if (info.config.num_labels == 0)
    usage_fail("{}: not a classifier (config.json has no BertForSequenceClassification)", dir);
  info.config.mlm_head = false;  // a classifier directory may carry an MLM head; prediction needs none
  nn::BertModel model(info.config);
  nn::load_bert_weights(model, dir + "/model.safetensors");
  return std::shared_ptr<Classifier>(new Classifier(std::move(model), info.labels, load_bert_tokenizer(dir)));
}

std::vector<float> Classifier::probabilities(const std::vector<std::vector<std::int32_t>>& sequences,
                                             std::size_t batch) {
  std::lock_guard lock(mutex_);
  return predict_probabilities(model_, sequences, *tokenizer_, batch);
}

std::vector<Prediction> Classifier::predict(const std::vector<std::string>& texts,
                                            const PredictOptions& options) {
  std::vector<Example> examples;
  examples.reserve(texts.size());
  for (const auto& t : texts) examples.push_back({t, ""});
  const std::vector<float> probs =
      probabilities(encode_examples(*tokenizer_, examples, options.seq_len), options.batch);
  const std::size_t L = labels_.size();
  std::vector<Prediction> out(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    out[i].probabilities.assign(probs.begin() + static_cast<std::ptrdiff_t>(i * L),
                                probs.begin() + static_cast<std::ptrdiff_t>((i + 1) * L));
    out[i].label_id = argmax(out[i].probabilities.data(), L);
    out[i].label = labels_[out[i].label_id];
  }
  return out;
}

ClassifierEvaluation Classifier::evaluate(const std::vector<Example>& examples, const std::string& what,
                                          const PredictOptions& options) {
  if (examples.empty()) fail("{}: no examples", what);
  const auto labels = label_ids(examples, labels_, what);
  const auto probs = probabilities(encode_examples(*tokenizer_, examples, options.seq_len), options.batch);
  const std::size_t L = labels_.size();
  ClassifierEvaluation e{
      .examples = examples.size(),
      .accuracy = accuracy(probs, labels, L),
      .labels = labels_,
      .confusion = std::vector<std::vector<std::size_t>>(L, std::vector<std::size_t>(L, 0))};
  for (std::size_t i = 0; i < labels.size(); ++i)
    ++e.confusion[static_cast<std::size_t>(labels[i])][argmax(probs.data() + i * L, L)];
  return e;
}

// ---------------------------------------------------------------------------------------------------
// Training

void apply_label_budget(std::vector<Example>& examples, const LabelBudget& budget, std::uint64_t seed) {
  if (budget.examples != 0 && budget.fraction != 0)
    invalid_argument("train_fraction", budget.fraction, "give a number of examples or a fraction, not both");
  if (budget.fraction != 0 && !(budget.fraction > 0 && budget.fraction <= 1))
    invalid_argument("train_fraction", budget.fraction, "must be in (0, 1]");
  if (budget.examples > examples.size())
    invalid_argument("train_examples", budget.examples, "exceeds the {} training examples", examples.size());
  if (budget.examples == 0 && budget.fraction == 0) return;
  const std::size_t count =
      budget.examples != 0
          ? budget.examples
          : std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(
                                         budget.fraction * static_cast<double>(examples.size()))));
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed * 7919 + 17);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(count);
  std::sort(order.begin(), order.end());
  std::vector<Example> kept;
  kept.reserve(count);
  for (std::size_t i : order) kept.push_back(std::move(examples[i]));
  examples = std::move(kept);
}

ClassifierTrainResult train_classifier(ClassifierTrainOptions o,
                                       const std::function<void(const ClassifierTrainPlan&)>& on_start,
                                       const std::function<void(const EpochReport&)>& on_epoch) {
  if (o.batch == 0) invalid_argument("batch", o.batch, "must be at least 1");
  if (o.epochs == 0) invalid_argument("epochs", o.epochs, "must be at least 1");
  // Before any data is read: the learning rate and weight decay in their domains (the steps and
  // warmup follow from the data, which gives at least one step per epoch).
  o.schedule.steps = o.epochs;
  o.schedule.warmup = 0;
  validate(o.schedule);
  if (o.out.empty()) invalid_argument("out", "", "names the classifier directory to write");
  if (std::filesystem::exists(o.out) && !o.force)
    invalid_argument("out", o.out, "already exists; choose a new directory or replace it (force)");
  if (o.init.empty() && o.tokenizer.empty())
    invalid_argument("init", "", "give a pretrained encoder, or a tokenizer to train from scratch");
  const std::size_t threads = ThreadPool::default_threads();
  tensor::set_gemm_threads(threads);
  std::uint64_t skipped = 0;
  auto train_examples = read_examples(o.data, o.lines, o.label_field, o.corpus, &skipped);
  std::vector<Example> val_examples;
  if (!o.val_data.empty()) {
    val_examples = read_examples(o.val_data, o.lines, o.label_field, o.corpus, &skipped);
  } else {
    std::mt19937_64 rng(o.seed);
    std::shuffle(train_examples.begin(), train_examples.end(), rng);
    const std::size_t n_val = train_examples.size() / 10;
    val_examples.assign(train_examples.end() - static_cast<std::ptrdiff_t>(n_val), train_examples.end());
    train_examples.resize(train_examples.size() - n_val);
  }
  if (train_examples.empty()) fail("{}: no training examples", o.data.front());
  const std::vector<std::string> labels = labels_of(train_examples, o.data.front(), o.label_field);
  // A label budget is drawn after the labels are known, so the model has every label of the data.
  const std::size_t available = train_examples.size();
  apply_label_budget(train_examples, o.budget, o.seed);

  std::unique_ptr<text::WordPieceTokenizer> tokenizer =
      load_bert_tokenizer(o.tokenizer.empty() ? o.init : o.tokenizer);
  nn::BertConfig config;
  if (!o.init.empty()) {
    config = nn::read_bert_config(o.init).config;
  } else if (!nn::bert_config_preset(o.config, config)) {
    invalid_argument("config", o.config, "is not tiny, small or base");
  } else {
    config.vocab_size = tokenizer->vocab_size();
    config.max_position_embeddings = std::max(config.max_position_embeddings, o.seq_len);
  }
  if (tokenizer->vocab_size() > config.vocab_size)
    fail("the tokenizer's {} ids do not fit the model's vocab_size {}", tokenizer->vocab_size(),
         config.vocab_size);
  if (o.seq_len > config.max_position_embeddings)
    invalid_argument("seq_len", o.seq_len, "exceeds the model's max_position_embeddings {}",
                     config.max_position_embeddings);
  config.mlm_head = false;
  config.num_labels = labels.size();
  nn::BertModel model(config);
  model.init_weights(o.seed);
  if (!o.init.empty()) nn::load_bert_weights(model, o.init + "/model.safetensors", true);

  const auto train = encode_examples(*tokenizer, train_examples, o.seq_len);
  const auto val = encode_examples(*tokenizer, val_examples, o.seq_len);
  nn::check_training_memory(nn::bert_training_memory(config, model.parameters().size(),
                                                     std::min(o.batch, std::max(train.size(), val.size())),
                                                     train, val, 0));
  const auto train_labels = label_ids(train_examples, labels, "training data");
  const auto val_labels = label_ids(val_examples, labels, "validation data");
  const std::size_t steps_per_epoch = (train.size() + o.batch - 1) / o.batch;
  o.schedule.steps = steps_per_epoch * o.epochs;
  o.schedule.warmup = std::max<std::size_t>(1, o.schedule.steps / 10);
  if (on_start)
    on_start({.parameters = model.parameters().size(),
              .train_examples = train.size(),
              .available_examples = available,
              .val_examples = val.size(),
              .threads = threads,
              .labels = labels});

  // One step per batch of each epoch's shuffled order; validation (accuracy, and the mean negative
  // log-probability of the right label as the history's validation loss) after each epoch.
  Trainer trainer({.schedule = o.schedule,
                   .until = 0,
                   .val_every = steps_per_epoch,
                   .checkpoint_every = 0,
                   .unit = "seq",
                   .label = "classify train",
                   .quiet = o.quiet,
                   .on_step = o.on_step});
  std::vector<Json> epochs;
  std::vector<std::size_t> order(train.size());
  double val_accuracy = 0, loss_sum = 0;
  const auto start = std::chrono::steady_clock::now();
  auto forward = [&](std::uint64_t step) {
    const std::size_t s = step % steps_per_epoch;
    if (s == 0) {  // a new epoch: a new order, seeded by the epoch
      std::iota(order.begin(), order.end(), 0);
      std::mt19937_64 rng(o.seed * 1000003 + step / steps_per_epoch);
      std::shuffle(order.begin(), order.end(), rng);
      loss_sum = 0;
    }
    std::vector<std::size_t> rows(
        order.begin() + static_cast<std::ptrdiff_t>(s * o.batch),
        order.begin() + static_cast<std::ptrdiff_t>(std::min(train.size(), (s + 1) * o.batch)));
    PaddedBatch b = make_batch(train, rows, *tokenizer);
    std::vector<std::int32_t> batch_labels(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) batch_labels[i] = train_labels[rows[i]];
    const float loss =
        model.forward_classify(b.tokens.data(), nullptr, b.valid.data(), batch_labels.data(), b.B, b.T);
    loss_sum += loss;
    return std::pair{loss, rows.size()};
  };
  auto evaluate = [&] {
    const std::vector<float> probs = predict_probabilities(model, val, *tokenizer, o.batch);
    val_accuracy = accuracy(probs, val_labels, labels.size());
    double nll = 0;
    for (std::size_t i = 0; i < val_labels.size(); ++i)
      nll -= std::log(std::max(probs[i * labels.size() + static_cast<std::size_t>(val_labels[i])], 1e-30f));
    const std::size_t epoch = epochs.size() + 1;
    const double mean_loss = loss_sum / static_cast<double>(steps_per_epoch);
    epochs.push_back({{"epoch", epoch}, {"train_loss", mean_loss}, {"val_accuracy", val_accuracy}});
    if (on_epoch) on_epoch({.epoch = epoch, .train_loss = mean_loss, .val_accuracy = val_accuracy});
    return val_labels.empty() ? 0.0f : static_cast<float>(nll / static_cast<double>(val_labels.size()));
  };
  auto save = [&](const Trainer&) {
    AtomicDirectory out(o.out, o.force);
    nn::save_bert_dir(model, out.temp_path(), "", labels);
    text::write_wordpiece_files(*tokenizer, out.temp_path(), config.max_position_embeddings);
    write_json_file(out.file("training.json"), {{"format", "lmkit-classify-1"},
                                                {"init", o.init},
                                                {"data", o.data},
                                                {"label_field", o.label_field},
                                                {"lines", o.lines},
                                                {"corpus", o.corpus},
                                                {"train_examples", train.size()},
                                                {"available_examples", available},
                                                {"epochs", epochs},
                                                {"batch", o.batch},
                                                {"seq_len", o.seq_len},
                                                {"lr", o.schedule.lr},
                                                {"seed", o.seed}});
    out.commit();
  };
  trainer.run(trainable(model), forward, evaluate, save);
  return {.out = o.out,
          .labels = labels,
          .train_examples = train.size(),
          .steps = trainer.step(),
          .val_accuracy = val_accuracy,
          .seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          .skipped = skipped};
}

// ---------------------------------------------------------------------------------------------------
// Baseline

BaselineResult naive_bayes_baseline(const BaselineOptions& o) {
  const text::WordPieceOptions
      words;  // BERT's basic tokenizer: lowercase, accents stripped, punctuation split
  auto train = read_examples(o.data, o.lines, o.label_field, o.corpus);
  auto test = read_examples(o.test, o.lines, o.label_field, o.corpus);
  if (train.empty() || test.empty()) fail("the baseline needs training and test examples");
  const std::vector<std::string> labels = labels_of(train, o.data.front(), o.label_field);
  apply_label_budget(train, o.budget, o.seed);
  const auto train_labels = label_ids(train, labels, "training data");
  const auto test_labels = label_ids(test, labels, "test data");
  nn::NaiveBayes nb(labels.size());
  for (std::size_t i = 0; i < train.size(); ++i)
    nb.add(text::bert_basic_tokenize(train[i].text, words), static_cast<std::size_t>(train_labels[i]));
  std::size_t correct = 0;
  for (std::size_t i = 0; i < test.size(); ++i)
    correct += nb.predict(text::bert_basic_tokenize(test[i].text, words)) ==
               static_cast<std::size_t>(test_labels[i]);
  std::vector<std::size_t> counts(labels.size(), 0);
  for (auto l : train_labels) ++counts[static_cast<std::size_t>(l)];
  const auto majority =
      static_cast<std::int32_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  const auto n_test = static_cast<double>(test.size());
  return {.train_examples = train.size(),
          .test_examples = test.size(),
          .vocabulary = nb.vocabulary_size(),
          .accuracy = static_cast<double>(correct) / n_test,
          .majority_class = labels[static_cast<std::size_t>(majority)],
          .majority_accuracy =
              static_cast<double>(std::count(test_labels.begin(), test_labels.end(), majority)) / n_test};
}

}  // namespace lmkit::api
