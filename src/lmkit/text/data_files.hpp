// Where lmkit finds the data files it ships (GPT-2's tokenizer files, in share/lmkit/ of an installed
// tree). A program built against the library, or the CLI run from anywhere, finds them the same way.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lmkit::text {

// The directories searched for lmkit's data, in order:
//   1. the installed data directory beside the running executable (<exe dir>/../share/lmkit for an
//      executable in <prefix>/bin), so an installed tree still works after being moved;
//   2. the install prefix compiled into the library (CMAKE_INSTALL_PREFIX/share/lmkit);
//   3. $LMKIT_DATA, when set;
//   4. data/ of the source tree the library was built from.
std::vector<std::string> data_dirs();

// `<dir>/<name>` for the first of `dirs` whose `<name>` subdirectory holds every one of `files`.
// Throws Error naming `name`, the missing files and every place looked otherwise.
std::string find_data_dir(std::span<const std::string> dirs, std::string_view name,
                          std::span<const std::string> files);

}  // namespace lmkit::text
