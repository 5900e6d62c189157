#include "lmkit/util/progress.hpp"

#include <unistd.h>

#include <cmath>

#include <fmt/format.h>

namespace lmkit {

namespace {

std::atomic<bool> g_quiet{false};
constexpr std::int64_t kRedrawIntervalNs = 100'000'000;
constexpr int kBarWidth = 24;

}  // namespace

void ProgressBar::set_quiet(bool quiet) { g_quiet.store(quiet); }
bool ProgressBar::quiet() { return g_quiet.load(); }

std::string human_count(double value, const std::string& unit) {
  static const char* const kDecimal[] = {"", "k", "M", "G", "T", "P"};
  static const char* const kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi"};
  const bool binary = unit == "B";
  const double step = binary ? 1024.0 : 1000.0;
  int prefix = 0;
  while (std::fabs(value) >= step && prefix < 5) {
    value /= step;
    ++prefix;
  }
  std::string number =
      prefix == 0 && value == std::floor(value) ? fmt::format("{:.0f}", value) : fmt::format("{:.3g}", value);
  std::string suffix = std::string(binary ? kBinary[prefix] : kDecimal[prefix]) + unit;
  return suffix.empty() ? number : number + " " + suffix;
}

std::string human_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto total = static_cast<std::int64_t>(seconds + 0.5);
  std::int64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  return h > 0 ? fmt::format("{}:{:02}:{:02}", h, m, s) : fmt::format("{}:{:02}", m, s);
}

ProgressBar::ProgressBar(std::string label, std::uint64_t total, std::string unit, int fd)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      fd_(fd),
      enabled_(!g_quiet.load() && ::isatty(fd) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::add(std::uint64_t n) {
  count_.fetch_add(n, std::memory_order_relaxed);
  if (enabled_) maybe_draw(false);
}

void ProgressBar::set(std::uint64_t count) {
  count_.store(count, std::memory_order_relaxed);
  if (enabled_) maybe_draw(false);
}

void ProgressBar::set_note(std::string note) {
  std::lock_guard lock(draw_mutex_);
  note_ = std::move(note);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  maybe_draw(true);
  std::lock_guard lock(draw_mutex_);
  [[maybe_unused]] ssize_t n = ::write(fd_, "\n", 1);
}

std::string ProgressBar::render(double elapsed) const {
  const std::uint64_t count = count_.load(std::memory_order_relaxed);
  const double rate = elapsed > 0 ? static_cast<double>(count) / elapsed : 0.0;
  std::string line = label_;
  if (total_ > 0) {
    double fraction = std::min(1.0, static_cast<double>(count) / static_cast<double>(total_));
    int filled = static_cast<int>(fraction * kBarWidth);
    line += fmt::format(" {:3.0f}% |{}{}| {}/{}", fraction * 100, std::string(filled, '#'),
                        std::string(kBarWidth - filled, ' '), human_count(static_cast<double>(count), unit_),
                        human_count(static_cast<double>(total_), unit_));
  } else {
    line += " " + human_count(static_cast<double>(count), unit_);
  }
  line += fmt::format("  {}/s", human_count(rate, unit_));
  if (total_ > 0 && rate > 0 && count < total_) {
    line += "  ETA " + human_duration(static_cast<double>(total_ - count) / rate);
  } else {
    line += "  " + human_duration(elapsed);
  }
  if (!note_.empty()) line += "  " + note_;
  return line;
}

void ProgressBar::maybe_draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
  std::int64_t last = last_draw_ns_.load(std::memory_order_relaxed);
  if (!force && now_ns - last < kRedrawIntervalNs) return;
  if (!force && !last_draw_ns_.compare_exchange_strong(last, now_ns)) return;  // another thread draws
  std::unique_lock lock(draw_mutex_, std::defer_lock);
  if (force) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return;
  }
  // \r and erase-line: redraw in place.
  std::string text = "\r\x1b[2K" + render(static_cast<double>(now_ns) * 1e-9);
  [[maybe_unused]] ssize_t n = ::write(fd_, text.data(), text.size());
}

}  // namespace lmkit
