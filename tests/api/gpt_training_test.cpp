#include "lmkit/api/gpt_training.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "support/temp_dir.hpp"

namespace lmkit::api {
namespace {

GptTrainOptions tiny_run(const testing::TempDir& tmp, const std::string& out) {
  const std::string corpus = (tmp.path / "corpus.txt").string();
  if (!std::filesystem::exists(corpus)) {
    std::ofstream f(corpus);
    for (int i = 0; i < 60; ++i) f << "In the beginning was the word, and the word was " << i << ".\n";
  }
  GptTrainOptions o;
  o.data = {corpus};
  o.tokenizer = "bytes";
  o.config = "tiny";
  o.out = (tmp.path / out).string();
  o.schedule.steps = 4;
  o.batch = 2;
  o.ctx = 16;
  o.val_every = 2;
  o.val_batches = 1;
  o.steps_given = true;
  o.on_step = [](const StepReport&) {};
  return o;
}

TEST(TrainGpt, ResumingAnInterruptedRunEndsWithTheSameWeights) {
  testing::TempDir tmp;
  const GptTrainResult whole = train_gpt(tiny_run(tmp, "whole"));
  EXPECT_EQ(whole.step, 4u);
  GptTrainOptions part = tiny_run(tmp, "part");
  part.until = 2;
  EXPECT_EQ(train_gpt(part).step, 2u);
  GptTrainOptions rest;
  rest.out = part.out;
  rest.resume = true;
  rest.on_step = [](const StepReport&) {};
  const GptTrainResult resumed = train_gpt(rest);
  EXPECT_EQ(resumed.step, 4u);
  EXPECT_EQ(resumed.train_loss, whole.train_loss);
  const auto a = nn::load_gpt2_dir(whole.out).model, b = nn::load_gpt2_dir(resumed.out).model;
  ASSERT_EQ(a.parameters().size(), b.parameters().size());
  EXPECT_EQ(std::memcmp(a.parameters().data(), b.parameters().data(), a.parameters().size() * sizeof(float)),
            0);
}

TEST(TrainGpt, RefusalsNameTheField) {
  testing::TempDir tmp;
  auto field_of = [](const GptTrainOptions& o) -> std::string {
    try {
      train_gpt(o);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "";
  };
  GptTrainOptions o = tiny_run(tmp, "x");
  o.ctx = 4096;  // the tiny model's n_ctx is 128
  EXPECT_EQ(field_of(o), "ctx");
  o = tiny_run(tmp, "x");
  o.config = "no-such-size";
  EXPECT_EQ(field_of(o), "config");
  o = tiny_run(tmp, "x");
  o.schedule.beta1 = -0.5f;
  EXPECT_EQ(field_of(o), "beta1");
  o = tiny_run(tmp, "x");
  o.out = tmp.path.string();  // exists
  EXPECT_EQ(field_of(o), "out");
}

// --resume with options of its own: those the checkpoint's model or data layout depend on are refused,
// naming each; others are warned about and used.
TEST(TrainGpt, ResumingWithOtherOptionsNamesEachDifference) {
  testing::TempDir tmp;
  GptTrainOptions part = tiny_run(tmp, "part");
  part.until = 2;
  train_gpt(part);
  auto resume = [&](const std::function<void(GptTrainOptions&)>& change) {
    GptTrainOptions o;
    o.out = part.out;
    o.resume = true;
    o.on_step = [](const StepReport&) {};
    change(o);
    return o;
  };
  try {
    train_gpt(resume([](GptTrainOptions& o) {
      o.ctx = 8, o.tokenizer = "gpt2";
      o.given = {"ctx", "tokenizer"};
    }));
    FAIL() << "a resumed run changed its context and tokenizer";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "tokenizer");  // in saved order: tokenizer before ctx
    EXPECT_NE(std::string(e.problem())
                  .find("tokenizer \"gpt2\" (the checkpoint's is \"bytes\"), ctx 8 (the "
                        "checkpoint's is 16)"),
              std::string::npos)
        << e.what();
  }
  // The same value as the checkpoint's is no change.
  GptTrainOptions same = resume([](GptTrainOptions& o) {
    o.ctx = 16, o.tokenizer = "bytes", o.until = 3;
    o.given = {"ctx", "tokenizer"};
  });
  std::vector<std::string> warnings;
  const WarningHandler previous = set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  EXPECT_EQ(train_gpt(same).step, 3u);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  // A config describing another model is refused; the learning rate may change, with a warning.
  EXPECT_THROW(train_gpt(resume([](GptTrainOptions& o) {
                 o.config = "small";
                 o.given = {"config"};
               })),
               InvalidArgument);
  const GptTrainResult r = train_gpt(resume([](GptTrainOptions& o) {
    o.schedule.lr = 5e-4f, o.schedule.steps = 5, o.config = "tiny";
    o.given = {"lr", "steps", "config"};
  }));
  set_warning_handler(previous);
  EXPECT_EQ(r.step, 5u);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("part/training.json: steps was 4; continuing with 5"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("part/training.json: lr was 0.0010000000474974513; continuing with "
                             "0.0005000000237487257"),
            std::string::npos)
      << warnings[1];
  const Json saved = read_json_file(part.out + "/training.json");
  EXPECT_FLOAT_EQ(saved["options"]["lr"].get<float>(), 5e-4f);
}

// training.json records the corpus relative to the checkpoint, so a checkpoint moved with its data
// resumes from any working directory.
TEST(TrainGpt, ACheckpointMovedWithItsDataResumes) {
  testing::TempDir tmp;
  GptTrainOptions part = tiny_run(tmp, "part");
  part.until = 2;
  ASSERT_EQ(train_gpt(part).step, 2u);
  const Json saved = read_json_file(part.out + "/training.json")["options"];
  EXPECT_EQ(saved["data"], Json::array({"../corpus.txt"}));
  EXPECT_EQ(saved["tokenizer"], "bytes");  // a spec, not a path: kept as given
  namespace fs = std::filesystem;
  fs::create_directories(tmp.path / "moved");
  fs::rename(tmp.path / "part", tmp.path / "moved" / "part");
  fs::rename(tmp.path / "corpus.txt", tmp.path / "moved" / "corpus.txt");
  GptTrainOptions rest;
  rest.out = (tmp.path / "moved" / "part").string();
  rest.resume = true;
  rest.on_step = [](const StepReport&) {};
  EXPECT_EQ(train_gpt(rest).step, 4u);
  EXPECT_EQ(read_json_file(rest.out + "/training.json")["options"]["data"], Json::array({"../corpus.txt"}));
}

// Checkpoints of earlier versions (no "paths" marker) keep their paths as recorded.
TEST(TrainGpt, PathsOfEarlierCheckpointsAreReadAsRecorded) {
  const Json old = {{"data", {"/abs/train.txt", "rel/more.txt"}}, {"val_data", ""}, {"tokenizer", "gpt2"}};
  EXPECT_EQ(resolved_paths(old, "/elsewhere/run"), old);
  const Json marked = portable_paths({{"data", {"/a/b/train.txt"}}, {"val_data", Json::array()}}, "/a/c/run");
  EXPECT_EQ(marked["data"], Json::array({"../../b/train.txt"}));
  EXPECT_EQ(resolved_paths(marked, "/a/c/run")["data"], Json::array({"/a/b/train.txt"}));
  EXPECT_EQ(resolved_paths(marked, "run")["data"], Json::array({"../b/train.txt"}));
}

}  // namespace
}  // namespace lmkit::api
