// Shared by the fuzz targets: a scratch directory per process, writing the input to files there, and
// the rule every target applies — lmkit's own exceptions (Error, UsageError, InvalidArgument) are the
// expected way to reject bad input; anything else escaping a parser aborts the run as a finding.
#pragma once

#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "lmkit/util/error.hpp"

namespace lmkit::fuzz {

// A directory of its own for this process (removed at exit), for targets whose parser reads files.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto base = std::filesystem::temp_directory_path() / ("lmkit-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(base);
    std::filesystem::create_directories(base);
    static struct Cleanup {
      std::filesystem::path path;
      ~Cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
      }
    } cleanup{base};
    return base;
  }();
  return dir;
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

// Splits `data` at the first occurrence of `separator`: the part before, and the part after (all of
// data and "" when there is none). Targets whose parser reads two files take both from one input.
inline std::pair<std::string_view, std::string_view> split_input(std::string_view data,
                                                                 std::string_view separator) {
  const auto at = data.find(separator);
  if (at == std::string_view::npos) return {data, {}};
  return {data.substr(0, at), data.substr(at + separator.size())};
}

// Runs `parse`; lmkit::Error and its subclasses are expected outcomes, any other exception is a finding.
template <class F>
int guarded(F&& parse) {
  try {
    parse();
  } catch (const lmkit::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: a non-lmkit exception escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}

}  // namespace lmkit::fuzz
