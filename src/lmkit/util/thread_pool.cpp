#include "lmkit/util/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <system_error>

#include "lmkit/util/error.hpp"

namespace lmkit {

namespace {
std::atomic<std::size_t> g_default_threads{0};
std::atomic<ThreadPool::ThreadStarter> g_thread_starter{nullptr};
// True while this thread runs a task of some run(): a run() from inside a task runs inline.
thread_local bool t_in_task = false;

// Marks this thread as running a task for the guard's lifetime (exceptions included).
struct InTask {
  InTask() { t_in_task = true; }
  ~InTask() { t_in_task = false; }
  InTask(const InTask&) = delete;
  InTask& operator=(const InTask&) = delete;
};

// Waits up to ~50 µs for ready() by spinning, and says whether it came. Kernels issue runs back to
// back (one decoding step is dozens of small ones), and putting a thread to sleep and waking it
// again costs more than many of those runs; past the spin, threads block as usual.
template <typename Ready>
bool spin_until(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    if (std::chrono::steady_clock::now() > deadline) return ready();
  }
}
}  // namespace

ThreadPool::ThreadPool(std::size_t n_threads) {
  if (n_threads > max_threads())
    invalid_argument("threads", n_threads, "must be at most {} (0: all {} cores)", max_threads(),
                     std::max(1u, std::thread::hardware_concurrency()));
  n_threads = std::max<std::size_t>(1, n_threads);
  workers_.reserve(n_threads - 1);
  const ThreadStarter starter = g_thread_starter.load();
  try {
    for (std::size_t i = 0; i + 1 < n_threads; ++i) {
      if (starter) {
        workers_.push_back(starter([this] { worker_loop(); }));
      } else {
        workers_.emplace_back([this] { worker_loop(); });
      }
    }
  } catch (const std::system_error& e) {
    // The destructor does not run for a constructor that throws: stop the workers already waiting on
    // wake_ here, before the members they use are destroyed.
    const std::size_t started = workers_.size();
    stop_workers();
    fail("cannot create worker thread {} of {}: {}", started + 1, n_threads - 1, e.code().message());
  }
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

void ThreadPool::drain_tasks() {
  std::unique_lock lock(mutex_);
  while (next_task_ < n_tasks_) {
    std::size_t index = next_task_++;
    const auto* task = task_;
    if (error_) {  // a task failed: the rest are counted as done without running
      ++tasks_done_;
      continue;
    }
    lock.unlock();
    try {
      InTask in_task;
      (*task)(index);
    } catch (...) {
      lock.lock();
      if (!error_) error_ = std::current_exception();
      ++tasks_done_;
      continue;
    }
    lock.lock();
    ++tasks_done_;
  }
  if (tasks_done_ == n_tasks_) done_.notify_all();
}

void ThreadPool::worker_loop() {
  std::size_t seen_generation = 0;
  while (true) {
    {
      spin_until([&] { return generation_.load() != seen_generation; });
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
      if (stopping_) return;
      seen_generation = generation_;
    }
    drain_tasks();
  }
}

void ThreadPool::run(std::size_t n_tasks, const std::function<void(std::size_t)>& task) {
  if (n_tasks == 0) return;
  if (t_in_task) {  // nested: the pool is busy with the outer run(), so this one runs here
    for (std::size_t i = 0; i < n_tasks; ++i) task(i);
    return;
  }
  std::lock_guard run_lock(run_mutex_);
  if (workers_.empty() || n_tasks == 1) {
    InTask in_task;  // here too a run() from inside the task must go inline: run_mutex_ is held
    for (std::size_t i = 0; i < n_tasks; ++i) task(i);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    task_ = &task;
    n_tasks_ = n_tasks;
    next_task_ = 0;
    tasks_done_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  drain_tasks();
  spin_until([&] { return tasks_done_.load() == n_tasks; });
  std::exception_ptr error;
  {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return tasks_done_ == n_tasks_; });
    error = error_;
    task_ = nullptr;
    n_tasks_ = 0;
  }
  if (error) std::rethrow_exception(error);
}

void ThreadPool::parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& body,
                              std::size_t min_chunk) {
  if (n == 0) return;
  min_chunk = std::max<std::size_t>(1, min_chunk);
  // A few chunks per thread balance uneven work without much scheduling cost.
  std::size_t n_chunks = std::min((n + min_chunk - 1) / min_chunk, size() * 4);
  std::size_t chunk = (n + n_chunks - 1) / n_chunks;
  n_chunks = (n + chunk - 1) / chunk;
  run(n_chunks, [&](std::size_t c) { body(c * chunk, std::min(n, (c + 1) * chunk)); });
}

void ThreadPool::set_default_threads(std::size_t n_threads) {
  if (n_threads > max_threads())
    invalid_argument("threads", n_threads, "must be at most {} (0: all {} cores)", max_threads(),
                     std::max(1u, std::thread::hardware_concurrency()));
  g_default_threads.store(n_threads);
}

std::size_t ThreadPool::max_threads() {
  return std::max<std::size_t>(256, 4 * std::size_t{std::thread::hardware_concurrency()});
}

void ThreadPool::set_thread_starter_for_testing(ThreadStarter starter) { g_thread_starter.store(starter); }

std::size_t ThreadPool::default_threads() {
  std::size_t n = g_default_threads.load();
  if (n == 0) n = std::min<std::size_t>(max_threads(), std::max(1u, std::thread::hardware_concurrency()));
  return n;
}

ThreadPool& ThreadPool::global() {
  static ThreadPool pool(default_threads());
  return pool;
}

}  // namespace lmkit
