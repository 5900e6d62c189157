// Encoder-decoder generation throughput (see bench/seq2seq.sh, which runs it beside PyTorch):
//   seq2seq_bench generate B S T REPS   B sources of S tokens, T greedy tokens each (the end token is
//                                       made impossible, so every row runs T steps); prints generated
//                                       tokens/s, median (min–max) over REPS after one warm-up
// The model is BART-shaped (post-LN, GELU, learned positions, layernorm_embedding): 4 + 4 layers,
// width 256, 4 heads, MLP 1024, vocabulary 2052 (the KJV demo tokenizer's 2048 + 4), random weights.
// Threads via LMKIT_THREADS (default: all cores) for both lmkit's pool and OpenBLAS.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "lmkit/nn/seq2seq_generate.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/memory.hpp"
#include "lmkit/util/thread_pool.hpp"

using namespace lmkit;
using Clock = std::chrono::steady_clock;

namespace {

nn::Seq2SeqConfig bench_config() {
  return {.n_encoder_layer = 4,
          .n_decoder_layer = 4,
          .n_head = 4,
          .n_embd = 256,
          .n_ffn = 1024,
          .n_ctx = 512,
          .vocab_size = 2052,
          .position_offset = 2,
          .activation = nn::FfnActivation::gelu,
          .layernorm_embedding = true,
          .final_logits_bias = true,
          .pad_id = 2048,
          .bos_id = 2049,
          .eos_id = 2050,
          .decoder_start_id = 2049,
          .mask_id = 2051};
}

int generate(std::size_t B, std::size_t S, std::size_t T, std::size_t reps) {
  nn::Seq2SeqModel model(bench_config());
  model.init_weights(1);
  const auto& c = model.config();
  model.parameters()[model.spec("final_logits_bias").offset + static_cast<std::size_t>(c.eos_id)] = -1e4f;
  std::vector<std::vector<std::int32_t>> sources(B, std::vector<std::int32_t>(S));
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t s = 0; s < S; ++s)
      sources[b][s] = static_cast<std::int32_t>((b * 7919 + s * 104729) % 2048);
  nn::Seq2SeqGenerateOptions options{.max_new_tokens = T, .sampling = {.temperature = 0.0f}};
  std::vector<double> rates;
  for (std::size_t r = 0; r <= reps; ++r) {
    auto start = Clock::now();
    auto out = nn::seq2seq_generate(model, sources, options);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::size_t n = 0;
    for (const auto& o : out) n += o.size();
    if (n != B * T) {
      fmt::print(stderr, "generated {} tokens, expected {}\n", n, B * T);
      return 1;
    }
    if (r > 0) rates.push_back(static_cast<double>(n) / seconds);
  }
  std::sort(rates.begin(), rates.end());
  fmt::print(
      "lmkit seq2seq generate B={} S={} T={} tokens_per_s median {:.0f} min {:.0f} max {:.0f} threads {}\n",
      B, S, T, rates[rates.size() / 2], rates.front(), rates.back(), ThreadPool::default_threads());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();  // as the lmkit CLI does
  if (const char* t = std::getenv("LMKIT_THREADS")) ThreadPool::set_default_threads(std::stoul(t));
  tensor::set_gemm_threads(ThreadPool::default_threads());
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 5 && args[0] == "generate")
    return generate(std::stoul(args[1]), std::stoul(args[2]), std::stoul(args[3]), std::stoul(args[4]));
  fmt::print(stderr, "usage: seq2seq_bench generate B S T REPS\n");
  return 2;
}
