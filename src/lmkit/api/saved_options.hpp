// Trainer options saved in a checkpoint's training.json ("options") and read back by --resume. Each
// trainer lists the options it saves once, in a function beside its options struct,
//   template <typename O, typename Visit> void saved_fields(O& o, Visit visit)
// that calls visit("key", o.member) for each; options_json() and options_from_json() are made from
// that list (found by argument-dependent lookup), so the two directions cannot drift apart.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lmkit/util/json.hpp"

namespace lmkit::api {

template <typename T>
void read_saved_field(const Json& j, const char* key, const std::string& ctx, T& out) {
  out = json_get<T>(j, key, ctx);
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

}  // namespace lmkit::api
