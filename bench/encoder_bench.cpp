// Encoder throughput (bench/encoders.sh runs it beside bench/encoder_torch.py): sequences per second
// through lmkit's TransformerEncoder (post-LN, exact GELU, BERT's layout), forward only (inference),
// batches of B sequences of T positions with no padding.
//   encoder_bench small|base B T REPS
// small: 4 layers, 256 wide, 4 heads, MLP 1024; base: BERT-base's 12 layers, 768 wide, 12 heads, MLP 3072.
// Threads: LMKIT_THREADS (default: all cores) for both lmkit's pool and OpenBLAS.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "lmkit/nn/encoder.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/memory.hpp"
#include "lmkit/util/thread_pool.hpp"

using namespace lmkit;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  keep_freed_memory();  // as the lmkit CLI does
  if (argc != 5) {
    fmt::print(stderr, "usage: encoder_bench small|base B T REPS\n");
    return 2;
  }
  const std::string name = argv[1];
  const std::size_t B = std::stoul(argv[2]), T = std::stoul(argv[3]), reps = std::stoul(argv[4]);
  nn::EncoderConfig config;
  if (name == "small")
    config = {.n_layer = 4, .n_head = 4, .n_embd = 256, .n_inner = 1024};
  else if (name == "base")
    config = {.n_layer = 12, .n_head = 12, .n_embd = 768, .n_inner = 3072};
  else {
    fmt::print(stderr, "unknown size {}\n", name);
    return 2;
  }
  if (const char* t = std::getenv("LMKIT_THREADS")) ThreadPool::set_default_threads(std::stoul(t));
  const std::size_t threads = ThreadPool::default_threads();
  tensor::set_gemm_threads(threads);

  nn::ParameterTable table;
  nn::TransformerEncoder encoder(config, table, "encoder.");
  table.allocate();
  std::mt19937_64 rng(1);
  encoder.init_weights(table, rng);
  std::vector<float> x(B * T * config.n_embd);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto& v : x) v = normal(rng);
  std::vector<double> rates;
  for (std::size_t r = 0; r <= reps; ++r) {
    auto start = Clock::now();
    encoder.forward(table, x.data(), nullptr, B, T);
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (r > 0) rates.push_back(static_cast<double>(B) / s);  // the first is a warm-up
  }
  std::sort(rates.begin(), rates.end());
  fmt::print("lmkit encoder {} B={} T={} sequences_per_s median {:.1f} min {:.1f} max {:.1f} threads {}\n",
             name, B, T, rates[rates.size() / 2], rates.front(), rates.back(), threads);
}
