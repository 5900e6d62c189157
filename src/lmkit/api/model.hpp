// A GPT-like language model for front-ends: a Hugging Face GPT-2-layout directory with its tokenizer,
// tokenizing, generation (temperature, top-k, top-p, stop tokens and strings, an optional ∞-gram
// mixture, a per-token callback for streaming) and scoring text into per-token log-probabilities.
//
//   auto model = lmkit::api::Model::load("data/demo/model");
//   auto out = model->generate({.prompts = {"In the beginning"}, .max_new_tokens = 20});
//   auto scored = model->score({.text = "And God said"});   // scored.logprobs[i]: ln P(token i | before)
//
// The weights are loaded once and only read: every call runs in an inference context of its own (its
// KV cache and scratch), so any number of threads generate and score through one Model at once, with
// no lock, each getting exactly what it would get alone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lmkit/api/index.hpp"
#include "lmkit/lm/hybrid.hpp"
#include "lmkit/lm/language_model.hpp"
#include "lmkit/nn/generate.hpp"
#include "lmkit/nn/gpt.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::api {

// The ∞-gram part of a GPT + ∞-gram hybrid: P = λ·P∞ + (1 − λ)·P_GPT, λ = lambda_sparse where the
// ∞-gram estimate is sparse, else lambda_dense (lm/hybrid.hpp; `lmkit eval` tunes both).
struct Mixture {
  std::shared_ptr<const Index> index;
  double lambda_sparse = 0;          // in [0, 1]
  double lambda_dense = 0;           // in [0, 1]
  std::uint64_t max_support = 1000;  // ∞-gram distributions of more frequent suffixes are sampled
};

struct GenerateRequest {
  std::vector<std::string> prompts;                    // prompts as text, or
  std::vector<std::vector<std::uint32_t>> prompt_ids;  // as token ids (when `prompts` is empty)
  std::size_t max_new_tokens = 64;
  nn::SamplingOptions sampling;   // temperature ≥ 0 (0: greedy), top_k, 0 < top_p ≤ 1; prompt i: seed + i
  bool stop_at_eos = true;        // end a continuation at the tokenizer's end-of-text token
  std::vector<std::string> stop;  // end a continuation where its text first contains one of these
  std::optional<Mixture> mixture;
};

struct Completion {
  std::vector<std::uint32_t> prompt_ids;
  std::vector<std::uint32_t> ids;  // the continuation (up to and including a stop token)
  std::string text;                // its text (cut before a stop string)
  // "stop" (end-of-text token or stop string), "length" (max_new_tokens) or "context" (the model's
  // context is full: generation without a mixture ends there).
  std::string finish_reason;
};

// Called as each token is chosen: the prompt's row, the token, and the text it adds to the row's
// continuation (possibly empty while a multi-token character is incomplete).
using TokenCallback = std::function<void(std::size_t row, std::uint32_t token, std::string_view text)>;

struct ScoreRequest {
  std::string text;                // the text to score, or
  std::vector<std::uint32_t> ids;  // its token ids (when `text` is empty)
  // Predict the first token from the end-of-text token, as GPT-2 scores documents (with no such token
  // the first token is not scored).
  bool from_eos = true;
  std::optional<Mixture> mixture;
};

struct ScoredText {
  std::vector<std::uint32_t> ids;  // the tokens scored
  // logprobs[i] = ln P(ids[i] | ids[0..i)); NaN for ids[0] when it has no context (no EOS to start).
  std::vector<double> logprobs;
  std::uint64_t scored = 0;  // tokens with a log-prob
  double nll = 0;            // −Σ logprobs
  double perplexity() const;
  Json to_json() const;
};

// Throws InvalidArgument naming the first field outside its domain (checked before any work).
void validate(const nn::SamplingOptions& sampling);  // temperature, top_p (the seq2seq model's too)
void validate(const GenerateRequest& request);
void validate(const ScoreRequest& request);
void validate(const Mixture& mixture);

class Model : public std::enable_shared_from_this<Model> {
 public:
  // Loads `dir` (config.json + model.safetensors, GPT-2 layout). `tokenizer` overrides the one the
  // directory carries or names. Error when the tokenizer's vocabulary exceeds the model's.
  static std::shared_ptr<const Model> load(const std::string& dir, const std::string& tokenizer = "");

  const std::string& dir() const { return dir_; }
  const nn::GptModel& gpt() const { return *gpt_; }
  const std::shared_ptr<const nn::GptModel>& shared_gpt() const { return gpt_; }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  const std::string& tokenizer_spec() const { return tokenizer_spec_; }
  std::uint32_t vocab_size() const;
  std::size_t context_length() const;

  std::vector<std::uint32_t> tokenize(std::string_view text) const { return tokenizer_->encode(text); }
  std::string detokenize(std::span<const std::uint32_t> ids) const { return tokenizer_->decode(ids); }

  // The model as a LanguageModel (lm/gpt_lm.hpp), named `name`; with a mixture, the hybrid.
  std::shared_ptr<const lm::LanguageModel> language_model(const std::optional<Mixture>& mixture = {}) const;

  // Continues every prompt. Without a mixture the prompts run as one padded batch through a KV cache;
  // with one, one after another, each step's distribution mixed with the ∞-gram's. Error when the
  // mixture's index was built with another tokenizer.
  std::vector<Completion> generate(const GenerateRequest& request, const TokenCallback& on_token = {}) const;
  ScoredText score(const ScoreRequest& request) const;

 private:
  Model() = default;
  std::vector<std::vector<std::uint32_t>> prompts_of(const GenerateRequest& request) const;
  void check_index(const Index& index) const;

  std::string dir_;
  std::shared_ptr<const nn::GptModel> gpt_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::string tokenizer_spec_;
};

// The tokenizer spec a model directory uses: the directory itself when it carries its tokenizer's
// files (so a model works wherever it is moved), else `recorded` (the spec its config.json names).
std::string model_tokenizer_spec(const std::string& dir, const std::string& recorded);

// UsageError unless `a` and `b` do the same (compared by what they do, since a model and an index
// each carry their own copy); nothing to check when `b` is null (an index that names no tokenizer).
// `what_a`, `what_b` name their owners in the message.
void check_same_tokenizer(const text::Tokenizer& a, const std::string& what_a, const text::Tokenizer* b,
                          const std::string& what_b);

}  // namespace lmkit::api
