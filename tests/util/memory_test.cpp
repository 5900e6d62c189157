// StreamedAllocator: large blocks aligned for huge pages, small ones from malloc, both usable as
// ordinary vector storage.
#include "lmkit/util/memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

namespace {

TEST(StreamedFloats, LargeBlocksAreAlignedToTwoMebibytes) {
  lmkit::StreamedFloats big(5'000'000, 1.5f);  // 20 MB
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big.data()) % (std::uintptr_t{2} << 20), 0u);
  EXPECT_EQ(big.front(), 1.5f);
  EXPECT_EQ(big.back(), 1.5f);
  big.assign(3, 2.0f);  // reuses or replaces the block like any vector
  EXPECT_EQ(big.size(), 3u);
  EXPECT_EQ(big[2], 2.0f);
}

TEST(StreamedFloats, SmallBlocksAndGrowthKeepTheirValues) {
  lmkit::StreamedFloats v;
  for (int i = 0; i < 2'000'000; ++i) v.push_back(static_cast<float>(i % 1000));  // crosses 4 MiB
  EXPECT_EQ(v.size(), 2'000'000u);
  double sum = std::accumulate(v.begin(), v.end(), 0.0);
  EXPECT_EQ(sum, 2000.0 * (999.0 * 1000.0 / 2));
  lmkit::StreamedFloats empty(0);
  EXPECT_TRUE(empty.empty());
}

}  // namespace
