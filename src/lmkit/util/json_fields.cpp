#include "lmkit/util/json_fields.hpp"

#include <cmath>

#include "lmkit/util/error.hpp"

namespace lmkit {

namespace {

// The value as the file wrote it (nlohmann keeps no source text; its dump is the same number or
// string), cut short when long.
std::string as_written(const Json& value) {
  std::string text = json_text(value);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  if (value.is_string() || value.is_object() || value.is_array() || value.is_boolean())
    text += fmt::format(" (a {})", value.type_name());
  return text;
}

const Json& field(const Json& object, std::string_view key, std::string_view context) {
  if (!object.is_object()) fail("{}: expected a JSON object", context);
  auto it = object.find(key);
  if (it == object.end()) fail("{}: missing field \"{}\"", context, key);
  return *it;
}

bool present(const Json& object, std::string_view key, std::string_view context) {
  if (!object.is_object()) fail("{}: expected a JSON object", context);
  auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

// `value` as a whole number within [min, max] of long double's exact range, or false.
bool whole_number(const Json& value, long double& out) {
  if (value.is_number_unsigned()) {
    out = static_cast<long double>(value.get<std::uint64_t>());
    return true;
  }
  if (value.is_number_integer()) {
    out = static_cast<long double>(value.get<std::int64_t>());
    return true;
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (!std::isfinite(d) || d != std::floor(d)) return false;
    out = d;
    return true;
  }
  return false;
}

// The field's value as a whole number within [min, max]; Error naming the field and the value as
// written otherwise. One check for the signed and unsigned readers.
template <typename Integer>
long double whole_number_in(const Json& value, std::string_view key, std::string_view context, Integer min,
                            Integer max) {
  long double number = 0;
  if (!whole_number(value, number) || number < static_cast<long double>(min) ||
      number > static_cast<long double>(max))
    fail("{}: field \"{}\" is {}; expected an integer from {} to {}", context, key, as_written(value), min,
         max);
  return number;
}

}  // namespace

std::uint64_t json_uint(const Json& object, std::string_view key, std::string_view context, std::uint64_t min,
                        std::uint64_t max) {
  const Json& value = field(object, key, context);
  const long double number = whole_number_in(value, key, context, min, max);
  // Exact: an unsigned JSON integer is read as such; a whole float in range converts exactly enough
  // (doubles above 2^53 are rare in configs and are bounded by `max` anyway).
  return value.is_number_unsigned() ? value.get<std::uint64_t>() : static_cast<std::uint64_t>(number);
}

std::uint64_t json_uint_or(const Json& object, std::string_view key, std::uint64_t fallback,
                           std::string_view context, std::uint64_t min, std::uint64_t max) {
  return present(object, key, context) ? json_uint(object, key, context, min, max) : fallback;
}

std::int64_t json_int_or(const Json& object, std::string_view key, std::int64_t fallback,
                         std::string_view context, std::int64_t min, std::int64_t max) {
  if (!present(object, key, context)) return fallback;
  const Json& value = field(object, key, context);
  const long double number = whole_number_in(value, key, context, min, max);
  return value.is_number_integer() && !value.is_number_unsigned() ? value.get<std::int64_t>()
                                                                  : static_cast<std::int64_t>(number);
}

double json_number_or(const Json& object, std::string_view key, double fallback, std::string_view context,
                      double min, double max) {
  if (!present(object, key, context)) return fallback;
  const Json& value = field(object, key, context);
  if (!value.is_number() || !(value.get<double>() >= min && value.get<double>() <= max))
    fail("{}: field \"{}\" is {}; expected a number from {} to {}", context, key, as_written(value), min,
         max);
  return value.get<double>();
}

}  // namespace lmkit
