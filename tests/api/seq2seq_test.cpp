#include "lmkit/api/seq2seq.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>

#include "lmkit/api/denoising.hpp"
#include "lmkit/nn/hf_bart.hpp"
#include "lmkit/nn/seq2seq_generate.hpp"
#include "lmkit/nn/seq2seq_training.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "support/temp_dir.hpp"

namespace lmkit::api {
namespace {

// A small random encoder-decoder over bytes (ids 0-255, then pad, start, end, mask).
std::string write_model(const std::filesystem::path& dir) {
  nn::Seq2SeqConfig config;
  nn::seq2seq_config_preset("tiny", config);
  config.n_embd = 32;
  config.n_head = 2;
  config.n_ffn = 64;
  config.n_ctx = 48;
  set_seq2seq_special_ids(config, 256);
  config.validate("test");
  nn::Seq2SeqModel model(config);
  model.init_weights(5);
  std::filesystem::create_directories(dir);
  nn::save_seq2seq_dir(model, dir.string(), "bytes");
  return dir.string();
}

std::vector<std::int32_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Seq2Seq, GreedyBatchGenerationIsTheUncachedReferenceOfEachSource) {
  lmkit::testing::TempDir tmp;
  const std::string dir = write_model(tmp.path / "m");
  auto model = Seq2Seq::load(dir);
  nn::LoadedSeq2Seq oracle = nn::load_seq2seq_dir(dir);
  const std::vector<std::string> sources = {"In the <mask>", "And God said, Let there be light", "x"};
  const auto outputs = model->generate({.sources = sources, .max_new_tokens = 6, .batch = 2});
  ASSERT_EQ(outputs.size(), sources.size());
  const std::int32_t mask = static_cast<std::int32_t>(model->config().mask_id);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    std::vector<std::int32_t> source = i == 0 ? bytes_of("In the ") : bytes_of(sources[i]);
    if (i == 0) source.push_back(mask);
    EXPECT_EQ(model->encode_source(sources[i]), source);
    EXPECT_EQ(outputs[i].ids, nn::seq2seq_greedy_uncached(*oracle.model, source, 6)) << sources[i];
    EXPECT_EQ(outputs[i].text, model->codec().decode(outputs[i].ids));
  }
}

TEST(Seq2Seq, SamplingIsSeededPerSource) {
  lmkit::testing::TempDir tmp;
  auto model = Seq2Seq::load(write_model(tmp.path / "m"));
  Seq2SeqGenerateRequest request{.sources = {"abc", "defg"}, .max_new_tokens = 8};
  request.sampling = {.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = 9};
  const auto both = model->generate(request);
  // Source i samples with seed + i, so the second alone with seed 10 gives the same output.
  request.sources = {"defg"};
  request.sampling.seed = 10;
  EXPECT_EQ(model->generate(request)[0].ids, both[1].ids);
}

TEST(Seq2Seq, ScoreSumsTheTeacherForcedLogProbabilities) {
  lmkit::testing::TempDir tmp;
  const std::string dir = write_model(tmp.path / "m");
  auto model = Seq2Seq::load(dir);
  nn::LoadedSeq2Seq oracle = nn::load_seq2seq_dir(dir);
  const TargetScore s = model->score("In the <mask>", "In the beginning");
  ASSERT_EQ(s.ids.size(), std::strlen("In the beginning") + 1);
  EXPECT_EQ(s.ids.back(), static_cast<std::int32_t>(model->config().eos_id));
  double sum = 0;
  for (double lp : s.logprobs) {
    EXPECT_LE(lp, 0.0);
    sum += lp;
  }
  EXPECT_NEAR(s.logprob, sum, 1e-9);
  // The oracle: the training loss, the mean negative log-probability per target token.
  nn::TokenPair pair{model->encode_source("In the <mask>"), bytes_of("In the beginning")};
  const float loss = nn::evaluate_pairs_loss(*oracle.model, {pair}, 1, 0);
  EXPECT_NEAR(-s.logprob / static_cast<double>(s.ids.size()), loss, 1e-4);
}

TEST(Seq2Seq, MatchCountsExactOutputsAndAlignedTokens) {
  lmkit::testing::TempDir tmp;
  auto model = Seq2Seq::load(write_model(tmp.path / "m"));
  const std::vector<TextPair> pairs = {{"s", "abc", true}, {"s", "abcd", true}, {"s", "", false}};
  const std::vector<Seq2SeqOutput> outputs = {{bytes_of("abc"), "abc"}, {bytes_of("abx"), "abx"}, {{}, ""}};
  const OutputMatch m = model->match(pairs, outputs);
  EXPECT_EQ(m.scored, 2u);
  EXPECT_EQ(m.exact, 1u);
  EXPECT_EQ(m.matched, 3u + 2u);
  EXPECT_EQ(m.compared, 3u + 4u);
  EXPECT_EQ(m.exact_rows, (std::vector<bool>{true, false, false}));
  EXPECT_DOUBLE_EQ(m.token_accuracy(), 5.0 / 7.0);
}

TEST(Seq2Seq, RefusalsNameTheField) {
  lmkit::testing::TempDir tmp;
  auto model = Seq2Seq::load(write_model(tmp.path / "m"));
  auto field_of = [&](Seq2SeqGenerateRequest r) -> std::string {
    try {
      model->generate(r);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "";
  };
  Seq2SeqGenerateRequest r{.sources = {"abc"}, .beam = 2};
  r.sampling.temperature = 1;
  EXPECT_EQ(field_of(r), "beam");
  r = {.sources = {"abc"}};
  r.sampling.top_p = 0;
  EXPECT_EQ(field_of(r), "top_p");
  EXPECT_EQ(field_of({.sources = {""}}), "source");
  EXPECT_EQ(field_of({.sources = {"abc"}, .batch = 0}), "batch");
}

TEST(TrainSeq2Seq, ResumingAnInterruptedRunEndsWithTheSameWeights) {
  lmkit::testing::TempDir tmp;
  const std::string chapters = (tmp.path / "chapters.jsonl").string();
  std::ofstream(chapters)
      << "{\"text\": \"In the beginning God created the heaven and the earth.\\nAnd the earth "
         "was without form.\\nAnd God said, Let there be light.\\nAnd there was light.\"}\n";
  const CorruptResult c = corrupt_chapters({.input = chapters, .out = (tmp.path / "pairs.jsonl").string()});
  EXPECT_EQ(c.pairs, 4u);
  const std::filesystem::path config = tmp.path / "config.json";
  std::ofstream(config)
      << R"({"encoder_layers": 1, "decoder_layers": 1, "d_model": 32, "encoder_attention_heads": 2,
    "decoder_attention_heads": 2, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64, "max_position_embeddings": 64})";
  auto run = [&](const std::string& out) {
    Seq2SeqTrainOptions o;
    o.data = (tmp.path / "pairs.jsonl").string();
    o.tokenizer = "bytes";
    o.config = config.string();
    o.out = (tmp.path / out).string();
    o.schedule.steps = 4;
    o.batch = 2;
    o.val_every = 2;
    o.steps_given = true;
    o.on_step = [](const StepReport&) {};
    return o;
  };
  const Seq2SeqTrainResult whole = train_seq2seq(run("whole"));
  EXPECT_EQ(whole.step, 4u);
  Seq2SeqTrainOptions part = run("part");
  part.until = 2;
  EXPECT_EQ(train_seq2seq(part).step, 2u);
  Seq2SeqTrainOptions rest;
  rest.out = part.out;
  rest.resume = true;
  rest.on_step = [](const StepReport&) {};
  const Seq2SeqTrainResult resumed = train_seq2seq(rest);
  EXPECT_EQ(resumed.step, 4u);
  EXPECT_EQ(resumed.train_loss, whole.train_loss);
  const auto a = nn::load_seq2seq_dir(whole.out), b = nn::load_seq2seq_dir(resumed.out);
  ASSERT_EQ(a.model->parameters().size(), b.model->parameters().size());
  EXPECT_EQ(std::memcmp(a.model->parameters().data(), b.model->parameters().data(),
                        a.model->parameters().size() * sizeof(float)),
            0);
  EXPECT_EQ(Seq2Seq::load(whole.out)->generate({.sources = {"In the <mask>"}, .max_new_tokens = 3}).size(),
            1u);
  Seq2SeqTrainOptions bad = run("x");
  bad.config = "huge";
  try {
    train_seq2seq(bad);
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "config");
  }
  // training.json records the pairs file relative to the checkpoint: moved together, they resume
  // from anywhere.
  Seq2SeqTrainOptions portable = run("portable");
  portable.until = 2;
  ASSERT_EQ(train_seq2seq(portable).step, 2u);
  EXPECT_EQ(read_json_file(portable.out + "/training.json")["options"]["data"], "../pairs.jsonl");
  std::filesystem::create_directories(tmp.path / "moved");
  std::filesystem::rename(tmp.path / "portable", tmp.path / "moved" / "portable");
  std::filesystem::rename(tmp.path / "pairs.jsonl", tmp.path / "moved" / "pairs.jsonl");
  Seq2SeqTrainOptions moved;
  moved.out = (tmp.path / "moved" / "portable").string();
  moved.resume = true;
  moved.on_step = [](const StepReport&) {};
  EXPECT_EQ(train_seq2seq(moved).step, 4u);
}

// A pairs file is read as a corpus: bad lines are skipped and counted with skip_bad, and the corpus
// options pairs cannot honour are refused, named, rather than ignored.
TEST(ReadTextPairs, TakesTheCorpusOptionsItCanHonour) {
  lmkit::testing::TempDir tmp;
  const std::string path = (tmp.path / "pairs.jsonl").string();
  std::ofstream(path) << "{\"source\": \"a\", \"target\": \"b\"}\n{\"source\": \"no target\"}\nnot json\n"
                         "{\"source\": \"c\", \"target\": \"d\"}\n";
  EXPECT_THROW(read_text_pairs(path, true), Error);
  std::uint64_t skipped = 0;
  const auto pairs = read_text_pairs(path, true, {.skip_bad = true}, &skipped);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[1].source, "c");
  EXPECT_EQ(pairs[1].target, "d");
  EXPECT_EQ(skipped, 2u);
  auto field_of = [&](const text::CorpusOptions& corpus) -> std::string {
    try {
      read_text_pairs(path, true, corpus);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "";
  };
  EXPECT_EQ(field_of({.format = text::CorpusFormat::text}), "format");
  EXPECT_EQ(field_of({.lines = true}), "lines");
  EXPECT_EQ(field_of({.text_field = "body"}), "text_field");
}

TEST(TrainSeq2Seq, ResumingWithOtherOptionsNamesEachDifference) {
  lmkit::testing::TempDir tmp;
  const CorruptResult c =
      corrupt_chapters({.input =
                            [&] {
                              const std::string chapters = (tmp.path / "chapters.jsonl").string();
                              std::ofstream(chapters)
                                  << "{\"text\": \"In the beginning God created the heaven.\\nAnd the earth "
                                     "was without form.\\nAnd God said, Let there be light.\"}\n";
                              return chapters;
                            }(),
                        .out = (tmp.path / "pairs.jsonl").string()});
  ASSERT_EQ(c.pairs, 3u);
  const std::filesystem::path config = tmp.path / "config.json";
  std::ofstream(config) << R"({"encoder_layers": 1, "decoder_layers": 1, "d_model": 16,
    "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32,
    "max_position_embeddings": 64})";
  Seq2SeqTrainOptions part;
  part.data = (tmp.path / "pairs.jsonl").string();
  part.tokenizer = "bytes";
  part.config = config.string();
  part.out = (tmp.path / "part").string();
  part.schedule.steps = 4;
  part.until = 2;
  part.batch = 2;
  part.val_every = 2;
  part.on_step = [](const StepReport&) {};
  train_seq2seq(part);
  auto resume = [&](const std::function<void(Seq2SeqTrainOptions&)>& change) {
    Seq2SeqTrainOptions o;
    o.out = part.out;
    o.resume = true;
    o.on_step = [](const StepReport&) {};
    change(o);
    return o;
  };
  try {
    train_seq2seq(resume([](Seq2SeqTrainOptions& o) {
      o.tokenizer = "gpt2";
      o.given = {"tokenizer"};
    }));
    FAIL() << "a resumed run changed its tokenizer";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "tokenizer");
    EXPECT_NE(std::string(e.problem()).find("tokenizer \"gpt2\" (the checkpoint's is \"bytes\")"),
              std::string::npos)
        << e.what();
  }
  try {
    train_seq2seq(resume([](Seq2SeqTrainOptions& o) {
      o.config = "tiny";
      o.given = {"config"};
    }));
    FAIL() << "a resumed run changed its model";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.field(), "config");
    EXPECT_NE(std::string(e.problem()).find("1 + 1 layers, 2 heads, width 16"), std::string::npos)
        << e.what();
  }
  std::vector<std::string> warnings;
  const WarningHandler previous = set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  const Seq2SeqTrainResult r = train_seq2seq(resume([&](Seq2SeqTrainOptions& o) {
    o.schedule.lr = 5e-4f, o.val_every = 3, o.config = config.string(), o.tokenizer = "bytes";
    o.given = {"lr", "val_every", "config", "tokenizer"};
  }));
  set_warning_handler(previous);
  EXPECT_EQ(r.step, 4u);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("part/training.json: lr was 0.001"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("part/training.json: val_every was 2; continuing with 3"), std::string::npos)
      << warnings[1];
  EXPECT_EQ(read_json_file(part.out + "/training.json")["options"]["val_every"], 3);
}

}  // namespace
}  // namespace lmkit::api
