// The GPT adapter: distributions equal a softmax of the model's own logits over the right window,
// including sequences longer than the context, where the sliding window takes over.
#include "lmkit/lm/gpt_lm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <thread>

#include "lmkit/nn/generate.hpp"

#include "lmkit/util/error.hpp"

using namespace lmkit;

namespace {

nn::GptConfig tiny_config() {
  nn::GptConfig config;
  config.n_layer = 2;
  config.n_head = 2;
  config.n_embd = 16;
  config.n_ctx = 8;
  config.vocab_size = 11;
  return config;
}

// P(· | tokens[begin..position)) straight from a forward pass over exactly that window.
std::vector<double> reference(nn::GptModel& model, const std::vector<std::uint32_t>& tokens,
                              std::size_t begin, std::size_t position) {
  std::vector<std::int32_t> ids(tokens.begin() + static_cast<std::ptrdiff_t>(begin),
                                tokens.begin() + static_cast<std::ptrdiff_t>(position));
  model.forward(ids.data(), nullptr, 1, ids.size());
  const std::size_t V = model.config().vocab_size;
  auto row = model.logits().subspan((ids.size() - 1) * V, V);
  std::vector<double> p(V);
  double sum = 0;
  for (std::size_t v = 0; v < V; ++v) sum += p[v] = std::exp(static_cast<double>(row[v]));
  for (double& x : p) x /= sum;
  return p;
}

}  // namespace

TEST(GptLM, SlidingWindowDistributionsMatchDirectForwardPasses) {
  auto model = std::make_shared<nn::GptModel>(tiny_config());
  model->init_weights(5);
  nn::GptModel reference_model(tiny_config());
  std::copy(model->parameters().begin(), model->parameters().end(), reference_model.parameters().begin());
  lm::GptLM lm(model);

  std::vector<std::uint32_t> tokens;
  for (std::uint32_t i = 0; i < 21; ++i) tokens.push_back((i * 7 + 3) % 11);
  std::vector<std::size_t> visited;
  lm.for_each_distribution(tokens, 1, [&](std::size_t position, std::span<const double> distribution) {
    visited.push_back(position);
    EXPECT_NEAR(std::accumulate(distribution.begin(), distribution.end(), 0.0), 1.0, 1e-9);
    // n_ctx = 8, stride 4: positions ≤ 8 come from [0, 8); later ones from the window of 8 ending
    // at the first multiple of the stride past them (or at the end of the sequence).
    std::size_t end = position <= 8 ? 8 : std::min<std::size_t>(21, 8 + 4 * ((position - 8 + 3) / 4));
    std::size_t begin = end > 8 ? end - 8 : 0;
    auto expected = reference(reference_model, tokens, begin, position);
    for (std::size_t v = 0; v < expected.size(); ++v)
      ASSERT_NEAR(distribution[v], expected[v], 1e-5) << position;
    if (position > 8) {
      EXPECT_GE(position - begin, 5u) << "past the first window: at least n_ctx/2 + 1 tokens of context";
    }
  });
  std::vector<std::size_t> all(21);
  std::iota(all.begin(), all.end(), 1);
  EXPECT_EQ(visited, all);

  // next_token_distribution over a short context is the last row of one pass.
  std::vector<std::uint32_t> context = {1, 2, 3};
  auto direct = reference(reference_model, context, 0, 3);
  auto got = lm.next_token_distribution(context);
  for (std::size_t v = 0; v < direct.size(); ++v) EXPECT_NEAR(got[v], direct[v], 1e-6);
  EXPECT_THROW(lm.next_token_distribution(std::vector<std::uint32_t>{}), Error);
  EXPECT_THROW(lm.next_token_distribution(std::vector<std::uint32_t>{1, 11}), Error);
}

TEST(GptStream, CachedDistributionsEqualGptLMsWithinTheContextAndRestartPastIt) {
  auto model = std::make_shared<nn::GptModel>(tiny_config());
  model->init_weights(9);
  nn::GptModel reference_model(tiny_config());
  std::copy(model->parameters().begin(), model->parameters().end(), reference_model.parameters().begin());
  lm::GptLM lm(model);
  lm::GptStream stream(model);

  std::vector<std::uint32_t> tokens = {4, 1};  // the first call feeds a two-token prompt at once
  for (std::uint32_t step = 0; step < 14; ++step) {
    const auto& got = stream.next_token_distribution(tokens);
    // n_ctx = 8: up to 8 tokens the stream is one pass over the whole prefix (GptLM's answer); at 9
    // the cache restarts from the last 4 tokens (5..8) and grows again until it holds 8 (size 13);
    // at 14 it restarts from tokens 10..13.
    std::size_t begin = 0;
    if (tokens.size() > 8) begin = tokens.size() <= 13 ? 5 : 10;
    auto expected = reference(reference_model, tokens, begin, tokens.size());
    if (begin == 0) expected = lm.next_token_distribution(tokens);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t v = 0; v < expected.size(); ++v) ASSERT_NEAR(got[v], expected[v], 1e-5) << tokens.size();
    tokens.push_back((step * 5 + 2) % 11);
  }
  EXPECT_THROW(stream.next_token_distribution(std::vector<std::uint32_t>{1}), Error);
  lm::GptStream fresh(model);
  EXPECT_THROW(fresh.next_token_distribution(std::vector<std::uint32_t>{1, 11}), Error);
}

// One shared model, no lock: 8 threads at once, half scoring (sliding windows past n_ctx) and half
// generating (a batch through nn::generate, a stream through GptStream), each repeating its task; every
// answer equals the one the same task gave when the tasks ran one by one.
TEST(GptLM, EightThreadsScoringAndGeneratingAtOnceGetTheSequentialAnswers) {
  auto owned = std::make_shared<nn::GptModel>(tiny_config());
  owned->init_weights(17);
  std::shared_ptr<const nn::GptModel> model = owned;
  const lm::GptLM lm(model);

  struct Answer {
    std::vector<double> scores;
    std::vector<std::vector<std::int32_t>> generated;
    std::vector<double> streamed;
    bool operator==(const Answer&) const = default;
  };
  auto task = [&](std::size_t i) {
    Answer a;
    if (i % 2 == 0) {
      std::vector<std::uint32_t> tokens;
      for (std::uint32_t t = 0; t < 19 + i; ++t) tokens.push_back((t * (3 + i) + i) % 11);
      a.scores = lm.score(tokens);
    } else {
      nn::GenerateOptions options;
      options.max_new_tokens = 6;
      options.sampling = {.temperature = 0.9f, .top_k = 5, .top_p = 0.95f, .seed = i};
      a.generated = nn::generate(*model, {{1, 2, 3}, {static_cast<std::int32_t>(i % 11)}}, options);
      lm::GptStream stream(model);
      std::vector<std::uint32_t> context = {static_cast<std::uint32_t>(i % 11), 4};
      for (int step = 0; step < 10; ++step) {
        const auto& p = stream.next_token_distribution(context);
        a.streamed.push_back(p[step % 11]);
        context.push_back(static_cast<std::uint32_t>(std::max_element(p.begin(), p.end()) - p.begin()));
      }
    }
    return a;
  };
  std::vector<Answer> sequential;
  for (std::size_t i = 0; i < 8; ++i) sequential.push_back(task(i));
  ASSERT_FALSE(sequential[0].scores.empty());
  ASSERT_NE(sequential[1].generated, sequential[3].generated);  // the tasks differ, so a mix-up would show

  std::vector<int> mismatches(8, 0);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      for (int repeat = 0; repeat < 25; ++repeat)
        if (!(task(i) == sequential[i])) ++mismatches[i];
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(8, 0));
}
