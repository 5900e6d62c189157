// SA-IS over the token alphabet, after Nong, Zhang & Chan, "Two Efficient Algorithms for Linear
// Time Suffix Array Construction" (2009), with a virtual sentinel (the end of the text sorts below
// every token, so a suffix that is a prefix of another comes first — memcmp order) and Mori's trick of
// naming LMS substrings by (length, characters). The reduced problem lives inside the output array,
// so the working memory beyond the text and the array is a bit per token for the S/L types plus
// the bucket arrays.
#include "lmkit/index/suffix_array.hpp"

#include <divsufsort64.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "lmkit/util/error.hpp"

namespace lmkit::index {

namespace {

// One bit per position: 1 = S-type (the suffix is smaller than the one after it).
class TypeBits {
 public:
  explicit TypeBits(std::size_t n) : words_((n + 63) / 64, 0) {}
  bool is_s(std::size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void prefetch(std::size_t i) const { __builtin_prefetch(words_.data() + (i >> 6)); }
  void set_s(std::size_t i) { words_[i >> 6] |= std::uint64_t{1} << (i & 63); }

 private:
  std::vector<std::uint64_t> words_;
};

// How far ahead the induce scans prefetch the text character they will read.
constexpr std::size_t kPrefetchDistance = 32;

template <typename Char, typename Idx>
class Sais {
 public:
  static constexpr Idx kEmpty = std::numeric_limits<Idx>::max();
  static constexpr Idx kMark = Idx{1} << (8 * sizeof(Idx) - 1);  // see induce()

  // text: n characters in [0, k).
  Sais(const Char* text, Idx n, Idx k) : text_(text), n_(n), counts_(k, 0), bucket_(k), types_(n) {
    for (Idx i = 0; i < n; ++i) ++counts_[text[i]];
    // The last character is L-type: the virtual sentinel after it is smaller.
    for (Idx i = n - 1; i-- > 0;) {
      if (text[i] < text[i + 1] || (text[i] == text[i + 1] && types_.is_s(i + 1))) types_.set_s(i);
    }
  }

  // sa: n entries. Writes the suffix array of the text.
  void run(Idx* sa) {
    const Idx n = n_;
    if (n == 1) {
      sa[0] = 0;
      return;
    }
    // Stage 1: sort the LMS substrings by inducing from their unsorted positions.
    std::fill(sa, sa + n, kEmpty);
    bucket_ends();
    for (Idx i = n - 1; i >= 1; --i)
      if (is_lms(i)) sa[--bucket_[text_[i]]] = i;
    induce(sa);

    Idx n_lms = 0;
    for (Idx i = 0; i < n; ++i) {
      if (i + kPrefetchDistance < n) types_.prefetch(sa[i + kPrefetchDistance]);
      if (is_lms(sa[i])) sa[n_lms++] = sa[i];
    }

    // Stage 2: name each LMS substring by its rank among distinct substrings. Lengths, then names,
    // go to sa[n_lms + p/2] (LMS positions are at least 2 apart, so these slots are distinct).
    std::fill(sa + n_lms, sa + n, kEmpty);
    Idx next_lms = n;  // the sentinel position counts as LMS
    for (Idx i = n - 1; i >= 1; --i) {
      if (is_lms(i)) {
        sa[n_lms + i / 2] = next_lms - i + 1;
        next_lms = i;
      }
    }
    Idx n_names = 0;
    Idx previous = kEmpty;
    Idx previous_length = 0;
    for (Idx r = 0; r < n_lms; ++r) {
      if (r + kPrefetchDistance < n_lms) {
        const Idx ahead = sa[r + kPrefetchDistance];
        __builtin_prefetch(sa + n_lms + ahead / 2);
        __builtin_prefetch(text_ + ahead);
      }
      const Idx p = sa[r];
      const Idx length = sa[n_lms + p / 2];
      // A substring that reaches the sentinel (p + length > n) is unique.
      const bool same = previous != kEmpty && length == previous_length && p + length <= n &&
                        previous + length <= n && equal_substrings(p, previous, length);
      if (!same) {
        ++n_names;
        previous = p;
        previous_length = length;
      }
      sa[n_lms + p / 2] = n_names - 1;
    }
    Idx* reduced = sa + n - n_lms;  // the reduced text: LMS names in text order
    {
      Idx j = n;
      for (Idx i = n; i-- > n_lms;)
        if (sa[i] != kEmpty) sa[--j] = sa[i];
    }

    // Sort the reduced text: directly when the names are unique, else recursively.
    if (n_names < n_lms) {
      Sais<Idx, Idx>(reduced, n_lms, n_names).run(sa);
    } else {
      for (Idx i = 0; i < n_lms; ++i) sa[reduced[i]] = i;
    }

    // Stage 3: the sorted LMS suffixes, at the ends of their buckets, induce everything else.
    {
      Idx j = 0;
      for (Idx i = 1; i < n; ++i)
        if (is_lms(i)) reduced[j++] = i;
    }
    for (Idx i = 0; i < n_lms; ++i) {
      if (i + kPrefetchDistance < n_lms) __builtin_prefetch(reduced + sa[i + kPrefetchDistance]);
      sa[i] = reduced[sa[i]];
    }
    std::fill(sa + n_lms, sa + n, kEmpty);
    bucket_ends();
    for (Idx i = n_lms; i >= 1; --i) {
      const Idx p = sa[i - 1];
      sa[i - 1] = kEmpty;
      sa[--bucket_[text_[p]]] = p;
    }
    induce(sa);
  }

 private:
  // LMS substrings are short (a few characters), so a plain loop beats a call to memcmp.
  bool equal_substrings(Idx a, Idx b, Idx length) const {
    for (Idx k = 0; k < length; ++k)
      if (text_[a + k] != text_[b + k]) return false;
    return true;
  }

  bool is_lms(Idx i) const { return i > 0 && i != kEmpty && types_.is_s(i) && !types_.is_s(i - 1); }

  void bucket_starts() {
    Idx sum = 0;
    for (std::size_t c = 0; c < counts_.size(); ++c) {
      bucket_[c] = sum;
      sum += counts_[c];
    }
  }
  void bucket_ends() {
    Idx sum = 0;
    for (std::size_t c = 0; c < counts_.size(); ++c) {
      sum += counts_[c];
      bucket_[c] = sum;
    }
  }

  // From LMS suffixes placed in sa (others kEmpty): L-type suffixes left to right, then S-type
  // suffixes right to left. Instead of looking up the type of each suffix's predecessor (a random
  // access to the type bits), an entry carries it in its top bit: during the L scan a marked entry's
  // predecessor is S-type (or absent) and is skipped; the S scan induces from exactly the marked
  // entries and clears the marks. The types follow from the text: before an L-type suffix j, suffix
  // j-1 is S-type iff text[j-1] < text[j]; before an S-type suffix, iff text[j-1] <= text[j].
  void induce(Idx* sa) {
    const Idx n = n_;
    bucket_starts();
    {
      const Idx j = n - 1;  // induced by the virtual sentinel; always L-type
      sa[bucket_[text_[j]]++] = (j == 0 || text_[j - 1] < text_[j]) ? (j | kMark) : j;
    }
    for (Idx i = 0; i < n; ++i) {
      if (i + kPrefetchDistance < n) {
        const Idx ahead = sa[i + kPrefetchDistance];
        if (!(ahead & kMark)) __builtin_prefetch(text_ + ahead - 1);
      }
      const Idx p = sa[i];
      if (p & kMark) continue;  // empty, or its predecessor is not L-type
      const Idx j = p - 1;      // unmarked entries are never 0
      const Char c = text_[j];
      sa[bucket_[c]++] = (j == 0 || text_[j - 1] < c) ? (j | kMark) : j;
    }
    bucket_ends();
    for (Idx i = n; i-- > 0;) {
      if (i >= kPrefetchDistance) {
        const Idx ahead = sa[i - kPrefetchDistance];
        if ((ahead & kMark) && ahead != kEmpty) __builtin_prefetch(text_ + (ahead & ~kMark) - 1);
      }
      const Idx v = sa[i];
      if (!(v & kMark) || v == kEmpty) continue;
      const Idx p = v & ~kMark;
      sa[i] = p;
      if (p == 0) continue;
      const Idx j = p - 1;
      const Char c = text_[j];
      sa[--bucket_[c]] = (j > 0 && text_[j - 1] <= c) ? (j | kMark) : j;
    }
  }

  const Char* text_;
  Idx n_;
  std::vector<Idx> counts_;  // (k) occurrences of each character
  std::vector<Idx> bucket_;  // (k) the next free slot of each character's bucket
  TypeBits types_;
};

std::uint16_t byte_swap(std::uint16_t x) { return __builtin_bswap16(x); }
std::uint32_t byte_swap(std::uint32_t x) { return __builtin_bswap32(x); }

template <typename Word>
Word* words_of(std::span<std::uint8_t> tokens) {
  if (reinterpret_cast<std::uintptr_t>(tokens.data()) % alignof(Word) != 0)
    fail("sort_suffixes: the token buffer is not aligned to its {}-byte tokens", sizeof(Word));
  return reinterpret_cast<Word*>(tokens.data());
}

// 4-byte tokens: ranks 0..k-1 in byte order of the little-endian ids, and back. Ids below 2^26 (every
// real vocabulary) are ranked through a direct table; others through a sorted list of distinct ids.
class TokenRanks {
 public:
  static constexpr std::uint32_t kDirectLimit = 1u << 26;
  static constexpr std::uint32_t kSeparator = 0xFFFFFFFFu;

  explicit TokenRanks(std::span<const std::uint32_t> ids) {
    std::uint32_t max_id = 0;
    bool has_separator = false;
    for (std::uint32_t id : ids) {
      if (id == kSeparator)
        has_separator = true;
      else
        max_id = std::max(max_id, id);
    }
    if (max_id < kDirectLimit) {
      std::vector<bool> present(std::size_t{max_id} + 1, false);
      for (std::uint32_t id : ids)
        if (id != kSeparator) present[id] = true;
      for (std::uint32_t id = 0; id <= max_id; ++id)
        if (present[id]) ids_by_rank_.push_back(id);
      if (has_separator) ids_by_rank_.push_back(kSeparator);
    } else {
      std::unordered_set<std::uint32_t> distinct(ids.begin(), ids.end());
      ids_by_rank_.assign(distinct.begin(), distinct.end());
    }
    std::sort(ids_by_rank_.begin(), ids_by_rank_.end(),
              [](std::uint32_t a, std::uint32_t b) { return byte_swap(a) < byte_swap(b); });
    keys_by_rank_.resize(ids_by_rank_.size());
    for (std::size_t r = 0; r < ids_by_rank_.size(); ++r) keys_by_rank_[r] = byte_swap(ids_by_rank_[r]);
    if (max_id < kDirectLimit) {
      rank_of_id_.assign(std::size_t{max_id} + 1, 0);
      for (std::uint32_t r = 0; r < size(); ++r)
        if (ids_by_rank_[r] != kSeparator) rank_of_id_[ids_by_rank_[r]] = r;
    }
  }
  std::uint32_t size() const { return static_cast<std::uint32_t>(ids_by_rank_.size()); }
  std::uint32_t rank(std::uint32_t id) const {
    if (!rank_of_id_.empty()) return id == kSeparator ? size() - 1 : rank_of_id_[id];
    return static_cast<std::uint32_t>(
        std::lower_bound(keys_by_rank_.begin(), keys_by_rank_.end(), byte_swap(id)) - keys_by_rank_.begin());
  }
  std::uint32_t id(std::uint32_t rank) const { return ids_by_rank_[rank]; }

 private:
  std::vector<std::uint32_t> ids_by_rank_;
  std::vector<std::uint32_t> keys_by_rank_;  // byte-swapped ids, ascending
  std::vector<std::uint32_t> rank_of_id_;    // (max id + 1) when ids are small, else empty
};

template <typename Idx>
void sort_suffixes_impl(std::span<std::uint8_t> tokens, int token_width, std::span<Idx> sa) {
  if (token_width != 1 && token_width != 2 && token_width != 4)
    fail("sort_suffixes: token width {} is not 1, 2 or 4", token_width);
  if (tokens.size() % static_cast<std::size_t>(token_width) != 0)
    fail("sort_suffixes: {} bytes is not a whole number of {}-byte tokens", tokens.size(), token_width);
  const std::size_t n = tokens.size() / static_cast<std::size_t>(token_width);
  if (sa.size() != n) fail("sort_suffixes: {} tokens but room for {} array entries", n, sa.size());
  // The top bit of an entry is a mark while sorting (Sais::induce), and all-ones means empty.
  if (n >= (std::numeric_limits<Idx>::max() >> 1))
    fail("sort_suffixes: {} tokens is too many for {}-byte array entries", n, sizeof(Idx));
  if (n == 0) return;
  const Idx count = static_cast<Idx>(n);

  if (token_width == 1) {
    Sais<std::uint8_t, Idx>(tokens.data(), count, 256).run(sa.data());
  } else if (token_width == 2) {
    // Byte-swapped 16-bit ids compare numerically as their little-endian bytes compare.
    std::uint16_t* words = words_of<std::uint16_t>(tokens);
    for (std::size_t i = 0; i < n; ++i) words[i] = byte_swap(words[i]);
    try {
      Sais<std::uint16_t, Idx>(words, count, 65536).run(sa.data());
    } catch (...) {
      for (std::size_t i = 0; i < n; ++i) words[i] = byte_swap(words[i]);
      throw;
    }
    for (std::size_t i = 0; i < n; ++i) words[i] = byte_swap(words[i]);
  } else {
    std::uint32_t* words = words_of<std::uint32_t>(tokens);
    const TokenRanks ranks({words, n});
    for (std::size_t i = 0; i < n; ++i) words[i] = ranks.rank(words[i]);
    try {
      Sais<std::uint32_t, Idx>(words, count, ranks.size()).run(sa.data());
    } catch (...) {
      for (std::size_t i = 0; i < n; ++i) words[i] = ranks.id(words[i]);
      throw;
    }
    for (std::size_t i = 0; i < n; ++i) words[i] = ranks.id(words[i]);
  }
}

}  // namespace

void sort_suffixes(std::span<std::uint8_t> tokens, int token_width, std::span<std::uint32_t> sa) {
  sort_suffixes_impl(tokens, token_width, sa);
}

void sort_suffixes(std::span<std::uint8_t> tokens, int token_width, std::span<std::uint64_t> sa) {
  sort_suffixes_impl(tokens, token_width, sa);
}

std::vector<std::uint64_t> sort_suffixes_divsufsort(TokenText text) {
  const std::uint64_t n_bytes = text.bytes.size();
  std::vector<std::uint64_t> result;
  if (n_bytes == 0) return result;
  std::vector<saidx64_t> all(n_bytes);
  if (divsufsort64(text.bytes.data(), all.data(), static_cast<saidx64_t>(n_bytes)) != 0)
    fail("divsufsort64 failed on {} bytes", n_bytes);
  const auto width = static_cast<std::uint64_t>(text.token_width);
  result.reserve(text.n_tokens());
  for (saidx64_t position : all) {
    const auto p = static_cast<std::uint64_t>(position);
    if (p % width == 0) result.push_back(p / width);
  }
  return result;
}

int compare_suffixes(TokenText text, std::uint64_t a, std::uint64_t b) {
  if (a == b) return 0;
  const auto width = static_cast<std::uint64_t>(text.token_width);
  const std::uint64_t size = text.bytes.size();
  const std::uint64_t offset_a = a * width, offset_b = b * width;
  const std::uint64_t common = size - std::max(offset_a, offset_b);
  const int order = std::memcmp(text.bytes.data() + offset_a, text.bytes.data() + offset_b, common);
  if (order != 0) return order < 0 ? -1 : 1;
  return a > b ? -1 : 1;  // equal up to the shorter one's end: the shorter suffix first
}

std::vector<std::uint64_t> sort_suffixes_naive(TokenText text) {
  std::vector<std::uint64_t> sa(text.n_tokens());
  for (std::uint64_t i = 0; i < sa.size(); ++i) sa[i] = i;
  std::sort(sa.begin(), sa.end(),
            [&](std::uint64_t a, std::uint64_t b) { return compare_suffixes(text, a, b) < 0; });
  return sa;
}

}  // namespace lmkit::index
