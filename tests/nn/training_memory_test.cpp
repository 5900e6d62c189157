// The training memory estimate (nn/training_memory.hpp) against what one training step of each model
// really allocates (glibc's count of bytes in use before and after its first forward and backward),
// and the refusal's message: the estimate, the batch and the limit.
#include "lmkit/nn/training_memory.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <vector>

#include "lmkit/nn/bert.hpp"
#include "lmkit/nn/gpt.hpp"
#include "lmkit/nn/seq2seq.hpp"
#include "lmkit/util/error.hpp"

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>
#define LMKIT_COUNTS_HEAP 1
#endif

namespace lmkit::nn {
namespace {

#ifdef LMKIT_COUNTS_HEAP
// Bytes the heap holds for the program now (arena blocks in use and mmap()ed blocks).
std::uint64_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// What a model's first training step allocates and keeps — its activations, and for GPT (which
// allocates them lazily) its gradients — lies within 25% of the estimate. `warm_up` first runs the
// same step on another instance, so that the kernels' own thread-local buffers are already sized.
template <typename WarmUp, typename Step>
void expect_estimate_close(std::uint64_t estimated_bytes, WarmUp warm_up, Step step) {
  warm_up();
  const std::uint64_t before = heap_in_use();
  step();
  const double measured = static_cast<double>(heap_in_use() - before);
  const double estimated = static_cast<double>(estimated_bytes);
  EXPECT_GT(measured, 100'000.0) << "the test's shapes are too small to measure";
  EXPECT_NEAR(estimated / measured, 1.0, 0.25)
      << "estimated " << estimated << " bytes, measured " << measured;
}

std::vector<std::int32_t> ids(std::size_t n, std::size_t vocab) {
  std::vector<std::int32_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::int32_t>((i * 7 + 3) % vocab);
  return out;
}

TEST(TrainingMemory, GptEstimateMatchesOneTrainingStep) {
  const GptConfig config{.n_layer = 2, .n_head = 4, .n_embd = 64, .n_ctx = 64, .vocab_size = 300};
  const std::size_t B = 4, T = 48;
  GptModel model(config);
  const auto tokens = ids(B * T, config.vocab_size), targets = ids(B * T, config.vocab_size - 1);
  const TrainingMemory estimate = gpt_training_memory(config, B, T);
  EXPECT_EQ(estimate.parameters, config.n_parameters() * 4);
  EXPECT_EQ(estimate.optimizer, 2 * estimate.parameters);
  GptModel other(config);
  auto step = [&](GptModel& m) {
    return [&] {
      m.forward(tokens.data(), targets.data(), B, T);
      m.zero_grad();
      m.backward();
    };
  };
  expect_estimate_close(estimate.gradients + estimate.activations, step(other), step(model));
}

TEST(TrainingMemory, BertEstimateMatchesOneTrainingStep) {
  BertConfig config;
  config.vocab_size = 200;
  config.hidden_size = 64;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.intermediate_size = 256;
  config.max_position_embeddings = 64;
  config.mlm_head = false;
  config.num_labels = 3;
  const std::size_t B = 4, T = 48;
  BertModel model(config);
  const auto tokens = ids(B * T, config.vocab_size);
  const std::vector<std::int32_t> labels = {0, 1, 2, 1};
  BertModel other(config);
  auto step = [&](BertModel& m) {
    return [&] {
      m.forward_classify(tokens.data(), nullptr, nullptr, labels.data(), B, T);
      m.zero_grad();
      m.backward();
    };
  };
  // The parameter table allocates the gradients with the parameters: the step adds activations only.
  expect_estimate_close(bert_training_memory(config, model.parameters().size(), B, T, 0).activations,
                        step(other), step(model));
}

TEST(TrainingMemory, Seq2SeqEstimateMatchesOneTrainingStep) {
  Seq2SeqConfig config;
  config.n_encoder_layer = 2;
  config.n_decoder_layer = 2;
  config.n_head = 4;
  config.n_embd = 64;
  config.n_ffn = 256;
  config.n_ctx = 64;
  config.vocab_size = 200;
  config.pad_id = 0, config.bos_id = 1, config.eos_id = 2, config.decoder_start_id = 1;
  Seq2SeqModel model(config);
  const std::vector<TokenPair> pairs(4, TokenPair{ids(40, 200), ids(31, 200)});
  const Seq2SeqBatch batch = sample_pair_batch(config, pairs, 4, 1, 0);
  Seq2SeqModel other(config);
  auto step = [&](Seq2SeqModel& m) {
    return [&] {
      m.forward(batch);
      m.zero_grad();
      m.backward();
    };
  };
  expect_estimate_close(seq2seq_training_memory(config, model.parameters().size(), 4, pairs, {}).activations,
                        step(other), step(model));
}
#endif

TEST(TrainingMemory, AnAbsurdBatchIsRefusedWithTheEstimateAndTheLimit) {
  GptConfig config;
  ASSERT_TRUE(gpt_config_preset("tiny", config));
  config.vocab_size = 256;
  const MemoryLimit limit{std::uint64_t{1} << 30, "RLIMIT_AS"};
  EXPECT_NO_THROW(check_training_memory(gpt_training_memory(config, 8, 128), limit));
  try {
    check_training_memory(gpt_training_memory(config, 100'000'000, 128), limit);
    FAIL() << "a batch of 10^8 windows fits in 1 GiB?";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("training needs about "), std::string::npos) << message;
    EXPECT_NE(message.find("TiB"), std::string::npos) << message;
    EXPECT_NE(message.find("batch 100000000 × ctx 128"), std::string::npos) << message;
    EXPECT_NE(message.find("at most 1.0 GiB (RLIMIT_AS)"), std::string::npos) << message;
  }
}

TEST(TrainingMemory, SizesPast64BitsSaturateAndAreRefused) {
  GptConfig config;
  ASSERT_TRUE(gpt_config_preset("small", config));
  config.vocab_size = 50257;
  const TrainingMemory m = gpt_training_memory(config, std::uint64_t{1} << 40, 1024);
  EXPECT_EQ(m.activations, UINT64_MAX);
  EXPECT_EQ(m.total(), UINT64_MAX);
  EXPECT_THROW(check_training_memory(m, {UINT64_MAX - 1, "physical memory"}), Error);
}

TEST(AllocationFailure, AKvCacheBeyondTheMemoryLimitIsAnErrorNamingItAndItsSize) {
  const GptModel model(GptConfig{.n_layer = 1, .n_head = 2, .n_embd = 4, .n_ctx = 3, .vocab_size = 5});
  const std::size_t rows = std::size_t{1} << 40;  // 96 TiB of keys and values
  try {
    model.make_cache(rows);
    FAIL() << "a 96 TiB KV cache was allocated";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot allocate 96.0 TiB for the KV cache of 1099511627776 rows × 3 positions "
                           "(105553116266496 bytes): not enough memory (this process may use at most "),
              std::string::npos)
        << message;
  }
  // Sizes past 2^64 saturate instead of wrapping to a small allocation that "succeeds".
  EXPECT_THROW(model.make_cache(std::numeric_limits<std::size_t>::max() / 2), Error);
}

#if !defined(__SANITIZE_ADDRESS__)
// The process's address space now, in bytes.
std::uint64_t address_space_in_use() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

// A size under the limit that the system still refuses (the address space is partly used already):
// std::bad_alloc becomes the same Error. Run in a child process, whose address space is capped.
[[noreturn]] void allocate_under_a_capped_address_space() {
  const std::uint64_t limit = address_space_in_use() + (std::uint64_t{256} << 20);
  const rlimit cap{limit, limit};
  if (setrlimit(RLIMIT_AS, &cap) != 0) std::_Exit(3);
  const GptModel model(GptConfig{.n_layer = 1, .n_head = 2, .n_embd = 64, .n_ctx = 8, .vocab_size = 5});
  // Keys and values of 2 × 8 × 64 floats per row: just under the limit in all.
  const std::size_t rows = (limit - (std::uint64_t{1} << 20)) / (2 * 8 * 64 * sizeof(float));
  try {
    model.make_cache(rows);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::_Exit(0);
  }
  std::_Exit(4);
}

TEST(AllocationFailure, BadAllocUnderTheLimitIsTheSameError) {
  EXPECT_EXIT(allocate_under_a_capped_address_space(), ::testing::ExitedWithCode(0),
              "cannot allocate .* for the KV cache of [0-9]+ rows × 8 positions .*RLIMIT_AS");
}
#endif

TEST(TrainingMemory, TheLimitIsKnownAndFormatted) {
  const MemoryLimit limit = memory_limit();
  EXPECT_GT(limit.bytes, std::uint64_t{1} << 20);
  EXPECT_FALSE(limit.source.empty());
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(std::uint64_t{12} << 30), "12.0 GiB");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
}

}  // namespace
}  // namespace lmkit::nn
