// Binary search over one shard's suffix array (internal to the ngram module).
//
// The suffix array orders token-aligned byte offsets by the bytes of the little-endian token data
// from that offset to the end of the shard; a suffix cut short by the shard's end sorts before any
// longer string it is a prefix of. A token sequence's occurrences are therefore one contiguous
// range of ranks, found by comparing the pattern's little-endian bytes. Every step of a search costs
// two dependent random reads: the table entry, then the token data it points to.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "lmkit/ngram/engine.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::ngram::detail {

// The key of the token after a prefix, in suffix-array order; `shard_end` sorts first.
inline constexpr std::int64_t shard_end = -1;

template <typename T>
class ShardSearch {
 public:
  static constexpr T separator = std::numeric_limits<T>::max();

  explicit ShardSearch(const ShardFiles& files)
      : tokens_(files.tokens.data()),
        tokens_bytes_(files.tokens.size()),
        table_(files.table.data()),
        pointer_width_(files.pointer_width),
        offsets_(files.offsets.data()),
        doc_count_(files.offsets.size() / 8),
        metadata_(files.metadata),
        metaoff_(files.metaoff.data()),
        name_(files.name) {}

  std::uint64_t size() const { return tokens_bytes_ / sizeof(T); }  // tokens, separators included
  std::uint64_t bytes() const { return tokens_bytes_; }
  std::uint64_t doc_count() const { return doc_count_; }
  SaRange all() const { return {0, size()}; }
  const std::uint8_t* token_bytes() const { return tokens_; }
  const std::string& name() const { return name_; }

  // The byte offset into the token data of the suffix with this rank. The table is untrusted input:
  // an entry that is not a token position of the shard is an Error naming the shard and the rank,
  // checked here, where it is read, by one predictable branch (not by a scan at open).
  std::uint64_t pointer(std::uint64_t rank) const {
    const std::uint64_t v = raw_pointer(rank);
    if (v >= tokens_bytes_ || v % sizeof(T) != 0) [[unlikely]]
      bad_pointer(rank, v);
    return v;
  }

  void prefetch_rank(std::uint64_t rank) const { __builtin_prefetch(table_ + rank * pointer_width_); }

  T token_at_byte(std::uint64_t byte_offset) const {
    T v;
    std::memcpy(&v, tokens_ + byte_offset, sizeof(T));
    return v;
  }

  // Compares the suffix at byte offset `ptr` with `pattern` (n bytes), both known to agree on their
  // first `from` bytes: <0, 0 when the suffix starts with the pattern, >0.
  int compare(std::uint64_t ptr, const std::uint8_t* pattern, std::size_t n, std::size_t from) const {
    const std::uint64_t available = tokens_bytes_ - ptr;
    const std::size_t m = available < n ? static_cast<std::size_t>(available) : n;
    if (m > from) {
      const int c = std::memcmp(tokens_ + ptr + from, pattern + from, m - from);
      if (c != 0) return c;
    }
    return m < n ? -1 : 0;
  }

  // The ranks in `within` whose suffixes start with `pattern` (n bytes); every suffix in `within`
  // is known to agree with the pattern on its first `from` bytes.
  SaRange find(const std::uint8_t* pattern, std::size_t n, SaRange within, std::size_t from = 0) const {
    if (n == from) return within;
    std::uint64_t lo = within.begin, hi = within.end;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      // Either half may come next: fetch both of their middle table entries now.
      prefetch_rank(lo + (mid - lo) / 2);
      prefetch_rank(mid + 1 + (hi - mid - 1) / 2);
      const int c = compare(pointer(mid), pattern, n, from);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid;
      } else {
        // mid matches: the range's first rank is in [lo, mid], its end in [mid + 1, hi].
        std::uint64_t first_lo = lo, first_hi = mid;
        while (first_lo < first_hi) {
          const std::uint64_t m = first_lo + (first_hi - first_lo) / 2;
          if (compare(pointer(m), pattern, n, from) < 0) {
            first_lo = m + 1;
          } else {
            first_hi = m;
          }
        }
        std::uint64_t end_lo = mid + 1, end_hi = hi;
        while (end_lo < end_hi) {
          const std::uint64_t m = end_lo + (end_hi - end_lo) / 2;
          if (compare(pointer(m), pattern, n, from) > 0) {
            end_hi = m;
          } else {
            end_lo = m + 1;
          }
        }
        return {first_lo, end_lo};
      }
    }
    return {lo, lo};
  }

  // The token after the first `prefix_bytes` bytes of the suffix with this rank, as a key:
  // shard_end, or the token value (the separator included).
  std::int64_t next_key(std::uint64_t rank, std::size_t prefix_bytes) const {
    const std::uint64_t at = pointer(rank) + prefix_bytes;
    if (at >= tokens_bytes_) return shard_end;
    return static_cast<std::int64_t>(token_at_byte(at));
  }

  // Occurrences in `range` (all starting with a prefix of prefix_bytes) that end their document:
  // followed by a separator or by the end of the shard.
  std::uint64_t doc_end_count(SaRange range, std::size_t prefix_bytes) const {
    if (range.size() == 0) return 0;
    std::uint64_t n = 0;
    // A suffix cut by the shard's end sorts first; a following separator (all 0xFF) sorts last.
    if (next_key(range.begin, prefix_bytes) == shard_end) {
      ++n;
      ++range.begin;
    }
    std::uint64_t lo = range.begin, hi = range.end;
    while (lo < hi) {  // first rank whose next token is the separator
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (next_key(mid, prefix_bytes) == static_cast<std::int64_t>(separator)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return n + (range.end - lo);
  }

  // The document containing byte offset `ptr`, and its token bytes [begin, end) after the separator.
  struct DocSpan {
    std::uint64_t local_ix;
    std::uint64_t begin;
    std::uint64_t end;
  };
  // offset.S is untrusted too: an entry past the token data, off the token grid, or not after the
  // previous one is an Error naming the shard and the document.
  std::uint64_t doc_offset(std::uint64_t local_ix) const {
    if (local_ix >= doc_count_) return tokens_bytes_;
    std::uint64_t v;
    std::memcpy(&v, offsets_ + local_ix * 8, 8);
    if (v >= tokens_bytes_ || v % sizeof(T) != 0) [[unlikely]]
      bad_doc_offset(local_ix, v, "is not a token position of the token data");
    return v;
  }
  DocSpan doc_of(std::uint64_t ptr) const {
    std::uint64_t lo = 0, hi = doc_count_;  // last document whose separator is at or before ptr
    while (hi - lo > 1) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      if (doc_offset(mid) <= ptr) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return doc_span(lo);
  }
  DocSpan doc_span(std::uint64_t local_ix) const {
    const std::uint64_t begin = doc_offset(local_ix) + sizeof(T), end = doc_offset(local_ix + 1);
    if (end < begin) [[unlikely]]
      bad_doc_offset(local_ix + 1, end, "is not after the previous document's separator");
    return {local_ix, begin, end};
  }
  std::string doc_metadata(std::uint64_t local_ix) const {
    if (metadata_.empty() || metaoff_ == nullptr) return {};
    std::uint64_t begin, end = metadata_.size();
    std::memcpy(&begin, metaoff_ + local_ix * 8, 8);
    if (local_ix + 1 < doc_count_) std::memcpy(&end, metaoff_ + (local_ix + 1) * 8, 8);
    if (begin > end || end > metadata_.size())
      fail("{}: metadata offsets of document {} ([{}, {})) do not fit the {}-byte metadata file", name_,
           local_ix, begin, end, metadata_.size());
    std::string line(reinterpret_cast<const char*>(metadata_.data() + begin), end - begin);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }

 private:
  std::uint64_t raw_pointer(std::uint64_t rank) const {
    const std::uint8_t* p = table_ + rank * pointer_width_;
    switch (pointer_width_) {
      case 4: {
        std::uint32_t v;
        std::memcpy(&v, p, 4);
        return v;
      }
      case 5: {
        std::uint32_t v;
        std::memcpy(&v, p, 4);
        return v | (std::uint64_t{p[4]} << 32);
      }
      case 8: {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        return v;
      }
      default: {
        std::uint64_t v = 0;
        for (unsigned i = 0; i < pointer_width_; ++i) v |= std::uint64_t{p[i]} << (8 * i);
        return v;
      }
    }
  }
  [[noreturn, gnu::cold, gnu::noinline]] void bad_pointer(std::uint64_t rank, std::uint64_t v) const {
    fail(
        "{}: suffix array entry {} (table rank {}) is not a token position of the {}-byte token data: "
        "the index is corrupt (run `index verify`)",
        name_, v, rank, tokens_bytes_);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void bad_doc_offset(std::uint64_t local_ix, std::uint64_t v,
                                                             const char* problem) const {
    fail("{}: document offset {} of document {} {}: the index is corrupt (run `index verify`)", name_, v,
         local_ix, problem);
  }

  const std::uint8_t* tokens_;
  std::uint64_t tokens_bytes_;
  const std::uint8_t* table_;
  unsigned pointer_width_;
  const std::uint8_t* offsets_;
  std::uint64_t doc_count_;
  std::span<const std::uint8_t> metadata_;
  const std::uint8_t* metaoff_;
  std::string name_;  // for error messages
};

}  // namespace lmkit::ngram::detail
