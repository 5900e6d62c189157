// Suffix sorting for the index: lmkit's SA-IS against divsufsort64 (over the bytes, keeping
// token-aligned positions) on the same tokenized file, alternating runs, checking identical arrays.
//
//   index_sa_bench FILE TOKEN_WIDTH [RUNS]        side by side, prints per-run and median times
//   index_sa_bench FILE TOKEN_WIDTH 1 sais        one construction only (for /usr/bin/time -v)
//   index_sa_bench FILE TOKEN_WIDTH 1 divsufsort
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "lmkit/index/suffix_array.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/mapped_file.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds of the calling thread: both constructions are single-threaded, and on a shared,
// loaded machine CPU time is far steadier than wall time.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lmkit;
  if (argc < 3) {
    fmt::print(stderr, "usage: {} FILE TOKEN_WIDTH [RUNS] [sais|divsufsort]\n", argv[0]);
    return 2;
  }
  try {
    const std::string path = argv[1];
    const int width = std::atoi(argv[2]);
    const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
    const std::string only = argc > 4 ? argv[4] : "";
    MappedFile file = MappedFile::open(path, AccessHint::sequential);
    // An aligned, writable copy: sort_suffixes ranks tokens in place.
    std::vector<std::uint64_t> storage((file.size() + 7) / 8);
    auto* bytes = reinterpret_cast<std::uint8_t*>(storage.data());
    std::copy(file.data(), file.data() + file.size(), bytes);
    std::span<std::uint8_t> tokens(bytes, file.size());
    const index::TokenText text{tokens, width};
    const std::uint64_t n = text.n_tokens();
    const double megabytes = static_cast<double>(file.size()) / 1e6;
    fmt::print("input {}: {} bytes, {} tokens of {} bytes\n", path, file.size(), n, width);

    std::vector<double> sais_times, divsufsort_times, sais_cpu, divsufsort_cpu;
    std::vector<std::uint32_t> sais_sa;
    for (int run = 0; run < runs; ++run) {
      if (only != "divsufsort") {
        sais_sa.assign(n, 0);
        auto start = Clock::now();
        const double cpu_start = thread_cpu_seconds();
        index::sort_suffixes(tokens, width, sais_sa);
        sais_cpu.push_back(thread_cpu_seconds() - cpu_start);
        sais_times.push_back(seconds_since(start));
        fmt::print("run {} sais         wall {:8.2f} s  cpu {:8.2f} s  {:7.2f} MB/s (cpu)\n", run,
                   sais_times.back(), sais_cpu.back(), megabytes / sais_cpu.back());
        std::fflush(stdout);
      }
      if (only != "sais") {
        auto start = Clock::now();
        const double cpu_start = thread_cpu_seconds();
        std::vector<std::uint64_t> reference = index::sort_suffixes_divsufsort(text);
        divsufsort_cpu.push_back(thread_cpu_seconds() - cpu_start);
        divsufsort_times.push_back(seconds_since(start));
        fmt::print("run {} divsufsort64 wall {:8.2f} s  cpu {:8.2f} s  {:7.2f} MB/s (cpu)\n", run,
                   divsufsort_times.back(), divsufsort_cpu.back(), megabytes / divsufsort_cpu.back());
        std::fflush(stdout);
        if (only.empty() && !std::equal(reference.begin(), reference.end(), sais_sa.begin(), sais_sa.end())) {
          fmt::print(stderr, "MISMATCH: the suffix arrays differ\n");
          return 1;
        }
      }
    }
    auto summarize = [&](const char* name, const std::vector<double>& wall, const std::vector<double>& cpu) {
      if (wall.empty()) return;
      fmt::print(
          "{} median wall {:.2f} s (min {:.2f}, max {:.2f}); median cpu {:.2f} s (min {:.2f}, max {:.2f}); "
          "{:.2f} MB/s (cpu)\n",
          name, median(wall), *std::min_element(wall.begin(), wall.end()),
          *std::max_element(wall.begin(), wall.end()), median(cpu), *std::min_element(cpu.begin(), cpu.end()),
          *std::max_element(cpu.begin(), cpu.end()), megabytes / median(cpu));
    };
    summarize("sais", sais_times, sais_cpu);
    summarize("divsufsort64", divsufsort_times, divsufsort_cpu);
    if (only.empty())
      fmt::print("identical suffix arrays; speedup sais / divsufsort64: {:.2f}x wall, {:.2f}x cpu\n",
                 median(divsufsort_times) / median(sais_times), median(divsufsort_cpu) / median(sais_cpu));
  } catch (const lmkit::Error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
