// The message of the lmkit::Error an action throws, or "" when it throws none: tests then check that
// the message names what is wrong.
#pragma once

#include <functional>
#include <string>

#include "lmkit/util/error.hpp"

namespace lmkit::testing {

inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const lmkit::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace lmkit::testing
