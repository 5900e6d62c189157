// SA-IS against two independent constructions: a comparison sort (small inputs) and divsufsort64 over
// the bytes keeping aligned positions (larger inputs), on adversarial and random token texts.
#include "lmkit/index/suffix_array.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace lmkit::index {
namespace {

// A token text of the given width from ids (each stored little-endian), in an aligned buffer.
class Text {
 public:
  Text(int width, const std::vector<std::uint32_t>& ids)
      : width_(width), words_((ids.size() * width + 7) / 8) {
    auto* bytes = reinterpret_cast<std::uint8_t*>(words_.data());
    for (std::size_t i = 0; i < ids.size(); ++i) std::memcpy(bytes + i * width, &ids[i], width);
    size_ = ids.size() * width;
  }
  std::span<std::uint8_t> bytes() { return {reinterpret_cast<std::uint8_t*>(words_.data()), size_}; }
  TokenText view() { return {bytes(), width_}; }
  int width() const { return width_; }

 private:
  int width_;
  std::vector<std::uint64_t> words_;
  std::size_t size_ = 0;
};

std::vector<std::uint64_t> sais32(Text& text) {
  std::vector<std::uint8_t> before(text.bytes().begin(), text.bytes().end());
  std::vector<std::uint32_t> sa(text.view().n_tokens());
  sort_suffixes(text.bytes(), text.width(), sa);
  std::vector<std::uint8_t> after(text.bytes().begin(), text.bytes().end());
  EXPECT_EQ(before, after) << "sort_suffixes must restore the token buffer";
  return {sa.begin(), sa.end()};
}

std::vector<std::uint64_t> sais64(Text& text) {
  std::vector<std::uint64_t> sa(text.view().n_tokens());
  sort_suffixes(text.bytes(), text.width(), sa);
  return sa;
}

std::uint32_t separator(int width) { return width == 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1; }

// Documents of random lengths in [min_len, max_len], each preceded by a separator, ids in [0, vocab).
std::vector<std::uint32_t> corpus(int width, std::size_t n_docs, std::size_t min_len, std::size_t max_len,
                                  std::uint32_t vocab, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint32_t> ids;
  for (std::size_t d = 0; d < n_docs; ++d) {
    ids.push_back(separator(width));
    std::size_t len = min_len + rng() % (max_len - min_len + 1);
    for (std::size_t i = 0; i < len; ++i) ids.push_back(rng() % vocab);
  }
  return ids;
}

void expect_all_agree(int width, const std::vector<std::uint32_t>& ids, bool with_naive = true) {
  Text text(width, ids);
  std::vector<std::uint64_t> expected =
      with_naive ? sort_suffixes_naive(text.view()) : sort_suffixes_divsufsort(text.view());
  if (with_naive) {
    ASSERT_EQ(sort_suffixes_divsufsort(text.view()), expected) << "width " << width;
  }
  ASSERT_EQ(sais32(text), expected) << "width " << width << ", " << ids.size() << " tokens";
  ASSERT_EQ(sais64(text), expected) << "width " << width << ", " << ids.size() << " tokens";
}

TEST(SuffixArray, OrderIsLittleEndianByteOrderNotNumeric) {
  // Tokens 1 and 256 as 2 bytes: 01 00 | 00 01. Numerically 1 < 256, but the suffix at token 1
  // (bytes 00 01) sorts before the one at token 0 (bytes 01 00 00 01).
  Text text(2, {1, 256});
  EXPECT_EQ(sais32(text), (std::vector<std::uint64_t>{1, 0}));
  EXPECT_EQ(sort_suffixes_naive(text.view()), (std::vector<std::uint64_t>{1, 0}));
  Text wide(4, {0x01000000u, 0x00000002u});  // 00 00 00 01 | 02 00 00 00
  EXPECT_EQ(sais32(wide), (std::vector<std::uint64_t>{0, 1}));
}

TEST(SuffixArray, ShorterSuffixFirstAndSeparatorsLast) {
  // "abab" with a separator first: 0xFF sorts after every other byte; "b" < "bab".
  Text text(1, {0xFF, 'a', 'b', 'a', 'b'});
  EXPECT_EQ(sais32(text), (std::vector<std::uint64_t>{3, 1, 4, 2, 0}));
}

TEST(SuffixArray, EmptyAndSingleToken) {
  Text empty(2, {});
  EXPECT_TRUE(sais32(empty).empty());
  Text one(4, {7});
  EXPECT_EQ(sais32(one), (std::vector<std::uint64_t>{0}));
}

TEST(SuffixArray, OneRepeatedToken) {
  for (int width : {1, 2, 4}) {
    expect_all_agree(width, std::vector<std::uint32_t>(3000, 0x41));
    std::vector<std::uint32_t> ids(1, separator(width));
    ids.resize(2001, 0x4142 & (width == 1 ? 0xFF : 0xFFFF));
    expect_all_agree(width, ids);
  }
}

TEST(SuffixArray, PeriodicText) {
  for (int width : {1, 2, 4}) {
    for (std::size_t period : {2u, 3u, 7u, 64u}) {
      std::vector<std::uint32_t> ids;
      for (std::size_t i = 0; i < 2500; ++i)
        ids.push_back(static_cast<std::uint32_t>((i % period) * 37 % 200));
      expect_all_agree(width, ids);
    }
  }
}

TEST(SuffixArray, ManyTinyDocuments) {
  for (int width : {1, 2, 4}) {
    expect_all_agree(width, corpus(width, 1500, 0, 3, 3, 11));
    expect_all_agree(width, corpus(width, 1000, 0, 0, 1, 12));  // only separators
  }
}

TEST(SuffixArray, OneHugeDocument) {
  for (int width : {1, 2, 4}) {
    std::vector<std::uint32_t> ids = corpus(width, 1, 200000, 200000, 4, 13);
    expect_all_agree(width, ids, /*with_naive=*/false);
  }
}

TEST(SuffixArray, RandomCorporaAgainstNaiveSort) {
  for (std::uint32_t seed = 0; seed < 30; ++seed) {
    for (int width : {1, 2, 4}) {
      std::uint32_t vocab = seed % 3 == 0 ? 2 : seed % 3 == 1 ? 50 : (width == 1 ? 255 : 60000);
      expect_all_agree(width, corpus(width, 1 + seed % 7, 0, 300, vocab, seed));
    }
  }
}

TEST(SuffixArray, FullRangeIdsAgainstDivsufsort) {
  // Ids that exercise every byte of the width, including ids above 2^26 for 4-byte tokens.
  std::mt19937 rng(99);
  for (int width : {2, 4}) {
    std::vector<std::uint32_t> ids;
    for (int d = 0; d < 50; ++d) {
      ids.push_back(separator(width));
      for (int i = 0; i < 2000; ++i) {
        std::uint32_t id = rng() % 16;
        id = width == 2 ? (id * 0x1111u) & 0xFFFEu : id * 0x11111110u;
        ids.push_back(id);
      }
    }
    expect_all_agree(width, ids, /*with_naive=*/false);
  }
}

TEST(SuffixArray, LargeRandomTextAgainstDivsufsort) {
  for (int width : {1, 2, 4}) {
    expect_all_agree(width, corpus(width, 300, 0, 2000, width == 1 ? 20 : 5000, 21), /*with_naive=*/false);
  }
}

}  // namespace
}  // namespace lmkit::index
