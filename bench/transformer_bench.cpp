// Transformer benchmarks (see bench/transformers.sh, which runs them beside PyTorch):
//   transformer_bench peak                       FMA peak (register-only loop) and read bandwidth
//   transformer_bench gemm M N K REPS            sgemm GFLOP/s through lmkit's gemm()
//   transformer_bench gemm-vs-peak M N K ROUNDS  FMA peak and sgemm measured alternately, per-round ratio
//   transformer_bench train tiny|small B T STEPS training tokens/s (median step after one warm-up)
//   transformer_bench decode tiny|small CTX N    batch-1 decode tokens/s at CTX tokens of context,
//                                                with the KV cache and by recomputing the prefix
//   transformer_bench weights ROUNDS             GPT-2-small's matrices streamed through one-row
//                                                gemm() calls against a plain read of the same bytes
// Threads: --threads-style via LMKIT_THREADS (default: all cores) for both lmkit's pool and OpenBLAS.
#include <fmt/format.h>
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "lmkit/nn/adamw.hpp"
#include "lmkit/nn/gpt.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/memory.hpp"
#include "lmkit/util/thread_pool.hpp"

using namespace lmkit;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// GFLOP/s of one thread running independent FMA chains that never touch memory.
double fma_peak_one_thread(long iterations = 50'000'000) {
#if defined(__AVX512F__)
  using V = __m512;
  constexpr int lanes = 16;
  auto fma = [](V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); };
  V x = _mm512_set1_ps(1.0f), y = _mm512_set1_ps(0.999999f);
#else
  using V = __m256;
  constexpr int lanes = 8;
  auto fma = [](V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); };
  V x = _mm256_set1_ps(1.0f), y = _mm256_set1_ps(0.999999f);
#endif
  constexpr int chains = 12;
  V acc[chains];
  for (auto& a : acc) a = x;
  auto start = Clock::now();
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < chains; ++c) acc[c] = fma(acc[c], y, x);
  double s = seconds_since(start);
  float sink = 0;
  for (auto& a : acc) sink += reinterpret_cast<float*>(&a)[0];
  if (sink == 42.0f) fmt::print("");
  return 2.0 * lanes * chains * static_cast<double>(iterations) / s / 1e9;
}

// An array to measure read bandwidth on, 1 GiB. Its values differ from page to page like a model's
// weights do, so that a hypervisor merging identical pages (KSM) cannot back it with a few physical
// pages. (Checked on this VM: the same 37-or-63 GB/s readings as with a constant array.)
std::vector<float> bandwidth_array() {
  std::vector<float> data(std::size_t{1} << 28);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i % 1000003);
  return data;
}

// GB/s of all threads summing one array (the caller faults it in with a first pass).
double read_bandwidth(const std::vector<float>& data) {
  std::size_t threads = ThreadPool::default_threads();
  std::vector<float> sums(threads);
  auto start = Clock::now();
  ThreadPool::global().parallel_for(
      data.size(),
      [&](std::size_t b, std::size_t e) {
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        for (std::size_t i = b; i + 16 <= e; i += 16) {
          acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(&data[i]));
          acc1 = _mm256_add_ps(acc1, _mm256_loadu_ps(&data[i + 8]));
        }
        float tmp[8];
        _mm256_storeu_ps(tmp, _mm256_add_ps(acc0, acc1));
        sums[0] += tmp[0];
      },
      data.size() / threads);
  return static_cast<double>(data.size() * 4) / seconds_since(start) / 1e9;
}

void bench_peak() {
  std::size_t threads = ThreadPool::default_threads();
  double one = fma_peak_one_thread();
  std::vector<double> per(threads);
  ThreadPool::global().run(threads, [&](std::size_t i) { per[i] = fma_peak_one_thread(); });
  double all = 0;
  for (double p : per) all += p;
  std::vector<float> data = bandwidth_array();
  read_bandwidth(data);  // faults the pages in
  std::vector<double> bw;
  for (int rep = 0; rep < 3; ++rep) bw.push_back(read_bandwidth(data));
  fmt::print("gemm_backend {}\n", tensor::gemm_backend_name());
  fmt::print(
      "fma_peak_gflops_1thread {:.1f}\nfma_peak_gflops_{}threads {:.1f}\nread_bandwidth_gbs_{}threads "
      "{:.2f}\n",
      one, threads, all, threads, median(bw));
}

void bench_gemm(std::size_t M, std::size_t N, std::size_t K, int reps) {
  std::vector<float> A(M * K, 0.5f), B(K * N, 0.25f), C(M * N);
  tensor::gemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C.data(), N);
  std::vector<double> gflops;
  for (int r = 0; r < reps; ++r) {
    auto start = Clock::now();
    tensor::gemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C.data(), N);
    gflops.push_back(2.0 * M * N * K / seconds_since(start) / 1e9);
  }
  fmt::print("gemm {}x{}x{} gflops median {:.1f} min {:.1f} max {:.1f}\n", M, N, K, median(gflops),
             *std::min_element(gflops.begin(), gflops.end()),
             *std::max_element(gflops.begin(), gflops.end()));
}

double gemm_gflops(std::size_t M, std::size_t N, std::size_t K, int reps) {
  std::vector<float> A(M * K, 0.5f), B(K * N, 0.25f), C(M * N);
  tensor::gemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C.data(), N);
  std::vector<double> gflops;
  for (int r = 0; r < reps; ++r) {
    auto start = Clock::now();
    tensor::gemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C.data(), N);
    gflops.push_back(2.0 * M * N * K / seconds_since(start) / 1e9);
  }
  return median(gflops);
}

// The machine is shared, so the FMA peak and a GEMM are measured alternately, round after round,
// on the same number of threads; each round's ratio compares two figures taken moments apart.
void bench_gemm_vs_peak(std::size_t M, std::size_t N, std::size_t K, int rounds) {
  std::size_t threads = ThreadPool::default_threads();
  fmt::print("gemm_backend {}\n", tensor::gemm_backend_name());
  std::vector<double> ratios, peaks, gemms;
  for (int round = 0; round < rounds; ++round) {
    std::vector<double> per(threads);
    ThreadPool::global().run(threads, [&](std::size_t i) { per[i] = fma_peak_one_thread(3'000'000); });
    double peak = 0;
    for (double p : per) peak += p;
    double gemm = gemm_gflops(M, N, K, 3);
    ratios.push_back(gemm / peak);
    peaks.push_back(peak);
    gemms.push_back(gemm);
    fmt::print("round {} threads {} fma_peak {:.1f} gemm {}x{}x{} {:.1f} GFLOP/s ratio {:.2f}\n", round,
               threads, peak, M, N, K, gemm, gemm / peak);
  }
  // Best against best as well: each is the figure least disturbed by other work on the cores.
  const double best_gemm = *std::max_element(gemms.begin(), gemms.end());
  const double best_peak = *std::max_element(peaks.begin(), peaks.end());
  fmt::print(
      "gemm_vs_peak {}x{}x{} threads {} median_ratio {:.2f} min {:.2f} max {:.2f} best_gemm {:.1f} best_peak "
      "{:.1f} "
      "best_ratio {:.2f}\n",
      M, N, K, threads, median(ratios), *std::min_element(ratios.begin(), ratios.end()),
      *std::max_element(ratios.begin(), ratios.end()), best_gemm, best_peak, best_gemm / best_peak);
}

nn::GptConfig config_named(const std::string& name) {
  nn::GptConfig c;
  if (!nn::gpt_config_preset(name, c)) throw std::runtime_error("unknown config " + name);
  c.vocab_size = name == "tiny" ? 256 : 50257;
  return c;
}

void bench_train(const std::string& name, std::size_t B, std::size_t T, int steps) {
  nn::GptModel model(config_named(name));
  model.init_weights(1);
  nn::AdamW opt({}, model.parameters().size());
  std::vector<std::int32_t> tokens(B * T), targets(B * T);
  for (std::size_t i = 0; i < B * T; ++i)
    tokens[i] = static_cast<std::int32_t>((i * 7919) % 256),
    targets[i] = static_cast<std::int32_t>((i * 104729) % 256);
  std::vector<double> tok_s;
  for (int s = 0; s <= steps; ++s) {
    auto start = Clock::now();
    model.forward(tokens.data(), targets.data(), B, T);
    model.zero_grad();
    model.backward();
    nn::clip_grad_norm(model.gradients(), 1.0f);
    opt.step(model.parameters(), model.gradients(), model.parameter_specs(), 1e-4f);
    if (s > 0) tok_s.push_back(static_cast<double>(B * T) / seconds_since(start));
  }
  fmt::print("train {} B={} T={} tokens_per_s median {:.0f} min {:.0f} max {:.0f}\n", name, B, T,
             median(tok_s), *std::min_element(tok_s.begin(), tok_s.end()),
             *std::max_element(tok_s.begin(), tok_s.end()));
}

void bench_decode(const std::string& name, std::size_t ctx, int n) {
  nn::GptModel model(config_named(name));
  model.init_weights(1);
  std::vector<std::int32_t> prompt(ctx);
  for (std::size_t i = 0; i < ctx; ++i) prompt[i] = static_cast<std::int32_t>((i * 31) % 256);
  std::vector<std::int32_t> positions(ctx);
  for (std::size_t i = 0; i < ctx; ++i) positions[i] = static_cast<std::int32_t>(i);
  std::vector<float> logits(model.config().vocab_size);
  nn::KvCache cache = model.make_cache(1);
  model.forward_cached(cache, prompt.data(), positions.data(), nullptr, ctx, logits.data());
  const auto& c = model.config();
  // Every parameter is read once per token, but for the position table: one row of it.
  const std::size_t unread_positions =
      c.position == nn::PositionKind::learned ? (c.n_ctx - 1) * c.n_embd : std::size_t{0};
  double weight_bytes = 4.0 * static_cast<double>(model.parameters().size() - unread_positions);
  // The machine is shared, so each token's time is set against a read-bandwidth measurement taken
  // just before it: the fraction of the bound is a ratio of two figures moments apart.
  std::vector<float> data = bandwidth_array();
  read_bandwidth(data);
  std::vector<double> cached, fraction, bandwidth;
  for (int i = 0; i < n; ++i) {
    double bw = read_bandwidth(data);
    std::int32_t token = 1, position = static_cast<std::int32_t>(ctx + i);
    auto start = Clock::now();
    model.forward_cached(cache, &token, &position, nullptr, 1, logits.data());
    double rate = 1.0 / seconds_since(start);
    double bytes = weight_bytes + 4.0 * 2 * static_cast<double>(c.n_layer * (ctx + i + 1) * c.n_embd);
    cached.push_back(rate);
    bandwidth.push_back(bw);
    fraction.push_back(rate * bytes / 1e9 / bw);
  }
  // Without the cache each token reruns the whole prefix.
  std::vector<double> uncached;
  std::vector<std::int32_t> seq = prompt;
  for (int i = 0; i < std::max(2, n / 8); ++i) {
    seq.push_back(1);
    auto start = Clock::now();
    model.forward(seq.data(), nullptr, 1, seq.size());
    uncached.push_back(1.0 / seconds_since(start));
  }
  double kv_bytes = 4.0 * 2 * static_cast<double>(c.n_layer * (ctx + n / 2) * c.n_embd);
  fmt::print(
      "decode {} ctx={} cached_tokens_per_s median {:.2f} uncached_tokens_per_s median {:.3f} speedup "
      "{:.1f}x "
      "bytes_per_token {:.0f} MB\n",
      name, ctx, median(cached), median(uncached), median(cached) / median(uncached),
      (weight_bytes + kv_bytes) / 1e6);
  fmt::print(
      "decode {} ctx={} read_bandwidth_gbs median {:.2f} fraction_of_bandwidth_bound median {:.2f} min "
      "{:.2f} max {:.2f}\n",
      name, ctx, median(bandwidth), median(fraction), *std::min_element(fraction.begin(), fraction.end()),
      *std::max_element(fraction.begin(), fraction.end()));
}

}  // namespace

// Decoding's products alone: one row against each of GPT-2-small's 48 block matrices (B as is) and
// the tied unembedding (B transposed), every matrix in memory of its own, so cold as in decoding;
// GB/s of the products set against a plain read of the same bytes, the two alternately, per round.
void bench_weights(int rounds) {
  const std::size_t C = 768, V = 50257;
  struct Matrix {
    std::size_t K, N;
    StreamedFloats w;
  };
  std::vector<Matrix> blocks;
  double block_bytes = 0;
  for (int l = 0; l < 12; ++l)
    for (auto [K, N] : {std::pair{C, 3 * C}, {C, C}, {C, 4 * C}, {4 * C, C}}) {
      blocks.push_back({K, N, StreamedFloats(K * N)});
      for (std::size_t i = 0; i < K * N; ++i) blocks.back().w[i] = static_cast<float>((i + l) % 1009) * 1e-3f;
      block_bytes += 4.0 * static_cast<double>(K * N);
    }
  StreamedFloats wte(V * C);
  for (std::size_t i = 0; i < wte.size(); ++i) wte[i] = static_cast<float>(i % 997) * 1e-3f;
  std::vector<float> x(4 * C, 0.01f), y(4 * C), logits(V);
  auto read = [](const float* data, std::size_t n) {  // read_bandwidth's loop, over one matrix
    std::size_t threads = ThreadPool::default_threads();
    std::vector<float> sums(threads);
    ThreadPool::global().run(threads, [&](std::size_t t) {
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      for (std::size_t i = n * t / threads; i + 16 <= n * (t + 1) / threads; i += 16) {
        acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(data + i));
        acc1 = _mm256_add_ps(acc1, _mm256_loadu_ps(data + i + 8));
      }
      float tmp[8];
      _mm256_storeu_ps(tmp, _mm256_add_ps(acc0, acc1));
      sums[t] = tmp[0];
    });
    return sums[0];
  };
  std::vector<double> ratio_blocks, ratio_head;
  for (int r = 0; r < rounds; ++r) {
    auto start = Clock::now();
    float sink = 0;
    for (const auto& m : blocks) sink += read(m.w.data(), m.K * m.N);
    const double read_blocks = block_bytes / seconds_since(start) / 1e9;
    start = Clock::now();
    for (const auto& m : blocks)
      tensor::gemm(false, false, 1, m.N, m.K, 1.0f, x.data(), m.K, m.w.data(), m.N, 0.0f, y.data(), m.N);
    const double gemm_blocks = block_bytes / seconds_since(start) / 1e9;
    start = Clock::now();
    sink += read(wte.data(), wte.size());
    const double read_head = 4.0 * static_cast<double>(wte.size()) / seconds_since(start) / 1e9;
    start = Clock::now();
    tensor::gemm(false, true, 1, V, C, 1.0f, x.data(), C, wte.data(), C, 0.0f, logits.data(), V);
    const double gemm_head = 4.0 * static_cast<double>(wte.size()) / seconds_since(start) / 1e9;
    if (sink == 42.0f) fmt::print("");
    ratio_blocks.push_back(gemm_blocks / read_blocks);
    ratio_head.push_back(gemm_head / read_head);
    fmt::print("round {} blocks gemm {:.1f} read {:.1f} GB/s | unembedding gemm {:.1f} read {:.1f} GB/s\n", r,
               gemm_blocks, read_blocks, gemm_head, read_head);
  }
  fmt::print("weights threads {} gemm/read median: blocks {:.2f} unembedding {:.2f}\n",
             ThreadPool::default_threads(), median(ratio_blocks), median(ratio_head));
}

int main(int argc, char** argv) {
  keep_freed_memory();  // as the lmkit CLI does
  if (const char* t = std::getenv("LMKIT_THREADS")) ThreadPool::set_default_threads(std::stoul(t));
  tensor::set_gemm_threads(ThreadPool::default_threads());
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    fmt::print(stderr,
               "usage: transformer_bench peak | gemm M N K REPS | gemm-vs-peak M N K ROUNDS | train CONFIG B "
               "T STEPS | decode CONFIG CTX N | weights ROUNDS\n");
    return 2;
  }
  if (args[0] == "peak")
    bench_peak();
  else if (args[0] == "gemm" && args.size() == 5)
    bench_gemm(std::stoul(args[1]), std::stoul(args[2]), std::stoul(args[3]), std::stoi(args[4]));
  else if (args[0] == "gemm-vs-peak" && args.size() == 5)
    bench_gemm_vs_peak(std::stoul(args[1]), std::stoul(args[2]), std::stoul(args[3]), std::stoi(args[4]));
  else if (args[0] == "train" && args.size() == 5)
    bench_train(args[1], std::stoul(args[2]), std::stoul(args[3]), std::stoi(args[4]));
  else if (args[0] == "decode" && args.size() == 4)
    bench_decode(args[1], std::stoul(args[2]), std::stoi(args[3]));
  else if (args[0] == "weights" && args.size() == 2)
    bench_weights(std::stoi(args[1]));
  else {
    fmt::print(stderr, "transformer_bench: bad arguments\n");
    return 2;
  }
  return 0;
}
