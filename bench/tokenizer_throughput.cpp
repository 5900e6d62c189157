// Tokenizer encoding throughput: MB of UTF-8 text per second, on one thread and on the global pool.
//
//   build/release/bench/tokenizer_throughput --tokenizer gpt2 --file TEXT [--runs 5] [--threads N]
//
// TEXT holds one document per line, as the corpus reader's lines mode reads it. One warm-up pass fills the
// per-word caches; each timed run then encodes every document once. Prints one line per configuration: median
// (min-max) MB/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "lmkit/text/parallel_tokenize.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Tokenizer encoding throughput");
  std::string spec = "gpt2", file;
  int runs = 5;
  std::size_t threads = 0;
  app.add_option("--tokenizer", spec);
  app.add_option("--file", file)->required();
  app.add_option("--runs", runs);
  app.add_option("--threads", threads, "Threads for the parallel runs (0: all cores)");
  CLI11_PARSE(app, argc, argv);
  lmkit::ThreadPool::set_default_threads(threads);

  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "{}: cannot open\n", file);
    return 1;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  const std::string text = contents.str();
  std::vector<std::string_view> documents;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) documents.push_back(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
  }
  std::uint64_t bytes = 0;
  for (auto d : documents) bytes += d.size();

  auto tokenizer = lmkit::text::load_tokenizer(spec);
  std::uint64_t n_tokens = 0;
  auto one_thread = [&] {
    n_tokens = 0;
    for (auto d : documents) n_tokens += tokenizer->encode(d).size();
  };
  auto all_threads = [&] { lmkit::text::encode_parallel(*tokenizer, documents); };
  auto measure = [&](const char* label, const std::function<void()>& pass, std::size_t n_threads) {
    pass();  // warm-up: page cache, per-word caches
    std::vector<double> rates, cpu_rates;
    for (int r = 0; r < runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = process_cpu_seconds();
      pass();
      cpu_rates.push_back(static_cast<double>(bytes) / 1e6 / (process_cpu_seconds() - cpu_start));
      rates.push_back(static_cast<double>(bytes) / 1e6 / seconds_since(start));
    }
    const auto [min_rate, max_rate] = std::minmax_element(rates.begin(), rates.end());
    const auto [min_cpu, max_cpu] = std::minmax_element(cpu_rates.begin(), cpu_rates.end());
    fmt::print(
        "{} {} threads={}: wall {:.1f} MB/s median ({:.1f}-{:.1f}); {:.1f} MB per CPU-second "
        "({:.1f}-{:.1f})\n",
        spec, label, n_threads, median(rates), *min_rate, *max_rate, median(cpu_rates), *min_cpu, *max_cpu);
  };
  fmt::print("{}: {} documents, {:.2f} MB\n", file, documents.size(), static_cast<double>(bytes) / 1e6);
  measure("encode", one_thread, 1);
  fmt::print("tokens: {} ({:.2f} bytes/token)\n", n_tokens,
             static_cast<double>(bytes) / static_cast<double>(n_tokens));
  measure("encode_parallel", all_threads, lmkit::ThreadPool::global().size());
  return 0;
}
