// Exact counts of every k-gram (1 ≤ k ≤ order) of a corpus, in sorted tables, with the derived
// statistics that the classic smoothed n-gram LMs need: count-of-counts n_r, per-context totals and
// numbers of distinct continuations, and Kneser–Ney continuation counts N1+(• g). N-grams never cross
// document boundaries.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "lmkit/index/index.hpp"

namespace lmkit::lm {

inline constexpr int kMaxNgramOrder = 8;

struct NgramEntry {
  std::array<std::uint32_t, kMaxNgramOrder> tokens{};  // the k-gram, padded with zeros
  std::uint64_t count = 0;
};

// Totals over the k-grams that start with one (k-1)-gram context h.
struct ContextStats {
  std::uint64_t total = 0;     // Σ_w c(h w)
  std::uint64_t distinct = 0;  // #{w : c(h w) > 0}
  std::uint64_t first = 0;     // index of h's first k-gram in its table
  std::uint64_t index = 0;     // h's ordinal among the order's contexts (for per-context data)
};

// One table of k-grams for every k, sorted by tokens, plus their contexts.
class NgramTable {
 public:
  // `grams[k-1]` are the (k-gram, count) pairs of order k, any order, duplicates allowed.
  void build(int order, std::vector<std::vector<NgramEntry>> grams);

  int order() const { return static_cast<int>(grams_.size()); }
  // c(g) for a k-gram g (1 ≤ k ≤ order); 0 when unseen.
  std::uint64_t count(std::span<const std::uint32_t> gram) const;
  // The k-grams (k = context.size() + 1) that start with `context`; their stats (total 0 if none).
  std::span<const NgramEntry> continuations(std::span<const std::uint32_t> context) const;
  ContextStats context(std::span<const std::uint32_t> context) const;
  // n_r: how many distinct k-grams have count exactly r (r ≥ 1).
  std::uint64_t count_of_counts(int k, std::uint64_t r) const;
  std::span<const NgramEntry> grams(int k) const { return grams_[k - 1]; }

 private:
  std::vector<std::vector<NgramEntry>> grams_;               // [k-1] sorted k-grams
  std::vector<std::vector<NgramEntry>> contexts_;            // [k-1] sorted (k-1)-gram contexts
  std::vector<std::vector<ContextStats>> context_stats_;     // parallel to contexts_
  std::vector<std::vector<std::uint64_t>> count_of_counts_;  // [k-1][r], r < kCountOfCountsMax
};

class NgramCounts {
 public:
  NgramCounts(int order, std::uint32_t vocab_size);

  // Adds one document's tokens. Ids must be < vocab_size.
  void add_document(std::span<const std::uint32_t> tokens);
  // Sorts and derives the statistics; call once after the last add_document().
  void finalize();

  int order() const { return order_; }
  std::uint32_t vocab_size() const { return vocab_size_; }
  std::uint64_t n_tokens() const { return n_tokens_; }
  // Raw counts c(·).
  const NgramTable& raw() const { return raw_; }
  // Continuation counts N1+(• g) for k-grams g with k < order (the k-th table holds them).
  const NgramTable& continuation() const { return continuation_; }

 private:
  int order_;
  std::uint32_t vocab_size_;
  std::uint64_t n_tokens_ = 0;
  bool finalized_ = false;
  std::vector<std::vector<NgramEntry>> pending_;  // [k-1] one entry per occurrence, until finalize()
  NgramTable raw_;
  NgramTable continuation_;
};

// Counts the n-grams of every document in every shard of an index (the token array between
// separators). Token ids must be below vocab_size.
std::shared_ptr<NgramCounts> count_index_ngrams(const index::Index& index, int order,
                                                std::uint32_t vocab_size);

}  // namespace lmkit::lm
