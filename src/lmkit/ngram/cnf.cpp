// CNF queries: an AND of OR-clauses of n-grams, matched near each other in one document.
//
// Every clause's occurrences are found in the suffix array; the rarest clause (the earliest on
// ties) anchors the matches: an anchor occurrence counts when every other clause has an occurrence
// starting within max_diff_tokens tokens of it in the same document. A clause occurring more than
// max_clause_freq times is subsampled: every k-th of its occurrences in suffix-array order,
// k = ceil(occurrences / max_clause_freq) (strided, so the sample covers the whole range instead of
// one contiguous slice); the match count is then scaled by occurrences / sampled for every sampled
// clause and marked approx.
#include <algorithm>
#include <cmath>

#include "lmkit/ngram/engine_core.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::ngram {

namespace {

// One clause's occurrences: per shard, the (sampled) byte offsets, sorted.
struct ClauseHits {
  std::uint64_t cnt = 0;
  double scale = 1.0;  // cnt / sampled
  std::vector<std::vector<std::uint64_t>> ptrs_by_shard;
};

}  // namespace

template <typename T>
CnfResult Engine::Core<T>::find_cnf(const Cnf& cnf, const CnfOptions& options) const {
  std::vector<ClauseHits> clauses(cnf.size());
  std::vector<std::vector<std::vector<SaRange>>> ranges(cnf.size());  // [clause][term][shard]
  for (std::size_t c = 0; c < cnf.size(); ++c) {
    for (const auto& term : cnf[c]) {
      const auto tokens = to_tokens(term);
      ranges[c].emplace_back();
      clauses[c].cnt += find_all(bytes(tokens.data()), tokens.size() * W, ranges[c].back());
    }
  }
  CnfResult result;
  result.ptrs_by_shard.resize(shards_.size());
  for (const auto& clause : clauses)
    if (clause.cnt == 0) return result;

  for (std::size_t c = 0; c < cnf.size(); ++c) {
    auto& clause = clauses[c];
    const std::uint64_t stride =
        clause.cnt > options.max_clause_freq
            ? (clause.cnt + options.max_clause_freq - 1) / std::max<std::uint64_t>(options.max_clause_freq, 1)
            : 1;
    clause.ptrs_by_shard.resize(shards_.size());
    std::uint64_t seen = 0, sampled = 0;
    for (const auto& term_ranges : ranges[c]) {
      for (std::size_t s = 0; s < shards_.size(); ++s) {
        for (std::uint64_t rank = term_ranges[s].begin; rank < term_ranges[s].end; ++rank, ++seen) {
          if (seen % stride != 0) continue;
          clause.ptrs_by_shard[s].push_back(shards_[s].pointer(rank));
          ++sampled;
        }
      }
    }
    clause.scale = static_cast<double>(clause.cnt) / static_cast<double>(sampled);
    result.approx = result.approx || stride > 1;
    for (auto& ptrs : clause.ptrs_by_shard) {
      std::sort(ptrs.begin(), ptrs.end());
      ptrs.erase(std::unique(ptrs.begin(), ptrs.end()), ptrs.end());  // terms may start at one place
    }
  }

  std::size_t anchor = 0;
  for (std::size_t c = 1; c < cnf.size(); ++c)
    if (clauses[c].cnt < clauses[anchor].cnt) anchor = c;

  const std::uint64_t reach = options.max_diff_tokens * W;
  std::uint64_t matches = 0;
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    for (const std::uint64_t p : clauses[anchor].ptrs_by_shard[s]) {
      const auto doc = shards_[s].doc_of(p);
      const std::uint64_t lo = std::max(doc.begin, p >= reach ? p - reach : 0);
      const std::uint64_t hi = std::min(doc.end, p + reach + 1);  // exclusive
      bool all = true;
      for (std::size_t c = 0; c < cnf.size() && all; ++c) {
        if (c == anchor) continue;
        const auto& ptrs = clauses[c].ptrs_by_shard[s];
        const auto it = std::lower_bound(ptrs.begin(), ptrs.end(), lo);
        all = it != ptrs.end() && *it < hi;
      }
      if (!all) continue;
      result.ptrs_by_shard[s].push_back(p);
      ++matches;
    }
  }
  double scale = 1.0;
  for (const auto& clause : clauses) scale *= clause.scale;
  result.cnt = static_cast<std::uint64_t>(std::llround(static_cast<double>(matches) * scale));
  return result;
}

template <typename T>
SearchDocsResult Engine::Core<T>::search_docs_cnf(const Cnf& cnf, const CnfOptions& options,
                                                  std::size_t maxnum, std::uint64_t max_disp_len) const {
  const auto found = find_cnf(cnf, options);
  SearchDocsResult result;
  result.cnt = found.cnt;
  result.approx = found.approx;
  std::uint64_t matched = 0;
  for (const auto& ptrs : found.ptrs_by_shard) matched += ptrs.size();
  const std::uint64_t shown = std::min<std::uint64_t>(maxnum, matched);
  for (std::uint64_t j = 0; j < shown; ++j) {
    const std::uint64_t position = j * (matched / shown) + j * (matched % shown) / shown;
    std::uint64_t rest = position;
    std::size_t s = 0;
    while (rest >= found.ptrs_by_shard[s].size()) rest -= found.ptrs_by_shard[s++].size();
    // Which of the (estimated) cnt matches this is.
    result.idxs.push_back(found.approx ? position * found.cnt / matched : position);
    result.docs.push_back(get_doc_by_ptr(s, found.ptrs_by_shard[s][rest], max_disp_len));
  }
  return result;
}

namespace {

void check_cnf(const Engine& engine, const Cnf& cnf) {
  if (cnf.empty()) fail("CNF query: no clauses");
  for (std::size_t c = 0; c < cnf.size(); ++c) {
    if (cnf[c].empty()) fail("CNF query: clause {} has no terms", c);
    for (std::size_t t = 0; t < cnf[c].size(); ++t) {
      if (cnf[c][t].empty()) fail("CNF query: clause {} term {} is empty", c, t);
      const auto what = fmt::format("CNF query clause {} term {}", c, t);
      engine.check_ids(cnf[c][t], what.c_str());
    }
  }
}

}  // namespace

CnfResult Engine::find_cnf(const Cnf& cnf, const CnfOptions& options) const {
  check_cnf(*this, cnf);
  if (options.max_clause_freq == 0) fail("max_clause_freq must be at least 1");
  return std::visit([&](const auto& core) { return core->find_cnf(cnf, options); }, core_);
}

std::uint64_t Engine::count_cnf(const Cnf& cnf, const CnfOptions& options, bool* approx) const {
  const auto result = find_cnf(cnf, options);
  if (approx) *approx = result.approx;
  return result.cnt;
}

SearchDocsResult Engine::search_docs_cnf(const Cnf& cnf, const CnfOptions& options, std::size_t maxnum,
                                         std::uint64_t max_disp_len) const {
  check_cnf(*this, cnf);
  if (options.max_clause_freq == 0) fail("max_clause_freq must be at least 1");
  return std::visit(
      [&](const auto& core) { return core->search_docs_cnf(cnf, options, maxnum, max_disp_len); }, core_);
}

// The class itself is instantiated in engine.cpp; these members are defined here.
#define LMKIT_NGRAM_CNF_MEMBERS(T)                                                                       \
  template CnfResult Engine::Core<T>::find_cnf(const Cnf&, const CnfOptions&) const;                     \
  template SearchDocsResult Engine::Core<T>::search_docs_cnf(const Cnf&, const CnfOptions&, std::size_t, \
                                                             std::uint64_t) const;
LMKIT_NGRAM_CNF_MEMBERS(std::uint8_t)
LMKIT_NGRAM_CNF_MEMBERS(std::uint16_t)
LMKIT_NGRAM_CNF_MEMBERS(std::uint32_t)
#undef LMKIT_NGRAM_CNF_MEMBERS

}  // namespace lmkit::ngram
