// Typed, range-checked field readers for JSON files from outside (config.json, tokenizer_config.json):
// a negative, fractional, out-of-range or mistyped value is an Error that names the file, the field
// and the value as written ("model/config.json: field \"n_layer\" is -1; expected an integer from 1
// to 1024"), never a value wrapped to 2^64 or truncated to 32 bits.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "lmkit/util/json.hpp"

namespace lmkit {

// The integer field `key` of `object`, in [min, max]. A number written with a fraction or an
// exponent counts when its value is a whole number (1e3); 1.5 does not.
std::uint64_t json_uint(const Json& object, std::string_view key, std::string_view context,
                        std::uint64_t min = 0, std::uint64_t max = std::numeric_limits<std::uint64_t>::max());
// Like json_uint, but `fallback` when the field is absent or null.
std::uint64_t json_uint_or(const Json& object, std::string_view key, std::uint64_t fallback,
                           std::string_view context, std::uint64_t min = 0,
                           std::uint64_t max = std::numeric_limits<std::uint64_t>::max());
// Signed integers in [min, max] (token ids where -1 means "none").
std::int64_t json_int_or(const Json& object, std::string_view key, std::int64_t fallback,
                         std::string_view context, std::int64_t min, std::int64_t max);
// A finite number in [min, max].
double json_number_or(const Json& object, std::string_view key, double fallback, std::string_view context,
                      double min, double max);

}  // namespace lmkit
