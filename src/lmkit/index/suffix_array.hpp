// Suffix-array construction over token-aligned positions, in the order Infini-gram's indexes use:
// suffixes compared as the bytes of their little-endian token data (memcmp), a suffix that is a
// prefix of another sorting first. For 2- and 4-byte tokens that order is NOT numeric token order
// (id 256 = bytes 00 01 sorts before id 1 = bytes 01 00); it is the numeric order of the byte-swapped
// (big-endian) ids, which is how sort_suffixes ranks tokens before sorting.
//
// Three constructions of the same array, the fast one tested against the other two:
//   sort_suffixes             SA-IS (induced sorting, Nong–Zhang–Chan 2009) over the token alphabet
//   sort_suffixes_divsufsort  libdivsufsort's divsufsort64 over the bytes, keeping aligned positions
//   sort_suffixes_naive       std::sort with a memcmp comparator: the oracle for small inputs
// All three return token positions (not byte offsets): SA[r] = i means the suffix at byte offset
// i * token_width has rank r.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace lmkit::index {

// A text of n_tokens tokens of token_width bytes (1, 2 or 4), little-endian, as stored in tokenized.S.
struct TokenText {
  std::span<const std::uint8_t> bytes;
  int token_width = 1;
  std::uint64_t n_tokens() const { return bytes.size() / static_cast<std::uint64_t>(token_width); }
};

// Sorts the n token-aligned suffixes of `tokens` into `sa` (size n). `tokens` is temporarily
// rewritten in place (ids replaced by their byte-order ranks) and restored before returning, so the
// construction needs no second copy of the text. Array entries of 32 bits hold below 2^31 - 1 tokens, of 64
// bits below 2^63 - 1.
void sort_suffixes(std::span<std::uint8_t> tokens, int token_width, std::span<std::uint32_t> sa);
void sort_suffixes(std::span<std::uint8_t> tokens, int token_width, std::span<std::uint64_t> sa);

// The same array from divsufsort64 over all byte positions (8 bytes per byte of text, plus the text).
std::vector<std::uint64_t> sort_suffixes_divsufsort(TokenText text);

// The same array by comparison sort; O(n^2 log n) worst case, for tests only.
std::vector<std::uint64_t> sort_suffixes_naive(TokenText text);

// Three-way comparison of the suffixes at token positions a and b, in the index order.
int compare_suffixes(TokenText text, std::uint64_t a, std::uint64_t b);

}  // namespace lmkit::index
