#include "lmkit/api/version.hpp"

namespace lmkit::api {

std::string version() { return LMKIT_VERSION; }

}  // namespace lmkit::api
