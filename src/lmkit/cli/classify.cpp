// `lmkit classify`: sequence classification with a BERT-like encoder — the pooler and a linear layer on
// the [CLS] position's final state, trained with cross-entropy — plus the bag-of-words baseline it is
// measured against.
//
//   lmkit classify train --init kjv-bert --data data/kjv/train.jsonl --lines --label-field testament --out
//   kjv-cls lmkit classify eval --model kjv-cls --data data/kjv/test.jsonl --lines --label-field testament
//   lmkit classify predict --model kjv-cls "And Jesus answered"
//   lmkit classify baseline --data data/kjv/train.jsonl --test data/kjv/test.jsonl --lines --label-field
//   testament
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "lmkit/api/trainer.hpp"
#include "lmkit/cli/bert_data.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/bert.hpp"
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

namespace lmkit::cli {

namespace {

struct ClassifyOptions {
  std::vector<std::string> data, val_data, test;
  std::vector<std::string> texts;  // predict: positional texts
  bool lines = false;
  std::string label_field = "label";
  std::string init, tokenizer, config = "tiny", model, out;
  std::size_t epochs = 1, batch = 32, seq_len = 64;
  std::size_t train_examples = 0;  // train, baseline: a label budget of this many examples (0: all)
  double train_fraction = 0;       // or of this fraction of them (0: all)
  float lr = 2e-4f, weight_decay = 0.01f, clip = 1.0f;
  float beta1 = 0.9f, beta2 = 0.999f, adam_eps = 1e-8f;
  std::uint64_t seed = 1;
  bool force = false, json = false;
};

// Labels in first-seen-sorted order, and each example's label id (UsageError naming an unknown one).
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

// Class probabilities (n, L) of every sequence, in batches.
std::vector<float> predict_probabilities(nn::BertModel& model,
                                         const std::vector<std::vector<std::int32_t>>& sequences,
                                         const text::WordPieceTokenizer& tokenizer, std::size_t batch) {
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
  for (std::size_t i = 0; i < labels.size(); ++i) {
    auto row = probs.begin() + static_cast<std::ptrdiff_t>(i * L);
    correct += std::max_element(row, row + static_cast<std::ptrdiff_t>(L)) - row == labels[i];
  }
  return labels.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(labels.size());
}

// A label budget (--train-examples N or --train-fraction F): that many of the training examples,
// drawn at random (seeded by --seed), kept in their original order. The corpus may be sorted (the
// KJV splits run from Genesis to Revelation), so the first N would not do. Without a budget, all.
void apply_label_budget(std::vector<Example>& examples, const ClassifyOptions& o) {
  if (o.train_examples != 0 && o.train_fraction != 0)
    usage_fail("give --train-examples or --train-fraction, not both");
  if (o.train_fraction != 0 && !(o.train_fraction > 0 && o.train_fraction <= 1))
    usage_fail("--train-fraction must be in (0, 1], got {}", o.train_fraction);
  if (o.train_examples > examples.size())
    usage_fail("--train-examples {} exceeds the {} training examples", o.train_examples, examples.size());
  if (o.train_examples == 0 && o.train_fraction == 0) return;
  const std::size_t count =
      o.train_examples != 0
          ? o.train_examples
          : std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(
                                         o.train_fraction * static_cast<double>(examples.size()))));
  std::vector<std::size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.seed * 7919 + 17);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(count);
  std::sort(order.begin(), order.end());
  std::vector<Example> kept;
  kept.reserve(count);
  for (std::size_t i : order) kept.push_back(std::move(examples[i]));
  examples = std::move(kept);
}

struct LoadedClassifier {
  nn::BertModel model;
  std::vector<std::string> labels;
  std::unique_ptr<text::WordPieceTokenizer> tokenizer;
};

LoadedClassifier load_classifier(const std::string& dir) {
  nn::BertDirInfo info = nn::read_bert_config(dir);
  if (info.config.num_labels == 0)
    usage_fail("{}: not a classifier (config.json has no BertForSequenceClassification)", dir);
  info.config.mlm_head = false;  // a classifier directory may carry an MLM head; prediction needs none
  nn::BertModel model(info.config);
  nn::load_bert_weights(model, dir + "/model.safetensors");
  return {std::move(model), info.labels, load_bert_tokenizer(dir)};
}

// ---------------------------------------------------------------------------------------------------
// train

void run_train(ClassifyOptions o) {
  if (o.batch == 0 || o.epochs == 0) usage_fail("--batch and --epochs must be positive");
  // Before any data is read: the learning rate and weight decay in their domains (the steps and
  // warmup follow from the data, which gives at least one step per epoch).
  api::validate({.steps = o.epochs,
                 .warmup = 0,
                 .lr = o.lr,
                 .min_lr = 0,
                 .weight_decay = o.weight_decay,
                 .clip = o.clip,
                 .beta1 = o.beta1,
                 .beta2 = o.beta2,
                 .eps = o.adam_eps});
  if (std::filesystem::exists(o.out) && !o.force)
    usage_fail("--out {} already exists; choose a new directory or pass --force", o.out);
  if (o.init.empty() && o.tokenizer.empty()) usage_fail("give --init (a pretrained encoder) or --tokenizer");
  const std::size_t threads = ThreadPool::default_threads();
  tensor::set_gemm_threads(threads);
  auto train_examples = read_examples(o.data, o.lines, o.label_field);
  std::vector<Example> val_examples;
  if (!o.val_data.empty()) {
    val_examples = read_examples(o.val_data, o.lines, o.label_field);
  } else {
    std::mt19937_64 rng(o.seed);
    std::shuffle(train_examples.begin(), train_examples.end(), rng);
    std::size_t n_val = train_examples.size() / 10;
    val_examples.assign(train_examples.end() - static_cast<std::ptrdiff_t>(n_val), train_examples.end());
    train_examples.resize(train_examples.size() - n_val);
  }
  if (train_examples.empty()) fail("{}: no training examples", o.data.front());
  std::set<std::string> label_set;
  for (const auto& e : train_examples) label_set.insert(e.label);
  std::vector<std::string> labels(label_set.begin(), label_set.end());
  if (labels.size() < 2)
    fail("{}: field \"{}\" has only one value; a classifier needs at least two", o.data.front(),
         o.label_field);
  // A label budget is drawn after the labels are known, so the model has every label of the data.
  const std::size_t available = train_examples.size();
  apply_label_budget(train_examples, o);

  std::unique_ptr<text::WordPieceTokenizer> tokenizer =
      load_bert_tokenizer(o.tokenizer.empty() ? o.init : o.tokenizer);
  nn::BertConfig config;
  if (!o.init.empty()) {
    config = nn::read_bert_config(o.init).config;
  } else if (!nn::bert_config_preset(o.config, config)) {
    usage_fail("--config {} is not tiny, small or base", o.config);
  } else {
    config.vocab_size = tokenizer->vocab_size();
    config.max_position_embeddings = std::max(config.max_position_embeddings, o.seq_len);
  }
  if (tokenizer->vocab_size() > config.vocab_size)
    fail("the tokenizer's {} ids do not fit the model's vocab_size {}", tokenizer->vocab_size(),
         config.vocab_size);
  if (o.seq_len > config.max_position_embeddings)
    usage_fail("--seq-len {} exceeds the model's max_position_embeddings {}", o.seq_len,
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
  const std::size_t total_steps = steps_per_epoch * o.epochs;
  const bool quiet = ProgressBar::quiet() || o.json;
  if (!quiet)
    fmt::print(stderr,
               "Fine-tuning {} parameters ({}) on {} examples{} ({} for validation), labels {}, {} threads\n",
               model.parameters().size(), o.init.empty() ? "from scratch" : "from " + o.init, train.size(),
               train.size() < available ? fmt::format(" of {}", available) : "", val.size(),
               fmt::join(labels, ", "), threads);

  // One step per batch of each epoch's shuffled order; validation (accuracy, and the mean negative
  // log-probability of the right label as the history's validation loss) after each epoch.
  api::Trainer trainer({.schedule = {.steps = total_steps,
                                     .warmup = std::max<std::size_t>(1, total_steps / 10),
                                     .lr = o.lr,
                                     .min_lr = 0,
                                     .weight_decay = o.weight_decay,
                                     .clip = o.clip,
                                     .beta1 = o.beta1,
                                     .beta2 = o.beta2,
                                     .eps = o.adam_eps},
                        .until = 0,
                        .val_every = steps_per_epoch,
                        .checkpoint_every = 0,
                        .unit = "seq",
                        .label = "classify train",
                        .quiet = quiet,
                        .on_step = {}});
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
    if (!quiet)
      fmt::print(stderr, "epoch {}: mean train loss {:.4f}, validation accuracy {:.4f}\n", epoch, mean_loss,
                 val_accuracy);
    return val_labels.empty() ? 0.0f : static_cast<float>(nll / static_cast<double>(val_labels.size()));
  };
  auto save = [&](const api::Trainer&) {
    AtomicDirectory out(o.out, o.force);
    nn::save_bert_dir(model, out.temp_path(), "", labels);
    write_bert_tokenizer_files(*tokenizer, out.temp_path());
    write_json_file(out.file("training.json"), {{"format", "lmkit-classify-1"},
                                                {"init", o.init},
                                                {"data", o.data},
                                                {"label_field", o.label_field},
                                                {"lines", o.lines},
                                                {"train_examples", train.size()},
                                                {"available_examples", available},
                                                {"epochs", epochs},
                                                {"batch", o.batch},
                                                {"seq_len", o.seq_len},
                                                {"lr", o.lr},
                                                {"seed", o.seed}});
    out.commit();
  };
  trainer.run(api::trainable(model), forward, evaluate, save);
  const std::size_t step = trainer.step();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.json)
    fmt::print("{}\n", Json{{"out", o.out},
                            {"labels", labels},
                            {"train_examples", train.size()},
                            {"steps", step},
                            {"val_accuracy", val_accuracy},
                            {"seconds", seconds}}
                           .dump());
  else
    fmt::print("trained {} steps in {:.1f} s: validation accuracy {:.4f}\nmodel: {}\n", step, seconds,
               val_accuracy, o.out);
}

// ---------------------------------------------------------------------------------------------------
// eval, predict

void run_eval(const ClassifyOptions& o) {
  tensor::set_gemm_threads(ThreadPool::default_threads());
  LoadedClassifier c = load_classifier(o.model);
  auto examples = read_examples(o.data, o.lines, o.label_field);
  if (examples.empty()) fail("{}: no examples", o.data.front());
  auto labels = label_ids(examples, c.labels, o.data.front());
  auto probs = predict_probabilities(c.model, encode_examples(*c.tokenizer, examples, o.seq_len),
                                     *c.tokenizer, o.batch);
  const std::size_t L = c.labels.size();
  std::vector<std::vector<std::size_t>> confusion(L, std::vector<std::size_t>(L, 0));  // (true, predicted)
  for (std::size_t i = 0; i < labels.size(); ++i) {
    auto row = probs.begin() + static_cast<std::ptrdiff_t>(i * L);
    confusion[static_cast<std::size_t>(labels[i])]
             [static_cast<std::size_t>(std::max_element(row, row + static_cast<std::ptrdiff_t>(L)) - row)]++;
  }
  double acc = accuracy(probs, labels, L);
  if (o.json) {
    fmt::print("{}\n", Json{{"model", o.model},
                            {"examples", examples.size()},
                            {"accuracy", acc},
                            {"labels", c.labels},
                            {"confusion", confusion}}
                           .dump());
    return;
  }
  fmt::print("accuracy {:.4f} on {} examples\n", acc, examples.size());
  for (std::size_t t = 0; t < L; ++t)
    fmt::print("  true {}: predicted {}\n", c.labels[t], fmt::join(confusion[t], " / "));
}

void run_predict(const ClassifyOptions& o) {
  tensor::set_gemm_threads(ThreadPool::default_threads());
  LoadedClassifier c = load_classifier(o.model);
  std::vector<Example> examples;
  if (!o.data.empty()) examples = read_examples(o.data, o.lines, "");
  for (const auto& t : o.texts) examples.push_back({t, ""});
  if (examples.empty()) usage_fail("give texts to classify, or --data");
  auto probs = predict_probabilities(c.model, encode_examples(*c.tokenizer, examples, o.seq_len),
                                     *c.tokenizer, o.batch);
  const std::size_t L = c.labels.size();
  for (std::size_t i = 0; i < examples.size(); ++i) {
    auto row = probs.begin() + static_cast<std::ptrdiff_t>(i * L);
    auto best = static_cast<std::size_t>(std::max_element(row, row + static_cast<std::ptrdiff_t>(L)) - row);
    Json p = Json::object();
    for (std::size_t l = 0; l < L; ++l) p[c.labels[l]] = row[static_cast<std::ptrdiff_t>(l)];
    fmt::print("{}\n",
               Json{{"label", c.labels[best]}, {"probabilities", p}, {"text", examples[i].text}}.dump());
  }
}

// ---------------------------------------------------------------------------------------------------
// baseline

void run_baseline(const ClassifyOptions& o) {
  text::WordPieceOptions words;  // BERT's basic tokenizer: lowercase, accents stripped, punctuation split
  auto train = read_examples(o.data, o.lines, o.label_field);
  auto test = read_examples(o.test, o.lines, o.label_field);
  if (train.empty() || test.empty()) fail("the baseline needs training and test examples");
  std::set<std::string> label_set;
  for (const auto& e : train) label_set.insert(e.label);
  std::vector<std::string> labels(label_set.begin(), label_set.end());
  if (labels.size() < 2) fail("{}: field \"{}\" has only one value", o.data.front(), o.label_field);
  apply_label_budget(train, o);  // the draw of classify train's with the same --seed and --val-data
  auto train_labels = label_ids(train, labels, "training data");
  auto test_labels = label_ids(test, labels, "test data");
  nn::NaiveBayes nb(labels.size());
  for (std::size_t i = 0; i < train.size(); ++i)
    nb.add(text::bert_basic_tokenize(train[i].text, words), static_cast<std::size_t>(train_labels[i]));
  std::size_t correct = 0;
  for (std::size_t i = 0; i < test.size(); ++i)
    correct += nb.predict(text::bert_basic_tokenize(test[i].text, words)) ==
               static_cast<std::size_t>(test_labels[i]);
  const double acc = static_cast<double>(correct) / static_cast<double>(test.size());
  // The majority class of the training data, the floor any classifier should beat.
  std::vector<std::size_t> counts(labels.size(), 0);
  for (auto l : train_labels) ++counts[static_cast<std::size_t>(l)];
  const auto majority =
      static_cast<std::int32_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  const double majority_acc =
      static_cast<double>(std::count(test_labels.begin(), test_labels.end(), majority)) /
      static_cast<double>(test.size());
  if (o.json) {
    fmt::print("{}\n", Json{{"baseline", "multinomial naive Bayes, bag of words, Laplace smoothing 1"},
                            {"train_examples", train.size()},
                            {"test_examples", test.size()},
                            {"vocabulary", nb.vocabulary_size()},
                            {"accuracy", acc},
                            {"majority_class", labels[static_cast<std::size_t>(majority)]},
                            {"majority_accuracy", majority_acc}}
                           .dump());
    return;
  }
  fmt::print(
      "naive Bayes (bag of words, {} words): accuracy {:.4f} on {} test examples; majority class {} alone: "
      "{:.4f}\n",
      nb.vocabulary_size(), acc, test.size(), labels[static_cast<std::size_t>(majority)], majority_acc);
}

void add_data_options(CLI::App* sub, ClassifyOptions& o, bool labels) {
  sub->add_flag("--lines", o.lines, "One example per line of each document (default: per document)");
  if (labels)
    sub->add_option("--label-field", o.label_field, "The JSONL field holding each document's label")
        ->capture_default_str();
  sub->add_option("--batch", o.batch, "Sequences per batch")->capture_default_str();
  sub->add_option("--seq-len", o.seq_len, "Longest sequence, with [CLS] and [SEP] (longer ones are cut)")
      ->capture_default_str();
  sub->add_flag("--json", o.json, "Print one JSON document");
}

void add_budget_options(CLI::App* sub, ClassifyOptions& o) {
  sub->add_option("--train-examples", o.train_examples,
                  "Label budget: train on this many of the training examples, drawn at random (--seed)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--train-fraction", o.train_fraction,
                  "Label budget: train on this fraction (0, 1] of the training examples, drawn at random")
      ->check(CLI::PositiveNumber);
}

const bool registered = register_command("classify", [](CLI::App& app) {
  auto o = std::make_shared<ClassifyOptions>();
  auto* group = app.add_subcommand("classify", "Sequence classification with a BERT-like encoder");
  group->require_subcommand(1);

  auto* train = group->add_subcommand("train", "Fine-tune a classifier on the [CLS] state (cross-entropy)");
  train->add_option("--data", o->data, "Training corpus (.jsonl with text and label fields)")->required();
  train->add_option("--val-data", o->val_data,
                    "Validation corpus (default: a tenth of the training examples)");
  train->add_option("--init", o->init, "A pretrained BERT directory (lmkit mlm train, or Hugging Face)");
  train->add_option("--tokenizer", o->tokenizer, "WordPiece tokenizer (default: the one in --init)");
  train->add_option("--config", o->config, "Without --init: model size tiny, small or base")
      ->capture_default_str();
  train->add_option("--out", o->out, "Model directory to write")->required();
  train->add_option("--epochs", o->epochs, "Passes over the training examples")->capture_default_str();
  add_budget_options(train, *o);
  train->add_option("--lr", o->lr, "Peak learning rate (warmup a tenth, then cosine decay)")
      ->capture_default_str();
  train->add_option("--weight-decay", o->weight_decay, "AdamW weight decay on matrices")
      ->capture_default_str();
  train->add_option("--beta1", o->beta1, "AdamW's first-moment decay")->capture_default_str();
  train->add_option("--beta2", o->beta2, "AdamW's second-moment decay")->capture_default_str();
  train->add_option("--adam-eps", o->adam_eps, "AdamW's epsilon")->capture_default_str();
  train->add_option("--seed", o->seed, "Seed for the new heads and the order of examples")
      ->capture_default_str();
  train->add_flag("--force", o->force, "Replace --out if it exists");
  add_data_options(train, *o, true);
  train->callback([o] { run_train(*o); });

  auto* eval =
      group->add_subcommand("eval", "Accuracy and confusion counts of a classifier on labelled data");
  eval->add_option("--model", o->model, "Classifier directory")->required();
  eval->add_option("--data", o->data, "Labelled corpus")->required();
  add_data_options(eval, *o, true);
  eval->callback([o] { run_eval(*o); });

  auto* predict =
      group->add_subcommand("predict", "Label texts: one JSON line each (label, probabilities, text)");
  predict->add_option("--model", o->model, "Classifier directory")->required();
  predict->add_option("--data", o->data, "Corpus to label");
  predict->add_option("texts", o->texts, "Texts to label");
  add_data_options(predict, *o, false);
  predict->callback([o] { run_predict(*o); });

  auto* baseline =
      group->add_subcommand("baseline", "Multinomial naive Bayes over bags of words, for comparison");
  baseline->add_option("--data", o->data, "Training corpus")->required();
  baseline->add_option("--test", o->test, "Test corpus")->required();
  add_budget_options(baseline, *o);
  baseline->add_option("--seed", o->seed, "Seed of the label budget's draw")->capture_default_str();
  add_data_options(baseline, *o, true);
  baseline->callback([o] { run_baseline(*o); });
});

}  // namespace

}  // namespace lmkit::cli
