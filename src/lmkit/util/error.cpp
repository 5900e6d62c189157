#include "lmkit/util/error.hpp"

#include <cstdio>
#include <cstring>
#include <mutex>

namespace lmkit {

namespace {

std::mutex warning_mutex;
WarningHandler warning_handler;  // empty: stderr

}  // namespace

WarningHandler set_warning_handler(WarningHandler handler) {
  const std::lock_guard lock(warning_mutex);
  std::swap(handler, warning_handler);
  return handler;
}

void warn_message(const std::string& message) {
  const std::lock_guard lock(warning_mutex);
  if (warning_handler) {
    warning_handler(message);
    return;
  }
  std::fprintf(stderr, "warning: %s\n", message.c_str());
  std::fflush(stderr);
}

std::string errno_message(int errnum) {
  char buffer[256];
  // GNU strerror_r may return a static string instead of filling the buffer.
  const char* text = strerror_r(errnum, buffer, sizeof buffer);
  return text;
}

}  // namespace lmkit
