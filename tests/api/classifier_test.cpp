#include "lmkit/api/classifier.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "bert_fixtures.hpp"
#include "lmkit/util/error.hpp"
#include "support/temp_dir.hpp"

namespace lmkit::api {
namespace {

// The oracle: each text alone through the model's classification forward, softmax in doubles.
std::vector<double> direct_probabilities(nn::BertModel& model, const std::string& text) {
  const std::vector<std::int32_t> ids = testing::fixture_ids(text);
  model.forward_classify(ids.data(), nullptr, nullptr, nullptr, 1, ids.size());
  const auto logits = model.class_logits();
  double max = logits[0], sum = 0;
  for (float l : logits) max = std::max(max, static_cast<double>(l));
  std::vector<double> p;
  for (float l : logits) sum += std::exp(l - max);
  for (float l : logits) p.push_back(std::exp(l - max) / sum);
  return p;
}

TEST(Classifier, PredictionsOfABatchAreEachTextsAlone) {
  lmkit::testing::TempDir tmp;
  const std::string dir = (tmp.path / "cls").string();
  testing::write_bert_dir(dir, {"law", "prophets", "gospel"}, 11);
  nn::BertModel oracle = nn::load_bert_dir(dir);
  auto classifier = Classifier::load(dir);
  EXPECT_EQ(classifier->labels(), (std::vector<std::string>{"law", "prophets", "gospel"}));
  const std::vector<std::string> texts = {"In the beginning", "and god said let there be light .", "a b c"};
  const auto predictions = classifier->predict(texts, {.seq_len = 64, .batch = 2});
  ASSERT_EQ(predictions.size(), texts.size());
  std::vector<Example> labelled;
  std::vector<std::vector<std::size_t>> confusion(3, std::vector<std::size_t>(3, 0));
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::vector<double> expected = direct_probabilities(oracle, texts[i]);
    ASSERT_EQ(predictions[i].probabilities.size(), 3u);
    std::size_t best = 0;
    for (std::size_t l = 0; l < 3; ++l) {
      EXPECT_NEAR(predictions[i].probabilities[l], expected[l], 1e-5) << texts[i];
      if (expected[l] > expected[best]) best = l;
    }
    EXPECT_EQ(predictions[i].label_id, best);
    EXPECT_EQ(predictions[i].label, classifier->labels()[best]);
    // Label every text "law": the confusion row of "law" counts the predictions.
    labelled.push_back({texts[i], "law"});
    ++confusion[0][best];
  }
  const ClassifierEvaluation e = classifier->evaluate(labelled, "test", {.seq_len = 64, .batch = 3});
  EXPECT_EQ(e.examples, 3u);
  EXPECT_EQ(e.confusion, confusion);
  EXPECT_DOUBLE_EQ(e.accuracy, static_cast<double>(confusion[0][0]) / 3.0);
  EXPECT_THROW(classifier->evaluate({{"god", "psalms"}}, "test"), Error);  // a label the model lacks
}

TEST(Classifier, AnEncoderWithoutAClassifierIsRefused) {
  lmkit::testing::TempDir tmp;
  const std::string dir = (tmp.path / "bert").string();
  testing::write_bert_dir(dir);
  EXPECT_THROW(Classifier::load(dir), UsageError);
}

TEST(LabelBudget, KeepsARandomSubsetInOrder) {
  std::vector<Example> all;
  for (int i = 0; i < 10; ++i) all.push_back({std::to_string(i), i % 2 ? "odd" : "even"});
  std::vector<Example> kept = all;
  apply_label_budget(kept, {.examples = 4}, 3);
  ASSERT_EQ(kept.size(), 4u);
  for (std::size_t i = 1; i < kept.size(); ++i)
    EXPECT_LT(std::stoi(kept[i - 1].text), std::stoi(kept[i].text));
  std::vector<Example> again = all;
  apply_label_budget(again, {.examples = 4}, 3);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(again[i].text, kept[i].text);  // the seed decides
  kept = all;
  apply_label_budget(kept, {.fraction = 0.25}, 3);
  EXPECT_EQ(kept.size(), 3u);  // round(2.5)
  kept = all;
  apply_label_budget(kept, {}, 3);
  EXPECT_EQ(kept.size(), 10u);
  auto field_of = [&](LabelBudget b) -> std::string {
    std::vector<Example> e = all;
    try {
      apply_label_budget(e, b, 1);
    } catch (const InvalidArgument& error) {
      return error.field();
    }
    return "";
  };
  EXPECT_EQ(field_of({.examples = 11}), "train_examples");
  EXPECT_EQ(field_of({.fraction = 1.5}), "train_fraction");
  EXPECT_EQ(field_of({.examples = 2, .fraction = 0.5}), "train_fraction");
}

std::string write_corpus(const std::filesystem::path& path,
                         const std::vector<std::pair<std::string, std::string>>& rows) {
  std::ofstream out(path);
  for (const auto& [text, label] : rows)
    out << "{\"text\": \"" << text << "\", \"label\": \"" << label << "\"}\n";
  return path.string();
}

TEST(TrainClassifier, TrainsAndWritesADirectoryThatPredicts) {
  lmkit::testing::TempDir tmp;
  const std::string tokenizer_dir = (tmp.path / "wp").string();
  testing::write_bert_dir(tokenizer_dir);
  std::vector<std::pair<std::string, std::string>> rows;
  for (int i = 0; i < 12; ++i)
    rows.push_back({i % 2 ? "god created the heaven" : "let there be light", i % 2 ? "a" : "b"});
  ClassifierTrainOptions o;
  o.data = {write_corpus(tmp.path / "train.jsonl", rows)};
  o.val_data = {write_corpus(tmp.path / "val.jsonl", {{"god created", "a"}, {"let there be", "b"}})};
  o.tokenizer = tokenizer_dir;
  o.out = (tmp.path / "cls").string();
  o.epochs = 2;
  o.batch = 5;
  o.quiet = true;
  o.on_step = [](const StepReport&) {};
  std::size_t epochs = 0;
  const ClassifierTrainResult r = train_classifier(o, {}, [&](const EpochReport& e) { epochs = e.epoch; });
  EXPECT_EQ(r.labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.train_examples, 12u);
  EXPECT_EQ(r.steps, 6u);  // ceil(12 / 5) per epoch, two epochs
  EXPECT_EQ(epochs, 2u);
  auto classifier = Classifier::load(o.out);
  EXPECT_EQ(classifier->labels(), r.labels);
  EXPECT_EQ(classifier->predict({"god"}).size(), 1u);
  // Refusals before any data is read.
  ClassifierTrainOptions bad = o;
  bad.schedule.lr = std::nanf("");
  try {
    train_classifier(bad);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "lr");
  }
  bad = o;
  try {
    train_classifier(bad);  // `out` exists now
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "out");
  }
}

TEST(NaiveBayesBaseline, SeparableWordsAreLearnedAndTheMajorityIsNamed) {
  lmkit::testing::TempDir tmp;
  const std::string train = write_corpus(
      tmp.path / "train.jsonl", {{"apple apple", "fruit"}, {"pear apple", "fruit"}, {"carrot", "root"}});
  const std::string test =
      write_corpus(tmp.path / "test.jsonl", {{"apple", "fruit"}, {"carrot carrot", "root"}});
  const BaselineResult r = naive_bayes_baseline({.data = {train}, .test = {test}});
  EXPECT_EQ(r.train_examples, 3u);
  EXPECT_EQ(r.test_examples, 2u);
  EXPECT_EQ(r.vocabulary, 3u);  // apple, pear, carrot
  EXPECT_DOUBLE_EQ(r.accuracy, 1.0);
  EXPECT_EQ(r.majority_class, "fruit");
  EXPECT_DOUBLE_EQ(r.majority_accuracy, 0.5);
}

}  // namespace
}  // namespace lmkit::api
