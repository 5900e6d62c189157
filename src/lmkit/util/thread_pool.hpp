// lmkit's threading policy: one process-wide pool of worker threads, sized by --threads (default:
// all cores). CPU-parallel work (tokenizing, sorting, tensor kernels other than GEMM) goes through
// parallel_for; OpenBLAS keeps its own threads for GEMM. No OpenMP, so the two never oversubscribe
// each other silently.
//
// A pool has at most max_threads() threads (256, or 4 per core on machines with more than 64 cores):
// more only costs memory and scheduling, and tens of thousands exhaust the machine.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lmkit {

class ThreadPool {
 public:
  // Starts n_threads - 1 workers (the caller is the n-th). InvalidArgument("threads") above
  // max_threads(); Error when the system cannot create a thread (those already started are stopped).
  explicit ThreadPool(std::size_t n_threads);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool();

  std::size_t size() const { return workers_.size() + 1; }  // the calling thread works too

  // Calls task(i) for every i in [0, n_tasks), spread over the pool, and returns when all are done.
  // The first exception thrown by a task is rethrown here (remaining tasks are skipped). A run()
  // called from inside a task runs its tasks inline on that thread.
  void run(std::size_t n_tasks, const std::function<void(std::size_t)>& task);

  // Splits [0, n) into contiguous chunks, one or a few per thread: body(begin, end).
  void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& body,
                    std::size_t min_chunk = 1);

  // The process-wide pool, created on first use with default_threads() threads.
  static ThreadPool& global();
  // Threads for the global pool: set_default_threads(0) means all cores. Only before global() is used.
  // InvalidArgument("threads") above max_threads().
  static void set_default_threads(std::size_t n_threads);
  static std::size_t default_threads();
  static std::size_t max_threads();

  // Test seam: how workers are started. Tests install one that fails (as pthread_create does when
  // the process is out of threads or memory) to check that the pool turns that into an Error.
  using ThreadStarter = std::thread (*)(std::function<void()> body);
  static void set_thread_starter_for_testing(ThreadStarter starter);  // nullptr: std::thread

 private:
  void worker_loop();
  void drain_tasks();
  void stop_workers();  // tells the workers to stop and joins them

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::size_t)>* task_ = nullptr;
  std::size_t n_tasks_ = 0;
  std::size_t next_task_ = 0;
  // Both change only under mutex_; atomic so that a thread may watch them, spinning, without it.
  std::atomic<std::size_t> tasks_done_{0};
  std::atomic<std::size_t> generation_{0};
  bool stopping_ = false;
  std::exception_ptr error_;
  std::mutex run_mutex_;  // one run() at a time
};

}  // namespace lmkit
