#include "lmkit/api/trainer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "lmkit/util/error.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::api {

void validate(const TrainSchedule& s) {
  if (s.steps == 0) invalid_argument("steps", s.steps, "must be at least 1");
  if (s.warmup > s.steps)
    invalid_argument("warmup", s.warmup, "exceeds the {} steps of the schedule", s.steps);
  if (!std::isfinite(s.lr) || s.lr <= 0 || s.lr > max_learning_rate)
    invalid_argument("lr", s.lr, "must be a number in (0, {}]", max_learning_rate);
  if (!std::isfinite(s.min_lr) || s.min_lr < 0 || s.min_lr > s.lr)
    invalid_argument("min_lr", s.min_lr, "must be a number in [0, lr = {}]", s.lr);
  if (!std::isfinite(s.weight_decay) || s.weight_decay < 0)
    invalid_argument("weight_decay", s.weight_decay, "must be a finite number >= 0");
  if (!std::isfinite(s.clip) || s.clip <= 0) invalid_argument("clip", s.clip, "must be a finite number > 0");
  if (!(s.beta1 >= 0 && s.beta1 < 1)) invalid_argument("beta1", s.beta1, "must be in [0, 1)");
  if (!(s.beta2 >= 0 && s.beta2 < 1)) invalid_argument("beta2", s.beta2, "must be in [0, 1)");
  if (!std::isfinite(s.eps) || s.eps <= 0) invalid_argument("adam_eps", s.eps, "must be a finite number > 0");
}

TrainSchedule with_defaults(TrainSchedule s) {
  if (s.warmup == 0) s.warmup = std::max<std::uint64_t>(1, s.steps / 20);
  if (s.min_lr < 0) s.min_lr = s.lr / 10;
  return s;
}

void check_finite(float value, const char* what, std::uint64_t step) {
  if (!std::isfinite(value))
    fail("step {}: the {} is {}; training stopped, the last checkpoint written (if any) is kept", step, what,
         value);
}

Trainer::Trainer(TrainerOptions options) : options_(std::move(options)) {
  validate(options_.schedule);
  if (options_.val_every == 0) invalid_argument("val_every", options_.val_every, "must be at least 1");
}

nn::AdamW& Trainer::make_optimizer(std::size_t n_parameters) {
  if (!optimizer_) {
    const TrainSchedule& s = options_.schedule;
    optimizer_.emplace(
        nn::AdamWConfig{.beta1 = s.beta1, .beta2 = s.beta2, .eps = s.eps, .weight_decay = s.weight_decay},
        n_parameters);
  }
  return *optimizer_;
}

const nn::AdamW& Trainer::optimizer() const {
  if (!optimizer_) fail("the trainer has no optimizer state before resume() or run()");
  return *optimizer_;
}

std::uint64_t Trainer::last_step() const {
  const std::uint64_t steps = options_.schedule.steps;
  return options_.until ? std::min(options_.until, steps) : steps;
}

void Trainer::resume(const std::string& dir, const Json& state, std::size_t n_parameters) {
  progress_ = nn::resume_progress(dir, state, make_optimizer(n_parameters), last_step());
  resumed_ = true;
}

Json Trainer::state(const std::string& format, const Json& options) const {
  return {{"format", format}, {"step", progress_.step}, {"options", options}};
}

TrainResult Trainer::run(const Trainable& model, const Forward& forward, const Evaluate& evaluate,
                         const Checkpoint& checkpoint) {
  const TrainerOptions& o = options_;
  const TrainSchedule& s = o.schedule;
  const std::uint64_t last = last_step();
  nn::AdamW& optimizer = make_optimizer(model.parameters().size());
  TrainResult r;
  std::uint64_t& step = progress_.step;
  double units = 0;
  const auto start = std::chrono::steady_clock::now();
  auto update_rate = [&] {
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.units_per_second = units / std::max(r.seconds, 1e-9);
  };
  // The bar only when no callback reports progress.
  std::optional<ProgressBar> bar;
  if (!o.on_step) {
    bar.emplace(o.label, s.steps, "steps");
    bar->set(step);
  }
  while (step < last) {
    const auto [loss, batch_units] = forward(step);
    // A non-finite value stops the run before the optimizer or a checkpoint can spread it.
    check_finite(loss, "training loss", step + 1);
    r.train_loss = loss;
    model.zero_grad();
    model.backward();
    check_finite(nn::clip_grad_norm(model.gradients(), s.clip), "gradient norm", step + 1);
    optimizer.step(model.parameters(), model.gradients(), model.specs(),
                   nn::learning_rate(step, s.warmup, s.steps, s.lr, s.min_lr));
    ++step;
    units += static_cast<double>(batch_units);
    nn::LossPoint point{step, r.train_loss, std::nullopt};
    if (step % o.val_every == 0 || step == last) {
      point.val_loss = r.val_loss = evaluate();
      check_finite(*point.val_loss, "validation loss", step);
    }
    progress_.history.push_back(point);
    update_rate();
    if (o.on_step) {
      o.on_step({.step = step,
                 .steps = s.steps,
                 .train_loss = r.train_loss,
                 .val_loss = r.val_loss,
                 .units_per_second = r.units_per_second,
                 .validated = point.val_loss.has_value()});
    } else {
      bar->set_note(fmt::format("loss {:.3f}{} {:.0f} {}/s", r.train_loss,
                                r.val_loss ? fmt::format(" val {:.3f}", *r.val_loss) : "", r.units_per_second,
                                o.unit));
      bar->set(step);
      if (point.val_loss && !bar->enabled() && !o.quiet)
        fmt::print(stderr, "step {}/{}: train loss {:.4f}, val loss {:.4f}, {:.0f} {}/s\n", step, s.steps,
                   r.train_loss, *point.val_loss, r.units_per_second, o.unit);
    }
    if (o.checkpoint_every && step % o.checkpoint_every == 0 && step != last) checkpoint(*this);
  }
  checkpoint(*this);
  if (bar) bar->finish();
  update_rate();
  return r;
}

namespace {

namespace fs = std::filesystem;

constexpr const char* kPathsKey = "paths";
constexpr const char* kRelativeToCheckpoint = "relative to the checkpoint";

// Applies `convert` to each path the options record: every entry of "data" and "val_data" (a list,
// or one string in earlier versions), and "tokenizer" when it names something on disk.
template <typename Convert>
void for_each_path(Json& options, Convert convert) {
  for (const char* key : {"data", "val_data"}) {
    if (!options.contains(key)) continue;
    Json& value = options[key];
    if (value.is_string() && !value.get<std::string>().empty()) value = convert(value.get<std::string>());
    if (value.is_array())
      for (Json& path : value)
        if (path.is_string()) path = convert(path.get<std::string>());
  }
}

}  // namespace

Json portable_paths(Json options, const std::string& dir) {
  const fs::path base = fs::absolute(dir).lexically_normal();
  auto relative = [&](const std::string& path) {
    return fs::absolute(path).lexically_normal().lexically_relative(base).string();
  };
  for_each_path(options, relative);
  if (options.contains("tokenizer") && options["tokenizer"].is_string()) {
    const std::string spec = options["tokenizer"].get<std::string>();
    std::error_code ec;
    if (!spec.empty() && fs::exists(spec, ec)) options["tokenizer"] = relative(spec);
  }
  options[kPathsKey] = kRelativeToCheckpoint;
  return options;
}

Json resolved_paths(Json options, const std::string& dir) {
  if (!options.is_object() || !options.contains(kPathsKey) || options[kPathsKey] != kRelativeToCheckpoint)
    return options;
  auto resolve = [&](const std::string& path) {
    return fs::path(path).is_absolute() ? path : (fs::path(dir) / path).lexically_normal().string();
  };
  for_each_path(options, resolve);
  if (options.contains("tokenizer") && options["tokenizer"].is_string()) {
    const std::string spec = options["tokenizer"].get<std::string>();
    std::error_code ec;
    if (!spec.empty() && fs::exists(fs::path(dir) / spec, ec)) options["tokenizer"] = resolve(spec);
  }
  options.erase(kPathsKey);
  return options;
}

}  // namespace lmkit::api
