// Latency of ∞-gram queries on one index: median and p99 of count (n = 1, 2, 5, 10, 100), prob,
// 5-gram ntd, infgram_prob, infgram_ntd; tokens/s of document scoring; queries/s on 1 and 2 threads;
// and the physical bound: the latency of one dependent random memory read, measured here by a
// pointer chase, times 2·log2(N) (a binary search over N suffixes reads a table entry and then the
// token data it points to at every step).
//
//   query_bench INDEX_DIR HELD_OUT.jsonl [QUERIES]           warm page cache; thread CPU time
//   query_bench INDEX_DIR HELD_OUT.jsonl [QUERIES] --cold    every query from a cold page cache; wall time
//
// HELD_OUT.jsonl: documents the index has not seen, one JSON object per line with "text" (tokenized
// with the index's tokenizer) or "query_ids"; they give the ∞-gram prompts and the scored documents.
//
// Cold: before each query (each scored document) the index files leave the page cache without root:
// this process drops its mappings of them (madvise MADV_DONTNEED), then the kernel drops their clean
// cached pages (posix_fadvise POSIX_FADV_DONTNEED); mincore() then counts what is still resident.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

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

double wall_micros() {
  return std::chrono::duration<double, std::micro>(Clock::now().time_since_epoch()).count();
}

// The index files of one shard, to push out of the page cache (cold mode).
class PageCache {
 public:
  explicit PageCache(std::vector<const lmkit::MappedFile*> files) : files_(std::move(files)) {
    for (const auto* f : files_) {
      fds_.push_back(::open(f->path().c_str(), O_RDONLY));
      if (fds_.back() < 0) throw std::runtime_error(f->path() + ": cannot open");
    }
  }
  ~PageCache() {
    for (int fd : fds_) ::close(fd);
  }
  PageCache(const PageCache&) = delete;
  PageCache& operator=(const PageCache&) = delete;

  // Drops the files' pages: first this process's mappings of them (pages mapped by a process stay
  // cached), then the cached pages themselves (clean ones only: the files are not being written).
  void evict() const {
    for (std::size_t i = 0; i < files_.size(); ++i) {
      auto* data = const_cast<std::uint8_t*>(files_[i]->data());
      if (::madvise(data, files_[i]->size(), MADV_DONTNEED) != 0) throw std::runtime_error("madvise failed");
      if (::posix_fadvise(fds_[i], 0, 0, POSIX_FADV_DONTNEED) != 0)
        throw std::runtime_error("fadvise failed");
    }
  }
  // Pages of the files in the page cache (mincore on the mappings), and their total.
  std::pair<std::size_t, std::size_t> resident_pages() const {
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::size_t resident = 0, total = 0;
    for (const auto* f : files_) {
      const std::size_t pages = (f->size() + page - 1) / page;
      std::vector<unsigned char> in_core(pages);
      if (::mincore(const_cast<std::uint8_t*>(f->data()), f->size(), in_core.data()) != 0)
        throw std::runtime_error("mincore failed");
      for (unsigned char c : in_core) resident += c & 1;
      total += pages;
    }
    return {resident, total};
  }

 private:
  std::vector<const lmkit::MappedFile*> files_;
  std::vector<int> fds_;
};

// Times fn(i) for every i; returns per-query µs, sorted. Warm: after a warm-up pass over the first
// tenth, in thread CPU time. Cold (cache != null): the page cache emptied before each query, in wall
// time (the query waits for the disk, which CPU time would not count).
template <typename Fn>
std::vector<double> time_each(std::size_t n, const PageCache* cache, Fn&& fn) {
  if (!cache)
    for (std::size_t i = 0; i < n / 10; ++i) fn(i);
  auto now = cache ? wall_micros : cpu_micros;
  std::vector<double> us(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (cache) cache->evict();
    const double start = now();
    fn(i);
    us[i] = now() - start;
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
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool cold = std::erase(args, "--cold") > 0;
  if (args.size() < 2) {
    std::fprintf(stderr, "usage: query_bench INDEX_DIR HELD_OUT.jsonl [QUERIES] [--cold]\n");
    return 2;
  }
  const std::string dir = args[0];
  const std::size_t n_queries = args.size() > 2 ? std::stoul(args[2]) : (cold ? 200 : 5000);
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
  // Held-out documents of at least 52 tokens (a 50-token prompt, its next token, one more), scored
  // up to their first 1000 tokens.
  std::vector<Ids> held_out;
  {
    std::ifstream in(args[1]);
    for (std::string line; std::getline(in, line);) {
      const auto doc = lmkit::parse_json(line, args[1]);
      Ids ids;
      if (doc.contains("query_ids")) {
        ids = doc["query_ids"].get<Ids>();
      } else {
        if (!opened->tokenizer) throw std::runtime_error(dir + ": the index names no tokenizer for \"text\"");
        ids = opened->tokenizer->encode(doc["text"].get<std::string>());
      }
      if (ids.size() > 1000) ids.resize(1000);
      if (ids.size() >= 52) held_out.push_back(std::move(ids));
    }
  }
  if (held_out.empty()) {
    std::fprintf(stderr, "%s: missing, or no document of 52 tokens or more\n", args[1].c_str());
    return 1;
  }

  std::unique_ptr<PageCache> cache;
  std::uint64_t sink = 0;
  double bound_us = 0;
  if (cold) {
    cache = std::make_unique<PageCache>(std::vector<const lmkit::MappedFile*>{
        &shard.tokenized_file(), &shard.table_file(), &shard.offset_file()});
    const auto before = cache->resident_pages();
    cache->evict();
    const auto after = cache->resident_pages();
    sink += engine.count(held_out[0]);
    const auto one_query = cache->resident_pages();
    fmt::print(
        "cold: index pages in the page cache: {} of {} before eviction, {} after, {} after one count query\n",
        before.first, before.second, after.first, one_query.first);
    fmt::print("{:<28} {:>10} {:>10}\n", "query (cold, wall time)", "median us", "p99 us");
  } else {
    sink += prefault(shard.tokenized_file()) + prefault(shard.table_file()) + prefault(shard.offset_file());
    const double read_ns = dependent_read_ns(std::size_t{1} << 30);
    bound_us = 2 * std::log2(static_cast<double>(N)) * read_ns / 1000;
    fmt::print("dependent random read (1 GiB pointer chase): {:.1f} ns; 2*log2(N) reads = {:.2f} us\n",
               read_ns, bound_us);
    fmt::print("{:<28} {:>10} {:>10} {:>12}\n", "query (warm, CPU time)", "median us", "p99 us",
               "median/bound");
  }
  auto report = [&](const std::string& name, const std::vector<double>& us) {
    fmt::print("{:<28} {:>10.2f} {:>10.2f}", name, percentile(us, 0.5), percentile(us, 0.99));
    if (!cold) fmt::print(" {:>12.2f}", percentile(us, 0.5) / bound_us);
    fmt::print("\n");
  };

  for (const std::size_t n : {1, 2, 5, 10, 100}) {
    std::vector<Ids> qs(n_queries);
    for (auto& q : qs) q = corpus_ngram(n);
    report(fmt::format("count n={}", n),
           time_each(n_queries, cache.get(), [&](std::size_t i) { sink += engine.count(qs[i]); }));
  }
  {
    std::vector<Ids> qs(n_queries);
    for (auto& q : qs) q = corpus_ngram(5);
    report("prob (4-token prompt)", time_each(n_queries, cache.get(), [&](std::size_t i) {
             sink += engine.prob({qs[i].data(), 4}, qs[i][4]).cont_cnt;
           }));
    report("ntd 5-gram (max_support 1000)", time_each(n_queries, cache.get(), [&](std::size_t i) {
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
    report("infgram_prob (50-token ctx)", time_each(n_queries, cache.get(), [&](std::size_t i) {
             const auto r = engine.infgram_prob({qs[i].data(), 50}, qs[i][50]);
             suffix_sum += r.suffix_len;
           }));
    fmt::print(
        "  mean suffix_len {:.2f}\n",
        static_cast<double>(suffix_sum) / static_cast<double>(n_queries + (cold ? 0 : n_queries / 10)));
    report("infgram_ntd (50-token ctx)", time_each(n_queries / 5, cache.get(), [&](std::size_t i) {
             sink += engine.infgram_ntd({qs[i].data(), 50}, 1000).ntd.prompt_cnt;
           }));
  }
  {
    // Scoring: warm, every held-out document, three passes, the median pass quoted, in thread CPU
    // time (tokens per CPU-second: per core) and in wall time. Cold: the first 20 documents, each
    // from a cold page cache, in wall time.
    const std::size_t n_docs = cold ? std::min<std::size_t>(20, held_out.size()) : held_out.size();
    std::uint64_t tokens = 0;
    for (std::size_t d = 0; d < n_docs; ++d) tokens += held_out[d].size();
    std::vector<double> cpu_rates, wall_rates;
    std::uint64_t suffix_sum = 0;
    for (int pass = 0; pass < (cold ? 1 : 3); ++pass) {
      double cpu = 0, wall = 0;
      for (std::size_t d = 0; d < n_docs; ++d) {
        if (cache) cache->evict();
        const double cpu_start = cpu_micros(), wall_start = wall_micros();
        const auto scores = engine.score(held_out[d]);
        cpu += cpu_micros() - cpu_start;
        wall += wall_micros() - wall_start;
        for (const auto& score : scores) suffix_sum += score.suffix_len;
      }
      cpu_rates.push_back(static_cast<double>(tokens) / cpu * 1e6);
      wall_rates.push_back(static_cast<double>(tokens) / wall * 1e6);
    }
    std::sort(cpu_rates.begin(), cpu_rates.end());
    std::sort(wall_rates.begin(), wall_rates.end());
    const std::size_t mid = cpu_rates.size() / 2;
    fmt::print(
        "score ({}): {} tokens in {} documents, mean suffix_len {:.2f}: "
        "{:.0f} tokens per CPU-second (min {:.0f}, max {:.0f}), {:.2f} CPU-us/token; "
        "wall {:.0f} tokens/s (min {:.0f}, max {:.0f})\n",
        cold ? "cold, 1 pass" : "warm, median of 3 passes", tokens, n_docs,
        static_cast<double>(suffix_sum) / static_cast<double>(tokens * cpu_rates.size()), cpu_rates[mid],
        cpu_rates.front(), cpu_rates.back(), 1e6 / cpu_rates[mid], wall_rates[mid], wall_rates.front(),
        wall_rates.back());
  }
  if (cold) {
    if (sink == 42) std::puts("");
    return 0;
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
