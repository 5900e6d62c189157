// Errors with context. lmkit reports bad input by throwing `Error` (a failure: the input at fault is
// a file, an index, a model), `UsageError` (the caller asked for something that cannot be done) or
// `InvalidArgument` (one named argument has a value outside its domain). The message names what is at
// fault — the file, the offset, the token, the field — so a user can act on it without a debugger.
// The library never names a front-end's spelling of an argument (a CLI flag, an HTTP field): each
// front-end maps these types to its own terms (exit codes 1 / 2, HTTP 422 / 400, Python exceptions).
#pragma once

#include <fmt/format.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

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
// One argument's value is outside its domain: field "steps", value "-5", problem "must be at least 1".
// what() is "steps = -5: must be at least 1"; the CLI prints its flag instead ("--steps -5: ...").
class InvalidArgument : public UsageError {
 public:
  InvalidArgument(std::string field, std::string value, std::string problem)
      : UsageError(field + " = " + value + ": " + problem),
        field_(std::move(field)),
        value_(std::move(value)),
        problem_(std::move(problem)) {}
  const std::string& field() const { return field_; }
  const std::string& value() const { return value_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string field_, value_, problem_;
};

// Throws InvalidArgument: invalid_argument("steps", steps, "must be at least 1").
template <typename Value, typename... Args>
[[noreturn]] void invalid_argument(std::string field, const Value& value, fmt::format_string<Args...> problem,
                                   Args&&... args) {
  throw InvalidArgument(std::move(field), fmt::format("{}", value),
                        fmt::format(problem, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
[[noreturn]] void usage_fail(fmt::format_string<Args...> format, Args&&... args) {
  throw UsageError(fmt::format(format, std::forward<Args>(args)...));
}

// Warnings: something suspect that is not an error (loaded weights that hold NaN, say). Each goes to
// the warning handler, which by default writes "warning: MESSAGE" and a newline to stderr; a library
// user (a server's log) or a test may install its own. set_warning_handler returns the previous one.
using WarningHandler = std::function<void(const std::string& message)>;
WarningHandler set_warning_handler(WarningHandler handler);
void warn_message(const std::string& message);
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  warn_message(fmt::format(format, std::forward<Args>(args)...));
}

// The message of the current errno, e.g. "No such file or directory".
std::string errno_message(int errnum);

}  // namespace lmkit
