// The C++ side of bench/python_bench.py: the same ∞-gram queries, through the same library calls the
// Python module makes (api::Index and its ngram::Engine), timed the same way (this thread's CPU time
// over a whole pass, divided by the calls), so the difference is what Python adds per call.
//
//   api_query_bench INDEX_DIR QUERIES.json PASSES
//
// QUERIES.json: {"count_1": [[ids], ...], "count_5": ..., "count_100": ..., "prob": [[prompt ids, cont id],
// ...], "infgram_prob": ..., "search_docs": [[ids], ...], "score": [[document ids], ...],
// "search_docs_maxnum": 1, "search_docs_max_disp_len": 20}. Prints one JSON object: for each query kind
// the µs per call of every pass (after one warm-up pass), and for "score" the tokens per second.
#include <time.h>

#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lmkit/api/index.hpp"
#include "lmkit/util/json.hpp"

namespace {

using Ids = std::vector<std::uint32_t>;

// This thread's CPU time in µs: on the shared machines wall time mostly measures waiting for a core.
double cpu_micros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// µs per call of fn over `n` calls, for each of `passes` passes after a warm-up pass. The sink keeps the
// results alive so no call is optimized away.
template <typename Fn>
std::vector<double> per_call_micros(std::size_t n, int passes, std::uint64_t& sink, Fn&& fn) {
  std::vector<double> out;
  for (int pass = -1; pass < passes; ++pass) {
    const double start = cpu_micros();
    for (std::size_t i = 0; i < n; ++i) sink += fn(i);
    if (pass >= 0) out.push_back((cpu_micros() - start) / static_cast<double>(n));
  }
  return out;
}

int run(char** argv) {
  const auto index = lmkit::api::Index::open(argv[1]);
  const auto& engine = index->engine();
  std::ifstream in(argv[2]);
  if (!in) {
    fmt::print(stderr, "{}: cannot open\n", argv[2]);
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto queries = lmkit::Json::parse(text.str());
  const int passes = std::stoi(argv[3]);
  std::uint64_t sink = 0;
  lmkit::Json report = lmkit::Json::object();

  for (const char* kind : {"count_1", "count_5", "count_100"}) {
    const auto lists = queries.at(kind).get<std::vector<Ids>>();
    report[kind] =
        per_call_micros(lists.size(), passes, sink, [&](std::size_t i) { return engine.count(lists[i]); });
  }
  for (const char* kind : {"prob", "infgram_prob"}) {
    std::vector<Ids> prompts;
    std::vector<std::uint32_t> conts;
    for (const auto& q : queries.at(kind)) {
      prompts.push_back(q.at(0).get<Ids>());
      conts.push_back(q.at(1).get<std::uint32_t>());
    }
    const bool infgram = std::string(kind) == "infgram_prob";
    report[kind] = per_call_micros(prompts.size(), passes, sink, [&](std::size_t i) {
      return infgram ? engine.infgram_prob(prompts[i], conts[i]).prob.cont_cnt
                     : engine.prob(prompts[i], conts[i]).cont_cnt;
    });
  }
  const auto needles = queries.at("search_docs").get<std::vector<Ids>>();
  const auto maxnum = queries.at("search_docs_maxnum").get<std::size_t>();
  const auto max_disp_len = queries.at("search_docs_max_disp_len").get<std::uint64_t>();
  report["search_docs"] = per_call_micros(needles.size(), passes, sink, [&](std::size_t i) {
    return engine.search_docs(needles[i], maxnum, max_disp_len).docs.size();
  });
  const auto docs = queries.at("score").get<std::vector<Ids>>();
  std::size_t tokens = 0;
  for (const auto& d : docs) tokens += d.size();
  std::vector<double> tokens_per_s;
  for (double us : per_call_micros(docs.size(), passes, sink,
                                   [&](std::size_t i) { return engine.score(docs[i]).size(); }))
    tokens_per_s.push_back(static_cast<double>(tokens) / (us * static_cast<double>(docs.size())) * 1e6);
  report["score_tokens_per_s"] = tokens_per_s;
  report["sink"] = sink;
  fmt::print("{}\n", report.dump());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fmt::print(stderr, "usage: api_query_bench INDEX_DIR QUERIES.json PASSES\n");
    return 2;
  }
  try {
    return run(argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "api_query_bench: {}\n", e.what());
    return 1;
  }
}
