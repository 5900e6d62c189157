#include "lmkit/text/data_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "lmkit/util/error.hpp"

// Set by src/lmkit/text/CMakeLists.txt for this file only (changing the install prefix recompiles
// nothing else): the data directory relative to the executables' directory in an installed tree, and
// the data directory of the configured install prefix.
#ifndef LMKIT_BIN_TO_DATA_DIR
#error "LMKIT_BIN_TO_DATA_DIR must be defined by the build"
#endif
#ifndef LMKIT_INSTALL_DATA_DIR
#error "LMKIT_INSTALL_DATA_DIR must be defined by the build"
#endif

namespace lmkit::text {

namespace fs = std::filesystem;

std::vector<std::string> data_dirs() {
  std::vector<std::string> dirs;
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (!error) dirs.push_back((executable.parent_path() / LMKIT_BIN_TO_DATA_DIR).lexically_normal().string());
  dirs.emplace_back(LMKIT_INSTALL_DATA_DIR);
  if (const char* env = std::getenv("LMKIT_DATA"); env && *env) dirs.emplace_back(env);
  dirs.push_back(std::string(LMKIT_SOURCE_DIR) + "/data");
  return dirs;
}

std::string find_data_dir(std::span<const std::string> dirs, std::string_view name,
                          std::span<const std::string> files) {
  std::string looked;
  for (const std::string& dir : dirs) {
    const fs::path candidate = fs::path(dir) / name;
    bool complete = true;
    for (const std::string& file : files) complete = complete && fs::is_regular_file(candidate / file);
    if (complete) return candidate.string();
    looked += (looked.empty() ? "" : ", ") + candidate.string();
  }
  std::string wanted;
  for (const std::string& file : files) wanted += (wanted.empty() ? "" : " and ") + file;
  fail(
      "{}: {} not found in any of lmkit's data directories ({}); install lmkit, run scripts/install-deps "
      "in its source tree, or set LMKIT_DATA to a directory holding {}/",
      name, wanted, looked, name);
}

}  // namespace lmkit::text
