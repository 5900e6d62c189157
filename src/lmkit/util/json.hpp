// JSON helpers over nlohmann::json: reading files and fields with errors that name the file and the
// field, and writing JSON atomically.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "lmkit/util/error.hpp"

namespace lmkit {

using Json = nlohmann::json;

// Parses a JSON file; errors name the file and the byte offset of the syntax error.
Json read_json_file(const std::string& path);
// Parses text; `source` names where it came from for error messages ("request", "config.json").
Json parse_json(std::string_view text, std::string_view source);
// `value` as JSON text (compact with -1). Strings that are not valid UTF-8 — a token that ends inside
// a character, say — get U+FFFD in place of the bad bytes instead of an exception.
std::string json_text(const Json& value, int indent = -1);
// Writes `value` (pretty-printed with `indent`, or compact with -1) atomically, with a final newline.
void write_json_file(const std::string& path, const Json& value, int indent = 2);

// The field `key` of object `object` as T. Errors name `context` (e.g. "config.json") and the key,
// and say whether the field is missing or of the wrong type.
template <typename T>
T json_get(const Json& object, std::string_view key, std::string_view context) {
  if (!object.is_object()) fail("{}: expected a JSON object", context);
  auto it = object.find(key);
  if (it == object.end()) fail("{}: missing field \"{}\"", context, key);
  try {
    return it->template get<T>();
  } catch (const nlohmann::json::exception&) {
    fail("{}: field \"{}\" has the wrong type ({})", context, key, it->type_name());
  }
}

// Like json_get, but returns `fallback` when the field is absent (still an error when mistyped).
template <typename T>
T json_get_or(const Json& object, std::string_view key, T fallback, std::string_view context) {
  if (!object.is_object()) fail("{}: expected a JSON object", context);
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  return json_get<T>(object, key, context);
}

}  // namespace lmkit
