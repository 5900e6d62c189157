// The sampling flags of every generating command (generate, seq2seq generate), bound to one
// nn::SamplingOptions: --temperature, --top-k, --top-p, --seed.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "lmkit/nn/generate.hpp"

namespace lmkit::cli {

// `unit` names what is sampled for (input i uses seed + i): "prompt", "input".
inline void add_sampling_options(CLI::App* sub, nn::SamplingOptions& sampling, const std::string& unit) {
  sub->add_option("--temperature", sampling.temperature, "Sampling temperature; 0 is greedy")
      ->capture_default_str();
  sub->add_option("--top-k", sampling.top_k, "Sample among the k most likely tokens (0: all)")
      ->capture_default_str();
  sub->add_option("--top-p", sampling.top_p, "Nucleus sampling mass")->capture_default_str();
  sub->add_option("--seed", sampling.seed, "Sampling seed (" + unit + " i uses seed + i)")
      ->capture_default_str();
}

}  // namespace lmkit::cli
