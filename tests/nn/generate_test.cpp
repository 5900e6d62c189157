// Generation with the KV cache against recomputing the whole prefix with the training forward, and
// batched generation with padding against generating each prompt alone.
#include "lmkit/nn/generate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "lmkit/util/error.hpp"

namespace lmkit::nn {
namespace {

GenerateOptions options_for(std::size_t max_new_tokens, float temperature, std::size_t top_k = 0,
                            std::uint64_t seed = 0) {
  GenerateOptions options;
  options.max_new_tokens = max_new_tokens;
  options.sampling.temperature = temperature;
  options.sampling.top_k = top_k;
  options.sampling.seed = seed;
  return options;
}

GptModel trained_looking_model() {
  GptModel model({.n_layer = 2, .n_head = 4, .n_embd = 32, .n_ctx = 32, .vocab_size = 23});
  model.init_weights(3);
  // Scale up so the next-token distributions are peaked and varied (greedy paths are not constant).
  for (float& p : model.parameters()) p *= 8.0f;
  return model;
}

TEST(Generate, CachedPrefillLogitsEqualTheTrainingForward) {
  GptModel model = trained_looking_model();
  std::vector<std::int32_t> prompt = {3, 17, 5, 5, 22, 0, 9};
  model.forward(prompt.data(), nullptr, 1, prompt.size());
  std::vector<float> full(model.logits().end() - 23, model.logits().end());
  KvCache cache = model.make_cache(1);
  std::vector<std::int32_t> positions = {0, 1, 2, 3, 4, 5, 6};
  std::vector<float> cached(23);
  // Feed the prompt in two pieces to exercise appending to a non-empty cache.
  model.forward_cached(cache, prompt.data(), positions.data(), nullptr, 4, cached.data());
  model.forward_cached(cache, prompt.data() + 4, positions.data() + 4, nullptr, 3, cached.data());
  for (std::size_t v = 0; v < 23; ++v) EXPECT_NEAR(cached[v], full[v], 1e-4 * (1 + std::abs(full[v])));
}

TEST(Generate, GreedyWithCacheEqualsRecomputingThePrefix) {
  GptModel model = trained_looking_model();
  std::vector<std::int32_t> prompt = {1, 2, 3};
  GenerateOptions options = options_for(20, 0.0f);
  auto cached = generate(model, {prompt}, options)[0];
  std::vector<std::int32_t> sequence = prompt, recomputed;
  for (std::size_t step = 0; step < 20; ++step) {
    model.forward(sequence.data(), nullptr, 1, sequence.size());
    auto logits = model.logits().subspan((sequence.size() - 1) * 23, 23);
    std::int32_t next = greedy_token(logits);
    recomputed.push_back(next);
    sequence.push_back(next);
  }
  EXPECT_EQ(cached, recomputed);
  std::set<std::int32_t> distinct(cached.begin(), cached.end());
  EXPECT_GT(distinct.size(), 2u) << "a degenerate model would make this test vacuous";
}

TEST(Generate, BatchedWithPaddingEqualsOneByOne) {
  GptModel model = trained_looking_model();
  std::vector<std::vector<std::int32_t>> prompts = {{4}, {7, 8, 9, 10, 11, 12}, {20, 1, 13}};
  for (float temperature : {0.0f, 0.8f}) {
    GenerateOptions options = options_for(12, temperature, 10, 5);
    auto batched = generate(model, prompts, options);
    for (std::size_t r = 0; r < prompts.size(); ++r) {
      GenerateOptions alone = options;
      alone.sampling.seed = options.sampling.seed + r;  // row r of a batch samples with seed + r
      EXPECT_EQ(batched[r], generate(model, {prompts[r]}, alone)[0]) << "row " << r << " T=" << temperature;
    }
  }
}

TEST(Generate, StopsAtTheStopTokenAndAtTheContextEnd) {
  GptModel model = trained_looking_model();
  auto free_run = generate(model, {{1, 2, 3}}, options_for(10, 0.0f))[0];
  GenerateOptions with_stop = options_for(10, 0.0f);
  with_stop.stop_token = free_run[2];
  auto stopped = generate(model, {{1, 2, 3}}, with_stop)[0];
  std::size_t first = std::find(free_run.begin(), free_run.end(), free_run[2]) - free_run.begin();
  EXPECT_EQ(stopped, std::vector<std::int32_t>(free_run.begin(), free_run.begin() + first + 1));
  auto long_run = generate(model, {{1, 2, 3}}, options_for(100, 0.0f))[0];
  EXPECT_EQ(long_run.size(), 32u - 3u + 1u);  // the last token needs no further position
}

// The library names the field a front-end maps to its own spelling (the CLI's --top-p).
TEST(Sampler, OptionsOutsideTheirDomainNameTheField) {
  auto field_of = [](SamplingOptions o) -> std::string {
    try {
      Sampler sampler(o);
    } catch (const InvalidArgument& e) {
      return e.field();
    }
    return "";
  };
  EXPECT_EQ(field_of({.temperature = -1.0f}), "temperature");
  EXPECT_EQ(field_of({.temperature = std::nanf("")}), "temperature");
  EXPECT_EQ(field_of({.top_p = 0.0f}), "top_p");
  EXPECT_EQ(field_of({}), "");
}

TEST(Sampler, TopKAndTopPRestrictTheChoices) {
  std::vector<float> logits = {0.0f, 3.0f, 2.9f, -1.0f, 2.8f};
  Sampler top2({.temperature = 1.0f, .top_k = 2, .seed = 1});
  Sampler nucleus({.temperature = 1.0f, .top_p = 0.5f, .seed = 1});
  std::set<std::int32_t> seen2, seen_p;
  for (int i = 0; i < 300; ++i) {
    seen2.insert(top2.sample(logits));
    seen_p.insert(nucleus.sample(logits));
  }
  EXPECT_EQ(seen2, (std::set<std::int32_t>{1, 2}));
  // Softmax mass: token 1 ≈ 0.36, token 2 ≈ 0.33: the first two reach 0.5.
  EXPECT_EQ(seen_p, (std::set<std::int32_t>{1, 2}));
  EXPECT_EQ(greedy_token(logits), 1);
}

TEST(Sampler, SameSeedSameTokens) {
  std::vector<float> logits = {0.1f, 0.2f, 0.3f, 0.4f};
  Sampler a({.seed = 9}), b({.seed = 9});
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.sample(logits), b.sample(logits));
}

}  // namespace
}  // namespace lmkit::nn
