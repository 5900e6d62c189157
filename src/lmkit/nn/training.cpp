#include "lmkit/nn/training.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/nn/safetensors.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json_fields.hpp"
#include "lmkit/util/svg_plot.hpp"

namespace lmkit::nn {

namespace {

// SplitMix64: a well-mixed 64-bit value from (seed, step), so nearby steps get unrelated batches.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

void sample_batch(std::span<const std::int32_t> tokens, std::size_t B, std::size_t T, std::uint64_t seed,
                  std::uint64_t step, std::vector<std::int32_t>& inputs, std::vector<std::int32_t>& targets) {
  if (tokens.size() <= T) fail("{} tokens of training data cannot fill a window of {} + 1", tokens.size(), T);
  const std::uint64_t n_starts = tokens.size() - T;
  inputs.resize(B * T);
  targets.resize(B * T);
  std::uint64_t state = mix(seed ^ mix(step));
  for (std::size_t b = 0; b < B; ++b) {
    state = mix(state);
    std::size_t start = static_cast<std::size_t>(state % n_starts);
    std::copy_n(tokens.begin() + static_cast<std::ptrdiff_t>(start), T,
                inputs.begin() + static_cast<std::ptrdiff_t>(b * T));
    std::copy_n(tokens.begin() + static_cast<std::ptrdiff_t>(start + 1), T,
                targets.begin() + static_cast<std::ptrdiff_t>(b * T));
  }
}

float evaluate_loss(GptModel& model, std::span<const std::int32_t> tokens, std::size_t B, std::size_t T,
                    std::size_t n_batches) {
  if (tokens.size() <= T)
    fail("{} tokens of validation data cannot fill a window of {} + 1", tokens.size(), T);
  const std::size_t n_windows = std::min(n_batches * B, (tokens.size() - 1) / T);
  const std::size_t stride = (tokens.size() - 1 - T) / std::max<std::size_t>(1, n_windows - 1);
  std::vector<std::int32_t> inputs, targets;
  double total = 0;
  std::size_t counted = 0;
  for (std::size_t w = 0; w < n_windows; w += B) {
    std::size_t rows = std::min(B, n_windows - w);
    inputs.resize(rows * T);
    targets.resize(rows * T);
    for (std::size_t r = 0; r < rows; ++r) {
      std::size_t start = (w + r) * stride;
      std::copy_n(tokens.begin() + static_cast<std::ptrdiff_t>(start), T,
                  inputs.begin() + static_cast<std::ptrdiff_t>(r * T));
      std::copy_n(tokens.begin() + static_cast<std::ptrdiff_t>(start + 1), T,
                  targets.begin() + static_cast<std::ptrdiff_t>(r * T));
    }
    total += static_cast<double>(model.forward(inputs.data(), targets.data(), rows, T)) *
             static_cast<double>(rows);
    counted += rows;
  }
  return static_cast<float>(total / static_cast<double>(counted));
}

Json history_to_json(const std::vector<LossPoint>& history) {
  Json out = Json::array();
  for (const auto& p : history) {
    Json point = {{"step", p.step}, {"train_loss", p.train_loss}};
    if (p.val_loss) point["val_loss"] = *p.val_loss;
    out.push_back(point);
  }
  return out;
}

std::vector<LossPoint> history_from_json(const Json& json, const std::string& context) {
  if (!json.is_array()) fail("{}: loss history must be an array", context);
  std::vector<LossPoint> history;
  for (const auto& point : json) {
    LossPoint p;
    p.step = json_uint(point, "step", context);
    p.train_loss = json_get<float>(point, "train_loss", context);
    if (point.contains("val_loss")) p.val_loss = json_get<float>(point, "val_loss", context);
    history.push_back(p);
  }
  return history;
}

void save_checkpoint(const std::string& dir, bool replace_existing, const GptModel& model,
                     const AdamW& optimizer, const std::string& tokenizer_spec, const Json& state,
                     const std::vector<LossPoint>& history,
                     const std::function<void(const std::string& temp_dir)>& extra_files) {
  AtomicDirectory out(dir, replace_existing);
  save_gpt2_dir(model, out.temp_path(), tokenizer_spec);
  write_training_files(out.temp_path(), optimizer, state, history, "lmkit train: " + dir);
  if (extra_files) extra_files(out.temp_path());
  out.commit();
}

void write_training_files(const std::string& temp_dir, const AdamW& optimizer, const Json& state,
                          const std::vector<LossPoint>& history, const std::string& plot_title) {
  write_safetensors(temp_dir + "/optimizer.safetensors",
                    {{"m", {optimizer.m().size()}, optimizer.m().data()},
                     {"v", {optimizer.v().size()}, optimizer.v().data()}},
                    {{"adamw_steps", std::to_string(optimizer.steps_taken())}});
  Json training = state;
  training["history"] = history_to_json(history);
  write_json_file(temp_dir + "/training.json", training);
  write_file_atomic(temp_dir + "/loss.svg", loss_curve_svg(history, plot_title));
}

Json load_optimizer_state(const std::string& dir, AdamW& optimizer) {
  std::string path = dir + "/optimizer.safetensors";
  SafetensorsFile file = SafetensorsFile::open(path);
  for (const char* name : {"m", "v"}) {
    const SafetensorsEntry* e = file.find(name);
    if (!e) fail("{}: missing tensor \"{}\"", path, name);
    auto target = std::string(name) == "m" ? optimizer.m() : optimizer.v();
    if (e->shape != std::vector<std::size_t>{target.size()})
      fail("{}: tensor \"{}\" has {} elements, the model has {} parameters", path, name,
           e->shape.empty() ? 0 : e->shape[0], target.size());
    auto values = file.read_f32(*e);
    std::copy(values.begin(), values.end(), target.begin());
  }
  auto steps = file.metadata().find("adamw_steps");
  if (steps == file.metadata().end()) fail("{}: metadata lacks adamw_steps", path);
  optimizer.set_steps_taken(std::stoull(steps->second));
  return read_json_file(dir + "/training.json");
}

std::string loss_curve_svg(const std::vector<LossPoint>& history, const std::string& title) {
  PlotSeries train{"train loss", "#1f77b4", {}}, validation{"validation loss", "#d62728", {}};
  for (const auto& p : history) {
    train.points.emplace_back(static_cast<double>(p.step), p.train_loss);
    if (p.val_loss) validation.points.emplace_back(static_cast<double>(p.step), *p.val_loss);
  }
  return line_plot_svg({train, validation}, {title, "step", "loss", false, false});
}

TrainingProgress resume_progress(const std::string& dir, const Json& state, AdamW& optimizer,
                                 std::uint64_t last_step) {
  load_optimizer_state(dir, optimizer);
  const std::string where = dir + "/training.json";
  // Read checked: nlohmann's get<std::uint64_t>() would wrap a "step": -5 to 2^64 - 5.
  TrainingProgress progress{json_uint(state, "step", where),
                            history_from_json(json_get<Json>(state, "history", where), where)};
  if (progress.step >= last_step)
    invalid_argument("steps", last_step, "{} has already run {} steps; a larger value trains further", dir,
                     progress.step);
  return progress;
}

}  // namespace lmkit::nn
