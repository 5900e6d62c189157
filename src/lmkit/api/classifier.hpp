// Sequence classification with a BERT-like encoder — the pooler and a linear layer on the [CLS]
// position's final state (BertForSequenceClassification), trained with cross-entropy — and the
// bag-of-words naive Bayes baseline it is measured against.
//
//   auto classifier = lmkit::api::Classifier::load("kjv-cls");
//   for (const auto& p : classifier->predict({"And Jesus answered"})) fmt::print("{} {}\n", p.label,
//   p.probability);
//
// A Classifier is loaded once; the BERT model keeps its activations in itself, so calls on one
// Classifier are serialized by a lock inside it (load one per thread for parallel prediction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lmkit/api/bert_data.hpp"
#include "lmkit/api/trainer.hpp"
#include "lmkit/nn/bert.hpp"
#include "lmkit/text/wordpiece.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::api {

struct PredictOptions {
  std::size_t seq_len = 64;  // longest sequence with [CLS] and [SEP] (longer texts are cut), >= 3
  std::size_t batch = 32;    // sequences per forward, >= 1
};

struct Prediction {
  std::size_t label_id = 0;          // the most probable label (the lowest id at a tie)
  std::string label;                 // its name
  std::vector<float> probabilities;  // (num_labels): softmax of the logits, in label-id order
  // {"label": label, "probabilities": {name: p, ...}}
  Json to_json(const std::vector<std::string>& labels) const;
};

struct ClassifierEvaluation {
  std::size_t examples = 0;
  double accuracy = 0;
  std::vector<std::string> labels;
  std::vector<std::vector<std::size_t>> confusion;  // (true label, predicted label) counts
  Json to_json() const;                             // {examples, accuracy, labels, confusion}
};

class Classifier {
 public:
  // A classifier directory (config.json with id2label, model.safetensors, the WordPiece files).
  // UsageError when the directory is a BERT model without a classifier.
  static std::shared_ptr<Classifier> load(const std::string& dir);

  const std::vector<std::string>& labels() const { return labels_; }
  const text::WordPieceTokenizer& tokenizer() const { return *tokenizer_; }
  const nn::BertModel& model() const { return model_; }

  std::vector<Prediction> predict(const std::vector<std::string>& texts, const PredictOptions& options = {});
  // (n, num_labels) class probabilities of encoded sequences ([CLS] ... [SEP], encode_examples).
  std::vector<float> probabilities(const std::vector<std::vector<std::int32_t>>& sequences,
                                   std::size_t batch);
  // Accuracy and confusion counts on labelled examples; Error naming `what` for a label the model
  // does not know.
  ClassifierEvaluation evaluate(const std::vector<Example>& examples, const std::string& what,
                                const PredictOptions& options = {});

 private:
  Classifier(nn::BertModel model, std::vector<std::string> labels,
             std::unique_ptr<text::WordPieceTokenizer> t);

  std::mutex mutex_;
  nn::BertModel model_;
  std::vector<std::string> labels_;
  std::unique_ptr<text::WordPieceTokenizer> tokenizer_;
};

// A label budget: train on `examples` of the training examples or on `fraction` of them (at most one
// of the two; 0: all), drawn at random with `seed` and kept in their order — the corpus may be sorted
// (the KJV splits run from Genesis to Revelation), so the first N would not do. InvalidArgument
// ("train_examples", "train_fraction") when the budget cannot be met.
struct LabelBudget {
  std::size_t examples = 0;
  double fraction = 0;
};
void apply_label_budget(std::vector<Example>& examples, const LabelBudget& budget, std::uint64_t seed);

struct ClassifierTrainOptions {
  std::vector<std::string> data, val_data;  // val_data empty: a shuffled tenth of the training examples
  bool lines = false;                       // one example per line of each document
  text::CorpusOptions corpus{};             // how both are read (format, text_field, skip_bad)
  std::string label_field = "label";        // the JSONL field holding the label
  std::string init;                         // a pretrained BERT directory to fine-tune, or
  std::string tokenizer, config = "tiny";   // a WordPiece tokenizer (default: init's) and a size
  std::string out;
  std::size_t epochs = 1, batch = 32, seq_len = 64;
  LabelBudget budget{};
  // steps (one per batch of each epoch) and warmup (a tenth of them) follow from the data
  TrainSchedule schedule{.lr = 2e-4f, .min_lr = 0, .weight_decay = 0.01f, .beta2 = 0.999f};
  std::uint64_t seed = 1;
  bool force = false;  // replace `out` if it exists
  bool quiet = false;  // no progress bar
  std::function<void(const StepReport&)> on_step;
};

// What the run is about to do, reported before the first step.
struct ClassifierTrainPlan {
  std::size_t parameters = 0, train_examples = 0, available_examples = 0, val_examples = 0, threads = 0;
  std::vector<std::string> labels;
};
struct EpochReport {
  std::size_t epoch = 0;  // 1-based
  double train_loss = 0, val_accuracy = 0;
};
struct ClassifierTrainResult {
  std::string out;
  std::vector<std::string> labels;
  std::size_t train_examples = 0;
  std::uint64_t steps = 0;
  double val_accuracy = 0, seconds = 0;
  std::uint64_t skipped = 0;  // bad documents skipped (corpus.skip_bad)
  Json to_json() const;       // {out, labels, train_examples, steps, val_accuracy, seconds, skipped}
};

// Fine-tunes (or trains from scratch) and writes `out` atomically: the classifier directory, its
// tokenizer files and training.json. InvalidArgument naming the field before any data is read.
ClassifierTrainResult train_classifier(ClassifierTrainOptions options,
                                       const std::function<void(const ClassifierTrainPlan&)>& on_start = {},
                                       const std::function<void(const EpochReport&)>& on_epoch = {});

struct BaselineOptions {
  std::vector<std::string> data, test;
  bool lines = false;
  std::string label_field = "label";
  LabelBudget budget{};  // the draw train_classifier makes with the same seed and val_data given
  std::uint64_t seed = 1;
  text::CorpusOptions corpus{};  // how both are read
};
struct BaselineResult {
  std::size_t train_examples = 0, test_examples = 0, vocabulary = 0;
  double accuracy = 0;
  std::string majority_class;  // of the training data: the floor any classifier should beat
  double majority_accuracy = 0;
  Json to_json() const;  // the fields, and "baseline": what it is
};
// Multinomial naive Bayes over BERT's basic words (Laplace smoothing 1), trained on data, tested on test.
BaselineResult naive_bayes_baseline(const BaselineOptions& options);

}  // namespace lmkit::api
