#include "lmkit/lm/ngram_counts.hpp"

#include <algorithm>

#include "lmkit/util/error.hpp"

namespace lmkit::lm {

namespace {

constexpr std::uint64_t kCountOfCountsMax = 16;  // n_r is kept for r < 16: enough for Good–Turing and KN

// Lexicographic order of the first k tokens.
bool less_prefix(const NgramEntry& a, const NgramEntry& b, int k) {
  return std::lexicographical_compare(a.tokens.begin(), a.tokens.begin() + k, b.tokens.begin(),
                                      b.tokens.begin() + k);
}
bool equal_prefix(const NgramEntry& a, const NgramEntry& b, int k) {
  return std::equal(a.tokens.begin(), a.tokens.begin() + k, b.tokens.begin());
}

NgramEntry key_of(std::span<const std::uint32_t> tokens) {
  NgramEntry key;
  std::copy(tokens.begin(), tokens.end(), key.tokens.begin());
  return key;
}

// Sorts, then merges entries with equal k-grams by adding their counts.
void sort_and_merge(std::vector<NgramEntry>& entries, int k) {
  std::sort(entries.begin(), entries.end(),
            [k](const NgramEntry& a, const NgramEntry& b) { return less_prefix(a, b, k); });
  std::size_t out = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (out > 0 && equal_prefix(entries[out - 1], entries[i], k)) {
      entries[out - 1].count += entries[i].count;
    } else {
      entries[out++] = entries[i];
    }
  }
  entries.resize(out);
  entries.shrink_to_fit();
}

}  // namespace

void NgramTable::build(int order, std::vector<std::vector<NgramEntry>> grams) {
  grams_ = std::move(grams);
  grams_.resize(static_cast<std::size_t>(order));
  contexts_.assign(static_cast<std::size_t>(order), {});
  context_stats_.assign(static_cast<std::size_t>(order), {});
  count_of_counts_.assign(static_cast<std::size_t>(order), std::vector<std::uint64_t>(kCountOfCountsMax, 0));
  for (int k = 1; k <= order; ++k) {
    auto& table = grams_[k - 1];
    sort_and_merge(table, k);
    for (const auto& entry : table)
      if (entry.count < kCountOfCountsMax) count_of_counts_[k - 1][entry.count]++;
    // Group the k-grams by their first k-1 tokens: contiguous in sorted order.
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (i == 0 || !equal_prefix(table[i - 1], table[i], k - 1)) {
        NgramEntry context;
        std::copy(table[i].tokens.begin(), table[i].tokens.begin() + (k - 1), context.tokens.begin());
        contexts_[k - 1].push_back(context);
        context_stats_[k - 1].push_back({0, 0, i, context_stats_[k - 1].size()});
      }
      ContextStats& stats = context_stats_[k - 1].back();
      stats.total += table[i].count;
      stats.distinct += 1;
    }
  }
}

std::uint64_t NgramTable::count(std::span<const std::uint32_t> gram) const {
  const int k = static_cast<int>(gram.size());
  if (k < 1 || k > order()) return 0;
  const auto& table = grams_[k - 1];
  NgramEntry key = key_of(gram);
  auto it = std::lower_bound(table.begin(), table.end(), key,
                             [k](const NgramEntry& a, const NgramEntry& b) { return less_prefix(a, b, k); });
  return it != table.end() && equal_prefix(*it, key, k) ? it->count : 0;
}

ContextStats NgramTable::context(std::span<const std::uint32_t> context) const {
  const int k = static_cast<int>(context.size()) + 1;
  if (k > order()) return {};
  const auto& contexts = contexts_[k - 1];
  NgramEntry key = key_of(context);
  auto it =
      std::lower_bound(contexts.begin(), contexts.end(), key,
                       [k](const NgramEntry& a, const NgramEntry& b) { return less_prefix(a, b, k - 1); });
  if (it == contexts.end() || !equal_prefix(*it, key, k - 1)) return {};
  return context_stats_[k - 1][static_cast<std::size_t>(it - contexts.begin())];
}

std::span<const NgramEntry> NgramTable::continuations(std::span<const std::uint32_t> context) const {
  ContextStats stats = this->context(context);
  if (stats.distinct == 0) return {};
  return std::span<const NgramEntry>(grams_[context.size()]).subspan(stats.first, stats.distinct);
}

std::uint64_t NgramTable::count_of_counts(int k, std::uint64_t r) const {
  if (k < 1 || k > order()) fail("count_of_counts: order {} is outside 1..{}", k, order());
  if (r == 0 || r >= kCountOfCountsMax)
    fail("count_of_counts: r = {} is outside 1..{}", r, kCountOfCountsMax - 1);
  return count_of_counts_[k - 1][r];
}

NgramCounts::NgramCounts(int order, std::uint32_t vocab_size)
    : order_(order), vocab_size_(vocab_size), pending_(static_cast<std::size_t>(order)) {
  if (order < 1 || order > kMaxNgramOrder)
    usage_fail("n-gram order {} is outside 1..{}", order, kMaxNgramOrder);
  if (vocab_size == 0) usage_fail("n-gram model needs a vocabulary of at least one token");
}

void NgramCounts::add_document(std::span<const std::uint32_t> tokens) {
  if (finalized_) fail("NgramCounts: add_document after finalize");
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] >= vocab_size_)
      fail("token id {} at position {} is outside the vocabulary of {}", tokens[i], i, vocab_size_);
    for (int k = 1; k <= order_ && i + 1 >= static_cast<std::size_t>(k); ++k) {
      NgramEntry entry =
          key_of(tokens.subspan(i + 1 - static_cast<std::size_t>(k), static_cast<std::size_t>(k)));
      entry.count = 1;
      pending_[k - 1].push_back(entry);
    }
  }
  n_tokens_ += tokens.size();
}

void NgramCounts::finalize() {
  if (finalized_) return;
  finalized_ = true;
  raw_.build(order_, std::move(pending_));
  pending_.clear();
  // N1+(• g) for a k-gram g: how many distinct (k+1)-grams end with g.
  std::vector<std::vector<NgramEntry>> left(static_cast<std::size_t>(order_));
  for (int k = 1; k < order_; ++k) {
    for (const auto& longer : raw_.grams(k + 1)) {
      NgramEntry entry;
      std::copy(longer.tokens.begin() + 1, longer.tokens.begin() + (k + 1), entry.tokens.begin());
      entry.count = 1;
      left[k - 1].push_back(entry);
    }
  }
  continuation_.build(order_ > 1 ? order_ - 1 : 1, std::move(left));
}

std::shared_ptr<NgramCounts> count_index_ngrams(const index::Index& index, int order,
                                                std::uint32_t vocab_size) {
  auto counts = std::make_shared<NgramCounts>(order, vocab_size);
  std::vector<std::uint32_t> doc;
  for (const index::Shard& shard : index.shards()) {
    const std::uint64_t width = static_cast<std::uint64_t>(shard.token_width());
    for (std::uint64_t d = 0; d < shard.n_documents(); ++d) {
      doc.clear();
      for (std::uint64_t offset = shard.document_offset(d) + width; offset < shard.document_end(d);
           offset += width)
        doc.push_back(shard.token_at(offset));
      counts->add_document(doc);
    }
  }
  counts->finalize();
  return counts;
}

}  // namespace lmkit::lm
