// The encoder-decoder as a whole: its backward against finite differences of the loss for the
// variants of the config, padding handling, and generation — cached decoding equals recomputation
// token for token, batched sources equal one-by-one, beam width 1 equals greedy.
#include "lmkit/nn/seq2seq.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "lmkit/nn/seq2seq_generate.hpp"
#include "lmkit/util/error.hpp"

#include "model_gradient_check.hpp"

namespace lmkit::nn {
namespace {

Seq2SeqConfig small_config() {
  return {.n_encoder_layer = 2,
          .n_decoder_layer = 2,
          .n_head = 2,
          .n_embd = 8,
          .n_ffn = 16,
          .n_ctx = 9,
          .vocab_size = 13,
          .pad_id = 0,
          .bos_id = 1,
          .eos_id = 2,
          .decoder_start_id = 1};
}

// BART's switches: learned positions offset by 2, LayerNorm on the embeddings, exact GELU,
// final_logits_bias, post-LN, shared and tied embeddings.
Seq2SeqConfig bart_like() {
  Seq2SeqConfig c = small_config();
  c.position_offset = 2;
  c.layernorm_embedding = true;
  c.activation = FfnActivation::gelu;
  c.final_logits_bias = true;
  return c;
}

// The original Transformer's and nn.Transformer's pre-LN variant: sinusoidal positions, scaled
// embeddings, separate tables, an untied head, final norms; the tanh GELU, since ReLU's kink upsets
// finite differences at these weight scales (the reference tests cover ReLU).
Seq2SeqConfig vaswani_pre_ln() {
  Seq2SeqConfig c = small_config();
  c.norm_first = true;
  c.position = PositionKind::sinusoidal;
  c.scale_embedding = true;
  c.shared_embeddings = false;
  c.tied = false;
  c.final_norm = true;
  c.activation = FfnActivation::gelu_tanh;
  return c;
}

Seq2SeqBatch sample_batch(const Seq2SeqConfig& c) {
  std::vector<std::vector<std::int32_t>> sources = {{3, 4, 5, 6, 7}, {8, 9}, {10, 11, 12, 3}};
  std::vector<std::vector<std::int32_t>> targets = {{5, 6, 7}, {9, 9, 8, 4}, {12}};
  return make_seq2seq_batch(c, sources, targets);
}

void randomize(Seq2SeqModel& model, std::uint64_t seed) {
  model.init_weights(seed);
  // Larger weights than the initialization, so every path contributes visibly to the loss.
  for (const auto& s : model.parameter_specs()) {
    float* p = model.parameters().data() + s.offset;
    for (std::size_t i = 0; i < s.size; ++i) {
      if (s.decay)
        p[i] *= 25.0f;
      else
        p[i] += 0.1f * std::sin(static_cast<float>(i * 7 + s.offset));
    }
  }
}

void check_model_gradients(const Seq2SeqConfig& c) {
  Seq2SeqModel model(c);
  randomize(model, 5);
  Seq2SeqBatch batch = sample_batch(c);
  auto loss = [&] { return static_cast<double>(model.forward(batch)); };
  testing::expect_model_gradients(model, loss, {.per_tensor = 5, .first = 3});
}

TEST(Seq2Seq, BartLikeGradientsMatchFiniteDifferences) { check_model_gradients(bart_like()); }

TEST(Seq2Seq, PreLnSinusoidalUntiedGradientsMatchFiniteDifferences) {
  check_model_gradients(vaswani_pre_ln());
}

TEST(Seq2Seq, BatchLayoutAndParameterNames) {
  Seq2SeqConfig c = bart_like();
  Seq2SeqBatch batch = sample_batch(c);
  EXPECT_EQ(batch.S, 5u);
  EXPECT_EQ(batch.T, 5u);
  EXPECT_EQ(std::vector<std::int32_t>(batch.tgt_in.begin() + 5, batch.tgt_in.begin() + 10),
            (std::vector<std::int32_t>{1, 9, 9, 8, 4}));
  EXPECT_EQ(std::vector<std::int32_t>(batch.targets.begin() + 10, batch.targets.end()),
            (std::vector<std::int32_t>{12, 2, -1, -1, -1}));
  EXPECT_EQ(std::vector<std::uint8_t>(batch.src_valid.begin() + 5, batch.src_valid.begin() + 10),
            (std::vector<std::uint8_t>{1, 1, 0, 0, 0}));
  Seq2SeqModel model(c);
  EXPECT_EQ(model.spec("encoder.embed_positions.weight").shape, (std::vector<std::size_t>{11, 8}));
  EXPECT_EQ(model.spec("decoder.layers.1.fc1.weight").shape, (std::vector<std::size_t>{16, 8}));
  EXPECT_EQ(model.spec("final_logits_bias").shape, (std::vector<std::size_t>{1, 13}));
  EXPECT_THROW(model.spec("lm_head.weight"), Error);
  std::vector<std::vector<std::int32_t>> too_long = {std::vector<std::int32_t>(10, 3)};
  std::vector<std::vector<std::int32_t>> empty = {{}};
  EXPECT_THROW(make_seq2seq_batch(c, too_long, empty), Error);
}

// A pad position's content does not change the real positions' logits or the loss.
TEST(Seq2Seq, PaddingDoesNotLeakIntoRealPositions) {
  Seq2SeqConfig c = bart_like();
  Seq2SeqModel model(c);
  randomize(model, 9);
  Seq2SeqBatch batch = sample_batch(c);
  float loss = model.forward(batch);
  std::vector<float> logits(model.logits().begin(), model.logits().end());
  batch.src[1 * batch.S + 3] = 7;     // under the source mask
  batch.tgt_in[2 * batch.T + 3] = 6;  // after the target's end
  EXPECT_FLOAT_EQ(model.forward(batch), loss);
  const std::size_t V = c.vocab_size;
  for (std::size_t b = 0; b < 3; ++b)
    for (std::size_t t = 0; t < batch.T; ++t)
      if (batch.targets[b * batch.T + t] >= 0) {
        for (std::size_t v = 0; v < V; ++v)
          EXPECT_FLOAT_EQ(model.logits()[(b * batch.T + t) * V + v], logits[(b * batch.T + t) * V + v]);
      }
}

std::vector<std::vector<std::int32_t>> test_sources() {
  return {{3, 4, 5, 6, 7, 8}, {9}, {10, 11, 3}, {12, 12, 4, 5}};
}

TEST(Seq2SeqGenerate, CachedGreedyEqualsRecomputation) {
  for (const Seq2SeqConfig& c : {bart_like(), vaswani_pre_ln()}) {
    Seq2SeqModel model(c);
    randomize(model, 3);
    std::size_t generated = 0;
    for (const auto& source : test_sources()) {
      Seq2SeqGenerateOptions options{.max_new_tokens = 8, .sampling = {.temperature = 0.0f}};
      auto cached = seq2seq_generate(model, {source}, options)[0];
      auto recomputed = seq2seq_greedy_uncached(model, source, 8);
      EXPECT_EQ(cached, recomputed);
      generated += cached.size();
    }
    EXPECT_GE(generated, 8u) << "the outputs should not all end at once";
  }
}

TEST(Seq2SeqGenerate, BatchedEqualsOneByOne) {
  Seq2SeqConfig c = bart_like();
  Seq2SeqModel model(c);
  randomize(model, 4);
  const auto sources = test_sources();
  for (float temperature : {0.0f, 1.0f}) {
    Seq2SeqGenerateOptions options{.max_new_tokens = 8,
                                   .sampling = {.temperature = temperature, .top_k = 5, .seed = 11}};
    auto batched = seq2seq_generate(model, sources, options);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      Seq2SeqGenerateOptions alone = options;
      alone.sampling.seed += i;  // row i of a batch samples with seed + i
      EXPECT_EQ(batched[i], seq2seq_generate(model, {sources[i]}, alone)[0]) << "source " << i;
    }
  }
  BeamSearchOptions beam{.beam_width = 3, .max_new_tokens = 8};
  auto beamed = seq2seq_beam_search(model, sources, beam);
  for (std::size_t i = 0; i < sources.size(); ++i)
    EXPECT_EQ(beamed[i], seq2seq_beam_search(model, {sources[i]}, beam)[0]) << "beam, source " << i;
}

TEST(Seq2SeqGenerate, BeamWidthOneIsGreedy) {
  for (const Seq2SeqConfig& c : {bart_like(), vaswani_pre_ln()}) {
    Seq2SeqModel model(c);
    randomize(model, 6);
    auto greedy =
        seq2seq_generate(model, test_sources(), {.max_new_tokens = 8, .sampling = {.temperature = 0.0f}});
    auto beam = seq2seq_beam_search(model, test_sources(), {.beam_width = 1, .max_new_tokens = 8});
    EXPECT_EQ(beam, greedy);
  }
}

}  // namespace
}  // namespace lmkit::nn
