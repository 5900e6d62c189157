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

    std::vector<double> sais_times, divsufsort_times;
    std::vector<std::uint32_t> sais_sa;
    for (int run = 0; run < runs; ++run) {
      if (only != "divsufsort") {
        sais_sa.assign(n, 0);
        auto start = Clock::now();
        index::sort_suffixes(tokens, width, sais_sa);
        sais_times.push_back(seconds_since(start));
        fmt::print("run {} sais        {:8.2f} s  {:7.2f} MB/s\n", run, sais_times.back(),
                   megabytes / sais_times.back());
      }
      if (only != "sais") {
        auto start = Clock::now();
        std::vector<std::uint64_t> reference = index::sort_suffixes_divsufsort(text);
        divsufsort_times.push_back(seconds_since(start));
        fmt::print("run {} divsufsort64 {:8.2f} s  {:7.2f} MB/s\n", run, divsufsort_times.back(),
                   megabytes / divsufsort_times.back());
        if (only.empty() && !std::equal(reference.begin(), reference.end(), sais_sa.begin(), sais_sa.end())) {
          fmt::print(stderr, "MISMATCH: the suffix arrays differ\n");
          return 1;
        }
      }
    }
    if (!sais_times.empty())
      fmt::print("sais median {:.2f} s (min {:.2f}, max {:.2f}), {:.2f} MB/s\n", median(sais_times),
                 *std::min_element(sais_times.begin(), sais_times.end()),
                 *std::max_element(sais_times.begin(), sais_times.end()), megabytes / median(sais_times));
    if (!divsufsort_times.empty())
      fmt::print("divsufsort64 median {:.2f} s (min {:.2f}, max {:.2f}), {:.2f} MB/s\n",
                 median(divsufsort_times), *std::min_element(divsufsort_times.begin(), divsufsort_times.end()),
                 *std::max_element(divsufsort_times.begin(), divsufsort_times.end()),
                 megabytes / median(divsufsort_times));
    if (only.empty())
      fmt::print("identical suffix arrays; speedup sais / divsufsort64 = {:.2f}x\n",
                 median(divsufsort_times) / median(sais_times));
  } catch (const lmkit::Error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
