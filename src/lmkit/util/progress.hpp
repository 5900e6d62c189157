// A progress bar on stderr for long work: count, rate and ETA, redrawn at most ten times a second.
// It draws only when its stream is a terminal and lmkit is not --quiet, so logs and pipes stay clean.
// add() is thread-safe, so worker threads can report directly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace lmkit {

class ProgressBar {
 public:
  // total == 0: unknown total (no percentage or ETA). `unit` names what is counted ("docs", "B");
  // with unit "B" counts are shown as KB/MB/GB. `fd` is where to draw (stderr unless a test says).
  ProgressBar(std::string label, std::uint64_t total, std::string unit = "", int fd = 2);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();

  void add(std::uint64_t n);
  void set(std::uint64_t count);
  // Extra text after the rate, e.g. "loss 3.21".
  void set_note(std::string note);
  // Draws the final state and ends the line. Called by the destructor if not before.
  void finish();

  bool enabled() const { return enabled_; }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

  // Global switch set by the CLI's --quiet.
  static void set_quiet(bool quiet);
  static bool quiet();

 private:
  void maybe_draw(bool force);
  std::string render(double elapsed_seconds) const;

  std::string label_;
  std::uint64_t total_;
  std::string unit_;
  int fd_;
  bool enabled_;
  bool finished_ = false;
  std::atomic<std::uint64_t> count_{0};
  std::chrono::steady_clock::time_point start_;
  std::atomic<std::int64_t> last_draw_ns_{0};
  std::mutex draw_mutex_;
  std::string note_;
};

// "1.50 MB", "12.3 k", "999": compact human-readable quantities.
std::string human_count(double value, const std::string& unit);
// "1:02:03" or "4:05".
std::string human_duration(double seconds);

}  // namespace lmkit
