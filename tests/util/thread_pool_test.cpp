#include "lmkit/util/thread_pool.hpp"

#include <gtest/gtest.h>

#include "lmkit/util/error.hpp"

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <system_error>
#include <thread>
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

namespace {

// Starts three workers, then fails as pthread_create does when the process has no threads left.
std::atomic<int> g_started{0};
std::thread start_three_then_fail(std::function<void()> body) {
  if (g_started++ >= 3)
    throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
  return std::thread(std::move(body));
}

}  // namespace

TEST(ThreadPool, AThreadThatCannotBeCreatedIsAnErrorAndTheStartedOnesStop) {
  g_started = 0;
  lmkit::ThreadPool::set_thread_starter_for_testing(&start_three_then_fail);
  try {
    lmkit::ThreadPool pool(8);
    ADD_FAILURE() << "the pool was created";
  } catch (const lmkit::Error& e) {
    EXPECT_STREQ(e.what(), "cannot create worker thread 4 of 7: Resource temporarily unavailable");
  }
  lmkit::ThreadPool::set_thread_starter_for_testing(nullptr);
  EXPECT_EQ(g_started.load(), 4);
  // The process goes on normally: a new pool works.
  lmkit::ThreadPool pool(4);
  std::atomic<int> count{0};
  pool.run(100, [&](std::size_t) { count++; });
  EXPECT_EQ(count.load(), 100);
}

TEST(ThreadPool, MoreThreadsThanTheMaximumAreRefusedBeforeAnyStarts) {
  const std::size_t too_many = lmkit::ThreadPool::max_threads() + 1;
  EXPECT_GE(lmkit::ThreadPool::max_threads(), 256u);
  try {
    lmkit::ThreadPool pool(too_many);
    ADD_FAILURE() << "the pool was created";
  } catch (const lmkit::InvalidArgument& e) {
    EXPECT_EQ(e.field(), "threads");
    EXPECT_EQ(e.value(), std::to_string(too_many));
  }
  EXPECT_THROW(lmkit::ThreadPool::set_default_threads(too_many), lmkit::InvalidArgument);
  EXPECT_NO_THROW(lmkit::ThreadPool::set_default_threads(0));
}
