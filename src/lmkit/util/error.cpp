#include "lmkit/util/error.hpp"

#include <cstring>

namespace lmkit {

std::string errno_message(int errnum) {
  char buffer[256];
  // GNU strerror_r may return a static string instead of filling the buffer.
  const char* text = strerror_r(errnum, buffer, sizeof buffer);
  return text;
}

}  // namespace lmkit
