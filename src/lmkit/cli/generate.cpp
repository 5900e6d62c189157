// `lmkit generate`: continues prompts with a GPT-like model directory (Algorithm 14 DInference with a
// KV cache). One prompt streams its continuation as it is produced; several prompts run as one
// padded batch and print when done. With --index, tokens are sampled from the GPT + ∞-gram mixture
// λ·P∞ + (1 − λ)·P_GPT instead, one prompt after another, the model's part through a KV cache
// (lm::GptStream; past n_ctx the cache restarts from the last n_ctx / 2 tokens).
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "lmkit/cli/command.hpp"
#include "lmkit/cli/model_tokenizer.hpp"
#include "lmkit/lm/gpt_lm.hpp"
#include "lmkit/lm/hybrid.hpp"
#include "lmkit/ngram/open.hpp"
#include "lmkit/nn/generate.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::cli {

namespace {

struct GenerateCliOptions {
  std::string model_dir, tokenizer;
  std::vector<std::string> prompts;
  std::size_t max_new_tokens = 64, top_k = 0;
  float temperature = 1.0f, top_p = 1.0f;
  std::uint64_t seed = 0;
  bool json = false;
  std::string index_dir;
  std::optional<double> lambda_sparse, lambda_dense;
};

std::vector<std::uint32_t> to_ids(const std::vector<std::int32_t>& tokens) {
  return {tokens.begin(), tokens.end()};
}

void run_generate(const GenerateCliOptions& o) {
  if (!o.index_dir.empty() && (!o.lambda_sparse || !o.lambda_dense))
    usage_fail("--index needs --lambda-sparse and --lambda-dense (lmkit eval tunes and reports them)");
  tensor::set_gemm_threads(ThreadPool::default_threads());
  nn::LoadedModel loaded = nn::load_gpt2_dir(o.model_dir);
  std::string spec =
      o.tokenizer.empty() ? model_tokenizer_spec(o.model_dir, loaded.tokenizer_spec) : o.tokenizer;
  if (spec.empty()) usage_fail("{}/config.json names no tokenizer; pass --tokenizer", o.model_dir);
  auto tokenizer = text::load_tokenizer(spec);
  if (tokenizer->vocab_size() > loaded.model.config().vocab_size)
    fail("tokenizer {} has {} ids but the model's vocabulary is {}", spec, tokenizer->vocab_size(),
         loaded.model.config().vocab_size);

  std::vector<std::vector<std::int32_t>> prompts;
  for (const auto& text : o.prompts) {
    auto ids = tokenizer->encode(text);
    if (ids.empty()) {
      auto start = tokenizer->specials().eos ? tokenizer->specials().eos : tokenizer->specials().bos;
      if (!start)
        usage_fail("--prompt is empty and tokenizer {} has no end-of-text token to start from", spec);
      ids.push_back(*start);
    }
    prompts.emplace_back(ids.begin(), ids.end());
  }
  nn::GenerateOptions options;
  options.max_new_tokens = o.max_new_tokens;
  options.sampling = {.temperature = o.temperature, .top_k = o.top_k, .top_p = o.top_p, .seed = o.seed};
  if (auto eos = tokenizer->specials().eos) options.stop_token = static_cast<std::int32_t>(*eos);

  // Streaming: a single prompt prints each piece of text as soon as its token is chosen. Decoding the
  // whole continuation each time keeps multi-token characters intact.
  const bool stream = prompts.size() == 1 && !o.json;
  std::vector<std::int32_t> streamed;
  std::size_t printed = 0;
  if (stream) {
    fmt::print("{}", o.prompts[0]);
    std::fflush(stdout);
  }
  auto on_token = [&](std::size_t, std::int32_t token) {
    if (!stream) return;
    streamed.push_back(token);
    std::string text = tokenizer->decode(to_ids(streamed));
    if (text.size() > printed) {
      fmt::print("{}", text.substr(printed));
      std::fflush(stdout);
      printed = text.size();
    }
  };
  std::vector<std::vector<std::int32_t>> outputs;
  if (o.index_dir.empty()) {
    outputs = nn::generate(loaded.model, prompts, options, on_token);
  } else {
    // Sampling from the mixture: the sampler's "logits" are the mixture's log-probabilities, so
    // temperature, top-k and top-p mean what they mean for the model alone.
    auto model = std::make_shared<nn::GptModel>(std::move(loaded.model));
    auto neural = std::make_shared<lm::GptLM>(model);
    std::shared_ptr<ngram::OpenedIndex> opened = ngram::open_index(o.index_dir);
    std::shared_ptr<const ngram::Engine> engine(opened, opened->engine.get());
    auto infgram = std::make_shared<lm::InfgramLM>(engine, neural->vocab_size());
    lm::HybridLM hybrid(infgram, neural, {*o.lambda_sparse, *o.lambda_dense});
    std::vector<float> log_probs(neural->vocab_size());
    for (std::size_t row = 0; row < prompts.size(); ++row) {
      nn::SamplingOptions sampling = options.sampling;
      sampling.seed += row;
      nn::Sampler sampler(sampling);
      std::vector<std::uint32_t> context = to_ids(prompts[row]);
      std::vector<std::int32_t> generated;
      lm::GptStream cached(model);  // the model's part through a KV cache: one position per step
      std::vector<double> distribution;
      while (generated.size() < options.max_new_tokens) {
        distribution = cached.next_token_distribution(context);
        hybrid.mix(context, distribution);
        for (std::size_t v = 0; v < distribution.size(); ++v)
          log_probs[v] = static_cast<float>(std::log(distribution[v]));
        const std::int32_t token = sampler.sample(log_probs);
        generated.push_back(token);
        context.push_back(static_cast<std::uint32_t>(token));
        on_token(row, token);
        if (options.stop_token && token == *options.stop_token) break;
      }
      outputs.push_back(std::move(generated));
    }
  }
  if (stream) {
    fmt::print("\n");
    return;
  }
  if (o.json) {
    Json results = Json::array();
    for (std::size_t i = 0; i < outputs.size(); ++i)
      results.push_back({{"prompt", o.prompts[i]},
                         {"prompt_ids", prompts[i]},
                         {"ids", outputs[i]},
                         {"text", tokenizer->decode(to_ids(outputs[i]))}});
    fmt::print("{}\n", json_text(Json{{"model", o.model_dir}, {"results", results}}));
    return;
  }
  for (std::size_t i = 0; i < outputs.size(); ++i)
    fmt::print("{}{}\n{}", o.prompts[i], tokenizer->decode(to_ids(outputs[i])),
               i + 1 < outputs.size() ? "---\n" : "");
}

const bool registered = register_command("generate", [](CLI::App& app) {
  auto o = std::make_shared<GenerateCliOptions>();
  auto* sub =
      app.add_subcommand("generate", "Continue prompts with a GPT-like model (KV cache; streams one prompt)");
  sub->add_option("--model", o->model_dir, "Model directory (config.json + model.safetensors)")->required();
  sub->add_option("--prompt", o->prompts, "Prompt text; repeat for a batch of prompts")->required();
  sub->add_option("--tokenizer", o->tokenizer, "Tokenizer spec (default: the one named in config.json)");
  sub->add_option("--max-new-tokens", o->max_new_tokens, "Tokens to generate per prompt")
      ->capture_default_str();
  sub->add_option("--temperature", o->temperature, "Sampling temperature; 0 is greedy")
      ->capture_default_str();
  sub->add_option("--top-k", o->top_k, "Sample among the k most likely tokens (0: all)")
      ->capture_default_str();
  sub->add_option("--top-p", o->top_p, "Nucleus sampling mass")->capture_default_str();
  sub->add_option("--seed", o->seed, "Sampling seed (prompt i uses seed + i)")->capture_default_str();
  sub->add_option("--index", o->index_dir, "Sample from the GPT + ∞-gram mixture over this index");
  sub->add_option("--lambda-sparse", o->lambda_sparse,
                  "Mixture weight of sparse ∞-gram estimates (with --index)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--lambda-dense", o->lambda_dense,
                  "Mixture weight of dense ∞-gram estimates (with --index)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_flag("--json", o->json, "Print one JSON document");
  sub->callback([o] { run_generate(*o); });
});

}  // namespace

}  // namespace lmkit::cli
