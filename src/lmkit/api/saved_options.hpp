// Trainer options saved in a checkpoint's training.json ("options") and read back by --resume. Each
// trainer lists the options it saves once, in a function beside its options struct,
//   template <typename O, typename Visit> void saved_fields(O& o, Visit visit)
// that calls visit("key", o.member) for each; options_json() and options_from_json() are made from
// that list (found by argument-dependent lookup), so the two directions cannot drift apart.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "lmkit/util/json.hpp"
#include "lmkit/util/json_fields.hpp"

namespace lmkit::api {

// Numbers are read typed and range-checked (util/json_fields.hpp): a "batch": -5 or a "steps": 1e30
// is an error naming the file, the field and the value as written, not a value wrapped to 2^64.
template <typename T>
void read_saved_field(const Json& j, const char* key, const std::string& ctx, T& out) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    static_assert(std::is_unsigned_v<T>, "saved integer options are counts");
    out = static_cast<T>(json_uint(j, key, ctx, 0, std::numeric_limits<T>::max()));
  } else if constexpr (std::is_floating_point_v<T>) {
    if (json_get<Json>(j, key, ctx).is_null())  // how nlohmann writes NaN: never a saved option
      fail("{}: field \"{}\" is null; expected a number", ctx, key);
    out = static_cast<T>(
        json_number_or(j, key, 0, ctx, std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max()));
  } else {
    out = json_get<T>(j, key, ctx);
  }
}

// A list of paths; checkpoints of earlier versions hold one path as a string ("" for none).
inline void read_saved_field(const Json& j, const char* key, const std::string& ctx,
                             std::vector<std::string>& out) {
  const Json& value = json_get<Json>(j, key, ctx);
  if (value.is_string()) {
    std::string path = value.get<std::string>();
    out = path.empty() ? std::vector<std::string>{} : std::vector<std::string>{path};
    return;
  }
  out = json_get<std::vector<std::string>>(j, key, ctx);
}

// The data and the training schedule (`o.schedule`, an api::TrainSchedule), which every trainer
// saves under these keys (its saved_fields calls this and adds its own).
template <typename O, typename Visit>
void visit_common(O& o, Visit& visit) {
  visit("data", o.data);
  visit("val_data", o.val_data);
  visit("tokenizer", o.tokenizer);
  visit("steps", o.schedule.steps);
  visit("warmup", o.schedule.warmup);
  visit("batch", o.batch);
  visit("lr", o.schedule.lr);
  visit("weight_decay", o.schedule.weight_decay);
  visit("clip", o.schedule.clip);
  visit("seed", o.seed);
  visit("val_every", o.val_every);
  visit("checkpoint_every", o.checkpoint_every);
  visit("beta1", o.schedule.beta1);
  visit("beta2", o.schedule.beta2);
  visit("adam_eps", o.schedule.eps);
}

// Keys that checkpoints of earlier versions lack: absent, the option keeps the value it has (the
// trainer's default then, which is what those versions used; mlm checkpoints had no min_lr, and the
// default -1 is their lr / 10).
inline bool added_later(std::string_view key) {
  return key == "beta1" || key == "beta2" || key == "adam_eps" || key == "min_lr" || key == "corpus";
}

template <typename Options>
Json options_json(const Options& o) {
  Json j = Json::object();
  saved_fields(o, [&](const char* key, const auto& value) { j[key] = value; });
  return j;
}

// Every saved field must be present and of its type; errors name `ctx` and the key.
template <typename Options>
void options_from_json(Options& o, const Json& j, const std::string& ctx) {
  saved_fields(o, [&](const char* key, auto& value) {
    if (added_later(key) && !j.contains(key)) return;
    read_saved_field(j, key, ctx, value);
  });
}

// Resuming with options of the caller's own. `o` holds the checkpoint's options (options_from_json),
// `requested` what the caller asked for and `given` the keys it set explicitly. Each given option
// whose value differs from the checkpoint's is named: one in `fixed` (what the checkpoint's model or
// data layout depends on: its tokenizer, its context) is an InvalidArgument naming the first such key
// and listing them all; any other is a warning ("FILE: lr was 0.001; continuing with 0.0005") and then
// takes the requested value. Options not given keep the checkpoint's values, so a bare resume continues
// bit for bit.
template <typename Options>
void apply_resume_changes(Options& o, const Options& requested, const std::set<std::string>& given,
                          std::initializer_list<std::string_view> fixed, const std::string& ctx) {
  const Json saved = options_json(o), asked = options_json(requested);
  std::string first_key, first_value, refused;
  saved_fields(o, [&](const char* key, auto& value) {
    if (!given.contains(key) || saved[key] == asked[key]) return;
    if (std::find(fixed.begin(), fixed.end(), std::string_view(key)) != fixed.end()) {
      if (first_key.empty())
        first_key = key,
        first_value = asked[key].is_string() ? asked[key].get<std::string>() : json_text(asked[key]);
      refused += fmt::format("{}{} {} (the checkpoint's is {})", refused.empty() ? "" : ", ", key,
                             json_text(asked[key]), json_text(saved[key]));
      return;
    }
    warn("{}: {} was {}; continuing with {}", ctx, key, json_text(saved[key]), json_text(asked[key]));
    read_saved_field(asked, key, ctx, value);
  });
  if (!first_key.empty())
    throw InvalidArgument(
        first_key, first_value,
        fmt::format("differs from the checkpoint in {}, which a resumed run cannot change: {}", ctx,
                    refused));
}

}  // namespace lmkit::api
