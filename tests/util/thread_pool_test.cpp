#include "lmkit/util/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <vector>

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
  lmkit::ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  for (int round = 0; round < 5; ++round) pool.run(hits.size(), [&](std::size_t i) { hits[i]++; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 5);
}

TEST(ThreadPool, ParallelForCoversTheRangeInDisjointChunks) {
  lmkit::ThreadPool pool(2);
  std::vector<int> seen(12345, 0);
  pool.parallel_for(seen.size(), [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) seen[i] += 1;
  });
  EXPECT_EQ(std::accumulate(seen.begin(), seen.end(), 0), 12345);
  EXPECT_EQ(*std::min_element(seen.begin(), seen.end()), 1);
}

TEST(ThreadPool, RethrowsTheFirstExceptionAndStaysUsable) {
  lmkit::ThreadPool pool(2);
  EXPECT_THROW(pool.run(100,
                        [](std::size_t i) {
                          if (i == 37) throw std::runtime_error("task 37");
                        }),
               std::runtime_error);
  std::atomic<int> count{0};
  pool.run(50, [&](std::size_t) { count++; });
  EXPECT_EQ(count.load(), 50);
}

TEST(ThreadPool, ARunInsideATaskRunsInlineInsteadOfDeadlocking) {
  lmkit::ThreadPool pool(2);
  std::vector<std::atomic<int>> counts(8);
  pool.run(8, [&](std::size_t i) { pool.run(5, [&](std::size_t) { counts[i]++; }); });
  for (auto& c : counts) EXPECT_EQ(c.load(), 5);
}

// A run of one task runs it on the calling thread; a run inside that task must go inline too.
TEST(ThreadPool, ARunInsideASingleTaskRunRunsInline) {
  lmkit::ThreadPool pool(2);
  std::atomic<int> count{0};
  pool.run(1, [&](std::size_t) { pool.run(4, [&](std::size_t) { count++; }); });
  EXPECT_EQ(count.load(), 4);
  pool.run(3, [&](std::size_t) { count++; });  // and the pool is usable afterwards
  EXPECT_EQ(count.load(), 7);
}
