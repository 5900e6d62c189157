// Latency (thread CPU time) of ∞-gram queries on one index: median and p99 of count (n = 1, 2, 5, 10, 100),
// prob, 5-gram ntd, infgram_prob, infgram_ntd; tokens/s of document scoring; queries/s on 1 and 2 threads;
// and the physical bound: the latency of one dependent random memory read, measured here by a
// pointer chase, times 2·log2(N) (a binary search over N suffixes reads a table entry and then the
// token data it points to at every step).
//
//   query_bench INDEX_DIR [QUERIES]     (INDEX_DIR from make_query_index, with held_out.jsonl)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <thread>

#include <time.h>

#include <fmt/format.h>

#include "lmkit/ngram/open.hpp"
#include "lmkit/util/json.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Ids = std::vector<std::uint32_t>;

// This thread's CPU time in µs. The shared machines run several times more threads than cores, so
// wall time mostly measures waiting for a core; CPU time (page faults included) measures the query.
double cpu_micros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Reads one byte of every page, so the process's page tables map the whole (cached) file: the
// benchmark measures warm queries, not first-touch page faults.
std::uint64_t prefault(const lmkit::MappedFile& file) {
  std::uint64_t sum = 0;
  for (std::size_t at = 0; at < file.size(); at += 4096) sum += file.data()[at];
  return sum;
}

// Times fn(i) for every i after a warm-up pass over the first tenth; returns per-query CPU µs.
template <typename Fn>
std::vector<double> time_each(std::size_t n, Fn&& fn) {
  for (std::size_t i = 0; i < n / 10; ++i) fn(i);
  std::vector<double> us(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double start = cpu_micros();
    fn(i);
    us[i] = cpu_micros() - start;
  }
  std::sort(us.begin(), us.end());
  return us;
}

double percentile(const std::vector<double>& sorted, double p) {
  return sorted[std::min(sorted.size() - 1,
                         static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

// Nanoseconds per dependent read: a random cyclic walk over `bytes` of memory.
double dependent_read_ns(std::size_t bytes) {
  const std::size_t n = bytes / sizeof(std::uint64_t);
  std::vector<std::uint64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(1));
  std::vector<std::uint64_t> next(n);
  for (std::size_t i = 0; i < n; ++i) next[order[i]] = order[(i + 1) % n];
  std::uint64_t at = order[0];
  const std::size_t hops = 10'000'000;
  const double start = cpu_micros();
  for (std::size_t i = 0; i < hops; ++i) at = next[at];
  const double ns = (cpu_micros() - start) * 1000 / hops;
  if (at == n) std::puts("");  // keeps the walk from being optimized away
  return ns;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: query_bench INDEX_DIR [QUERIES]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::size_t n_queries = argc > 2 ? std::stoul(argv[2]) : 5000;
  const auto opened = lmkit::ngram::open_index(dir);
  const auto& engine = *opened->engine;
  const auto& shard = opened->index.shards().at(0);
  const std::uint64_t N = engine.token_count();
  fmt::print("index {}: {} positions, {} documents, {}-byte tokens, {}-byte pointers\n", dir, N,
             engine.doc_count(), engine.token_width(), shard.pointer_width());

  // Queries drawn from the corpus with a fixed seed: n-grams inside one document.
  std::mt19937_64 rng(42);
  auto corpus_ngram = [&](std::size_t n) {
    for (;;) {
      const std::uint64_t at = rng() % (shard.n_positions() - n);
      Ids ids;
      for (std::size_t i = 0; i < n; ++i) ids.push_back(shard.token_at((at + i) * shard.token_width()));
      if (std::find(ids.begin(), ids.end(), shard.separator()) == ids.end()) return ids;
    }
  };
  std::vector<Ids> held_out;
  {
    std::ifstream in(dir + "/held_out.jsonl");
    for (std::string line; std::getline(in, line);)
      held_out.push_back(lmkit::parse_json(line, "held_out.jsonl")["query_ids"].get<Ids>());
  }
  if (held_out.empty()) {
    std::fprintf(stderr, "%s/held_out.jsonl: missing or empty\n", dir.c_str());
    return 1;
  }

  std::uint64_t sink =
      prefault(shard.tokenized_file()) + prefault(shard.table_file()) + prefault(shard.offset_file());
  const double read_ns = dependent_read_ns(std::size_t{1} << 30);
  const double bound_us = 2 * std::log2(static_cast<double>(N)) * read_ns / 1000;
  fmt::print("dependent random read (1 GiB pointer chase): {:.1f} ns; 2*log2(N) reads = {:.2f} us\n", read_ns,
             bound_us);
  fmt::print("{:<28} {:>10} {:>10} {:>12}\n", "query", "median us", "p99 us", "median/bound");
  auto report = [&](const std::string& name, const std::vector<double>& us) {
    fmt::print("{:<28} {:>10.2f} {:>10.2f} {:>12.2f}\n", name, percentile(us, 0.5), percentile(us, 0.99),
               percentile(us, 0.5) / bound_us);
  };

  for (const std::size_t n : {1, 2, 5, 10, 100}) {
    std::vector<Ids> qs(n_queries);
    for (auto& q : qs) q = corpus_ngram(n);
    report(fmt::format("count n={}", n),
           time_each(n_queries, [&](std::size_t i) { sink += engine.count(qs[i]); }));
  }
  {
    std::vector<Ids> qs(n_queries);
    for (auto& q : qs) q = corpus_ngram(5);
    report("prob (4-token prompt)", time_each(n_queries, [&](std::size_t i) {
             sink += engine.prob({qs[i].data(), 4}, qs[i][4]).cont_cnt;
           }));
    report("ntd 5-gram (max_support 1000)", time_each(n_queries, [&](std::size_t i) {
             sink += engine.ntd({qs[i].data(), 4}, 1000).prompt_cnt;
           }));
  }
  {
    // ∞-gram prompts: 50 tokens of held-out text ending at a random place, and the next token.
    std::vector<Ids> qs(n_queries);
    for (auto& q : qs) {
      const auto& doc = held_out[rng() % held_out.size()];
      const std::size_t end = 50 + rng() % (doc.size() - 51);
      q.assign(doc.begin() + static_cast<std::ptrdiff_t>(end - 50),
               doc.begin() + static_cast<std::ptrdiff_t>(end + 1));
    }
    std::uint64_t suffix_sum = 0;
    report("infgram_prob (50-token ctx)", time_each(n_queries, [&](std::size_t i) {
             const auto r = engine.infgram_prob({qs[i].data(), 50}, qs[i][50]);
             suffix_sum += r.suffix_len;
           }));
    fmt::print("  mean suffix_len {:.2f}\n", static_cast<double>(suffix_sum) / (n_queries + n_queries / 10));
    report("infgram_ntd (50-token ctx)", time_each(n_queries / 5, [&](std::size_t i) {
             sink += engine.infgram_ntd({qs[i].data(), 50}, 1000).ntd.prompt_cnt;
           }));
  }
  {
    // Scoring: every held-out document, three passes, the median pass quoted.
    std::vector<double> rates;
    std::uint64_t tokens = 0;
    for (const auto& doc : held_out) tokens += doc.size();
    for (int pass = 0; pass < 3; ++pass) {
      const auto start = Clock::now();
      for (const auto& doc : held_out) sink += engine.score(doc).back().cont_cnt;
      rates.push_back(static_cast<double>(tokens) /
                      std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::sort(rates.begin(), rates.end());
    fmt::print(
        "score: {} tokens in {} documents: {:.0f} tokens/s (min {:.0f}, max {:.0f}); {:.2f} us/token\n",
        tokens, held_out.size(), rates[1], rates[0], rates[2], 1e6 / rates[1]);
  }
  {
    // Throughput of concurrent count (n = 5) queries, in wall time: on a shared machine this
    // depends on how much of the cores the other tenants leave.
    std::vector<Ids> qs(n_queries);
    for (auto& q : qs) q = corpus_ngram(5);
    for (const unsigned threads : {1u, 2u}) {
      std::vector<std::thread> pool;
      std::vector<std::uint64_t> sinks(threads);
      const auto start = Clock::now();
      for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          for (std::size_t i = 0; i < qs.size(); ++i)
            sinks[t] += engine.count(qs[(i + t * 7919) % qs.size()]);
        });
      for (auto& th : pool) th.join();
      const double secs = std::chrono::duration<double>(Clock::now() - start).count();
      fmt::print("count n=5 throughput, {} thread(s): {:.0f} queries/s\n", threads,
                 static_cast<double>(threads * qs.size()) / secs);
    }
  }
  if (sink == 42) std::puts("");
  return 0;
}
