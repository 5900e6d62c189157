// lmkit's version, as the library that a program links was built (the CLI's --version prints it).
#pragma once

#include <string>

namespace lmkit::api {

// "0.1.0": the project version of the CMake build.
std::string version();

}  // namespace lmkit::api
