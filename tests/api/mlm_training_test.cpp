#include "lmkit/api/mlm_training.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>

#include "bert_fixtures.hpp"
#include "lmkit/api/bert_data.hpp"
#include "lmkit/api/encoder.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "support/temp_dir.hpp"

namespace lmkit::api {
namespace {

MlmTrainOptions tiny_run(const lmkit::testing::TempDir& tmp, const std::string& out) {
  const std::filesystem::path corpus = tmp.path / "corpus.txt", wp = tmp.path / "wp";
  if (!std::filesystem::exists(corpus)) {
    std::ofstream f(corpus);
    for (int i = 0; i < 20; ++i)
      f << "in the beginning god created the heaven and the earth .\nlet there be light\n";
    testing::write_bert_dir(wp.string());
  }
  MlmTrainOptions o;
  o.data = {corpus.string()};
  o.lines = true;
  o.tokenizer = wp.string();
  o.out = (tmp.path / out).string();
  o.schedule.steps = 4;
  o.batch = 4;
  o.seq_len = 16;
  o.val_every = 2;
  o.val_batches = 1;
  o.steps_given = true;
  o.on_step = [](const StepReport&) {};
  return o;
}

TEST(TrainMlm, ResumingAnInterruptedRunEndsWithTheSameWeights) {
  lmkit::testing::TempDir tmp;
  const MlmTrainResult whole = train_mlm(tiny_run(tmp, "whole"));
  EXPECT_EQ(whole.step, 4u);
  ASSERT_TRUE(whole.val_loss.has_value());
  MlmTrainOptions part = tiny_run(tmp, "part");
  part.until = 2;
  EXPECT_EQ(train_mlm(part).step, 2u);
  MlmTrainOptions rest;
  rest.out = part.out;
  rest.resume = true;
  rest.on_step = [](const StepReport&) {};
  const MlmTrainResult resumed = train_mlm(rest);
  EXPECT_EQ(resumed.step, 4u);
  EXPECT_EQ(resumed.train_loss, whole.train_loss);
  const nn::BertModel a = nn::load_bert_dir(whole.out), b = nn::load_bert_dir(resumed.out);
  ASSERT_EQ(a.parameters().size(), b.parameters().size());
  EXPECT_EQ(std::memcmp(a.parameters().data(), b.parameters().data(), a.parameters().size() * sizeof(float)),
            0);
  // The directory carries its tokenizer and embeds.
  EXPECT_EQ(Encoder::load(whole.out)->embed({"god created"})[0].size(), 64u);
}

// training.json records the corpus relative to the checkpoint: moved together, they resume from anywhere.
TEST(TrainMlm, ACheckpointMovedWithItsDataResumes) {
  lmkit::testing::TempDir tmp;
  MlmTrainOptions part = tiny_run(tmp, "part");
  part.until = 2;
  ASSERT_EQ(train_mlm(part).step, 2u);
  EXPECT_EQ(read_json_file(part.out + "/training.json")["options"]["data"], Json::array({"../corpus.txt"}));
  namespace fs = std::filesystem;
  fs::create_directories(tmp.path / "moved");
  fs::rename(tmp.path / "part", tmp.path / "moved" / "part");
  fs::rename(tmp.path / "corpus.txt", tmp.path / "moved" / "corpus.txt");
  MlmTrainOptions rest;
  rest.out = (tmp.path / "moved" / "part").string();
  rest.resume = true;
  rest.on_step = [](const StepReport&) {};
  EXPECT_EQ(train_mlm(rest).step, 4u);
}

TEST(TrainMlm, ResumingWithOtherOptionsNamesEachDifference) {
  lmkit::testing::TempDir tmp;
  MlmTrainOptions part = tiny_run(tmp, "part");
  part.until = 2;
  train_mlm(part);
  auto resume = [&](const std::function<void(MlmTrainOptions&)>& change) {
    MlmTrainOptions o;
    o.out = part.out;
    o.resume = true;
    o.on_step = [](const StepReport&) {};
    change(o);
    return o;
  };
  try {
    train_mlm(resume([](MlmTrainOptions& o) {
      o.config = "small", o.seq_len = 32;
      o.given = {"config", "seq_len"};
    }));
    FAIL() << "a resumed run changed its model and sequence length";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "config");  // in saved order: config before seq_len
    EXPECT_NE(
        std::string(e.problem())
            .find("config \"small\" (the checkpoint's is \"tiny\"), seq_len 32 (the checkpoint's is 16)"),
        std::string::npos)
        << e.what();
  }
  std::vector<std::string> warnings;
  const WarningHandler previous = set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  const MlmTrainResult r = train_mlm(resume([](MlmTrainOptions& o) {
    o.seq_len = 16, o.val_every = 1, o.corpus.skip_bad = true;
    o.given = {"seq_len", "val_every", "corpus"};
  }));
  set_warning_handler(previous);
  EXPECT_EQ(r.step, 4u);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("part/training.json: val_every was 2; continuing with 1"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("part/training.json: corpus was"), std::string::npos) << warnings[1];
  EXPECT_TRUE(read_json_file(part.out + "/training.json")["options"]["corpus"]["skip_bad"].get<bool>());
}

// Labelled examples read with skip_bad: a document without the label is skipped and counted.
TEST(ReadExamples, SkipsUnlabelledDocumentsWithSkipBad) {
  lmkit::testing::TempDir tmp;
  const std::string path = (tmp.path / "labelled.jsonl").string();
  std::ofstream(path) << "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\"}\n{\"body\": \"c\"}\n"
                         "{\"text\": \"d\", \"label\": \"y\"}\n";
  EXPECT_THROW(read_examples({path}, false, "label"), Error);
  std::uint64_t skipped = 0;
  const auto examples = read_examples({path}, false, "label", {.skip_bad = true}, &skipped);
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[1].text, "d");
  EXPECT_EQ(examples[1].label, "y");
  EXPECT_EQ(skipped, 2u);
  // The text field is the corpus option's.
  std::ofstream(path) << "{\"body\": \"c\", \"label\": \"x\"}\n";
  EXPECT_EQ(read_examples({path}, false, "label", {.text_field = "body"}).at(0).text, "c");
}

TEST(TrainMlm, RefusalsNameTheField) {
  lmkit::testing::TempDir tmp;
  auto field_of = [](const MlmTrainOptions& o) -> std::string {
    try {
      train_mlm(o);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "";
  };
  MlmTrainOptions o = tiny_run(tmp, "x");
  o.schedule.steps = 0;
  EXPECT_EQ(field_of(o), "steps");
  o = tiny_run(tmp, "x");
  o.mask_prob = 1.0f;
  EXPECT_EQ(field_of(o), "mask_prob");
  o = tiny_run(tmp, "x");
  o.config = "huge";
  EXPECT_EQ(field_of(o), "config");
  o = tiny_run(tmp, "x");
  o.resume = true;
  o.out = (tmp.path / "wp").string();  // a BERT directory, not a checkpoint
  EXPECT_EQ(field_of(o), "out");
}

}  // namespace
}  // namespace lmkit::api
