// Errors with context. lmkit reports bad input by throwing `Error` (a failure: exit code 1) or
// `UsageError` (the command line is wrong: exit code 2); the message names what is at fault — the
// file, the offset, the token, the field — so a user can act on it without a debugger.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace lmkit {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A mistake in how lmkit was called (a bad option value, a missing argument).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(message) {}
};

// Throws Error with a formatted message: fail("{}: expected {} bytes, found {}", path, n, m).
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void usage_fail(fmt::format_string<Args...> format, Args&&... args) {
  throw UsageError(fmt::format(format, std::forward<Args>(args)...));
}

// The message of the current errno, e.g. "No such file or directory".
std::string errno_message(int errnum);

}  // namespace lmkit
