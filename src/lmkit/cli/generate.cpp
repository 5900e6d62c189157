// `lmkit generate`: continues prompts with a GPT-like model directory (Algorithm 14 DInference with a
// KV cache). One prompt streams its continuation as it is produced; several prompts run as one
// padded batch and print when done. With --index, tokens are sampled from the GPT + ∞-gram mixture
// λ·P∞ + (1 − λ)·P_GPT instead, one prompt after another, the model's part through a KV cache
// (lm::GptStream; past n_ctx the cache restarts from the last n_ctx / 2 tokens).
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "lmkit/api/model.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/sampling_options.hpp"
#include "lmkit/tensor/gemm.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::cli {

namespace {

struct GenerateCliOptions {
  std::string model_dir, tokenizer;
  api::GenerateRequest request;
  bool json = false;
  std::string index_dir;
  std::optional<double> lambda_sparse, lambda_dense;
};

void run_generate(GenerateCliOptions& o) {
  if (o.index_dir.empty() && (o.lambda_sparse || o.lambda_dense))
    usage_fail("--lambda-sparse and --lambda-dense weigh the ∞-gram of an --index; give --index too");
  if (!o.index_dir.empty() && (!o.lambda_sparse || !o.lambda_dense))
    usage_fail("--index needs --lambda-sparse and --lambda-dense (lmkit eval tunes and reports them)");
  // What can be checked without files is checked before anything is loaded or printed (the mixture's
  // λ by their flags' ranges, its index once open).
  // (The request has no mixture yet, so this checks the prompts and sampling options.)
  api::validate(o.request);
  tensor::set_gemm_threads(ThreadPool::default_threads());
  const auto model = api::Model::load(o.model_dir, o.tokenizer);
  if (!o.index_dir.empty()) {
    o.request.mixture.emplace();
    o.request.mixture->index = api::Index::open(o.index_dir);
    o.request.mixture->lambda_sparse = *o.lambda_sparse;
    o.request.mixture->lambda_dense = *o.lambda_dense;
  }

  // Streaming: a single prompt prints each piece of text as soon as its token is chosen.
  const bool stream = o.request.prompts.size() == 1 && !o.json;
  if (stream) {
    fmt::print("{}", o.request.prompts[0]);
    std::fflush(stdout);
  }
  const auto outputs = model->generate(o.request, [&](std::size_t, std::uint32_t, std::string_view text) {
    if (!stream || text.empty()) return;
    fmt::print("{}", text);
    std::fflush(stdout);
  });
  if (stream) return fmt::print("\n");
  if (o.json) {
    Json results = Json::array();
    for (std::size_t i = 0; i < outputs.size(); ++i)
      results.push_back({{"prompt", o.request.prompts[i]},
                         {"prompt_ids", outputs[i].prompt_ids},
                         {"ids", outputs[i].ids},
                         {"text", outputs[i].text},
                         {"finish_reason", outputs[i].finish_reason}});
    return fmt::print("{}\n", json_text(Json{{"model", o.model_dir}, {"results", results}}));
  }
  for (std::size_t i = 0; i < outputs.size(); ++i)
    fmt::print("{}{}\n{}", o.request.prompts[i], outputs[i].text, i + 1 < outputs.size() ? "---\n" : "");
}

const bool registered = register_command("generate", [](CLI::App& app) {
  auto o = std::make_shared<GenerateCliOptions>();
  auto* sub =
      app.add_subcommand("generate", "Continue prompts with a GPT-like model (KV cache; streams one prompt)");
  sub->add_option("--model", o->model_dir, "Model directory (config.json + model.safetensors)")->required();
  sub->add_option("--prompt", o->request.prompts, "Prompt text; repeat for a batch of prompts")->required();
  sub->add_option("--tokenizer", o->tokenizer, "Tokenizer spec (default: the one named in config.json)");
  sub->add_option("--max-new-tokens", o->request.max_new_tokens, "Tokens to generate per prompt")
      ->capture_default_str();
  add_sampling_options(sub, o->request.sampling, "prompt");
  sub->add_option("--index", o->index_dir, "Sample from the GPT + ∞-gram mixture over this index");
  sub->add_option("--lambda-sparse", o->lambda_sparse,
                  "Mixture weight of sparse ∞-gram estimates (with --index)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--lambda-dense", o->lambda_dense,
                  "Mixture weight of dense ∞-gram estimates (with --index)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--stop", o->request.stop,
                  "End a continuation where its text first contains this; repeatable");
  sub->add_flag("--json", o->json, "Print one JSON document");
  sub->callback([o] { run_generate(*o); });
});

}  // namespace

}  // namespace lmkit::cli
