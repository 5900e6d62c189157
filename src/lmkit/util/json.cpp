#include "lmkit/util/json.hpp"

#include <fstream>
#include <sstream>

#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/mapped_file.hpp"

namespace lmkit {

Json parse_json(std::string_view text, std::string_view source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    fail("{}: invalid JSON at byte {}: {}", source, e.byte, e.what());
  } catch (const nlohmann::json::exception& e) {
    // Well-formed text the parser still refuses, e.g. a number too large for a double (out_of_range).
    fail("{}: invalid JSON: {}", source, e.what());
  }
}

Json read_json_file(const std::string& path) {
  MappedFile file = MappedFile::open(path, AccessHint::sequential);
  std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  return parse_json(text, path);
}

std::string json_text(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

void write_json_file(const std::string& path, const Json& value, int indent) {
  write_file_atomic(path, json_text(value, indent) + "\n");
}

}  // namespace lmkit
