#include "lmkit/api/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lmkit/lm/gpt_lm.hpp"
#include "lmkit/lm/infgram_lm.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/text/tokenizer_files.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::api {

namespace {

void check_probability(const char* field, double value) {
  if (!std::isfinite(value) || value < 0 || value > 1) invalid_argument(field, value, "must be in [0, 1]");
}

// The continuation of one prompt as text, for streaming: each new token's text is handed on as soon
// as it cannot be part of a stop string, and the continuation ends at the first stop string.
class RowText {
 public:
  RowText(const text::Tokenizer& tokenizer, const std::vector<std::string>& stop)
      : tokenizer_(tokenizer), stop_(stop) {}

  // Adds `token`; returns the text that may be handed on now. Sets stopped() at a stop string.
  std::string add(std::uint32_t token) {
    ids_.push_back(token);
    text_ = tokenizer_.decode(ids_);
    std::size_t end = text_.size();
    for (const auto& s : stop_) {
      const std::size_t from = emitted_ >= s.size() ? emitted_ - s.size() + 1 : 0;
      const std::size_t at = text_.find(s, from);
      if (at != std::string::npos && at < end) {
        end = at;
        stopped_ = true;
      }
    }
    if (!stopped_) end = text_.size() - held_back(text_);
    std::string out = end > emitted_ ? text_.substr(emitted_, end - emitted_) : std::string();
    emitted_ = std::max(emitted_, end);
    if (stopped_) text_.resize(end);
    return out;
  }
  // The rest of the text once generation is over (what was held back as a possible stop string).
  std::string flush() {
    std::string out = text_.size() > emitted_ ? text_.substr(emitted_) : std::string();
    emitted_ = text_.size();
    return out;
  }
  bool stopped() const { return stopped_; }
  const std::vector<std::uint32_t>& ids() const { return ids_; }
  const std::string& text() const { return text_; }

 private:
  // The length of the longest end of `text` that begins one of the stop strings.
  std::size_t held_back(const std::string& text) const {
    std::size_t longest = 0;
    for (const auto& s : stop_)
      for (std::size_t n = std::min(s.size() - 1, text.size()); n > longest; --n)
        if (text.compare(text.size() - n, n, s, 0, n) == 0) {
          longest = n;
          break;
        }
    return longest;
  }

  const text::Tokenizer& tokenizer_;
  const std::vector<std::string>& stop_;
  std::vector<std::uint32_t> ids_;
  std::string text_;
  std::size_t emitted_ = 0;
  bool stopped_ = false;
};

// Thrown from the token callback to end a batch early when every row has met a stop string.
struct AllRowsStopped {};

}  // namespace

void validate(const Mixture& mixture) {
  if (!mixture.index) invalid_argument("index", "none", "a mixture needs an ∞-gram index");
  check_probability("lambda_sparse", mixture.lambda_sparse);
  check_probability("lambda_dense", mixture.lambda_dense);
}

void validate(const nn::SamplingOptions& s) {
  if (!std::isfinite(s.temperature) || s.temperature < 0)
    invalid_argument("temperature", s.temperature, "must be finite and at least 0 (0 is greedy)");
  if (!std::isfinite(s.top_p) || s.top_p <= 0 || s.top_p > 1)
    invalid_argument("top_p", s.top_p, "must be in (0, 1]");
}

void validate(const GenerateRequest& request) {
  if (request.prompts.empty() && request.prompt_ids.empty())
    invalid_argument("prompt", "none", "give at least one prompt");
  validate(request.sampling);
  for (const auto& s : request.stop)
    if (s.empty()) invalid_argument("stop", "\"\"", "a stop string must not be empty");
  if (request.mixture) validate(*request.mixture);
}

void validate(const ScoreRequest& request) {
  if (request.mixture) validate(*request.mixture);
}

double ScoredText::perplexity() const {
  return scored == 0 ? 1.0 : std::exp(nll / static_cast<double>(scored));
}

Json ScoredText::to_json() const {
  Json lp = Json::array();
  for (double v : logprobs) lp.push_back(std::isnan(v) ? Json(nullptr) : Json(v));
  return {{"ids", ids}, {"logprobs", lp}, {"tokens", scored}, {"nll", nll}, {"perplexity", perplexity()}};
}

std::string model_tokenizer_spec(const std::string& dir, const std::string& recorded) {
  return text::directory_has_tokenizer(dir) ? dir : recorded;
}

void check_same_tokenizer(const text::Tokenizer& a, const std::string& what_a, const text::Tokenizer* b,
                          const std::string& what_b) {
  if (!b || &a == b || a.spec() == b->spec()) return;
  if (text::tokenizer_fingerprint(a) != text::tokenizer_fingerprint(*b))
    usage_fail("{}'s tokenizer ({}) differs from {}'s ({}); both must use one tokenizer", what_a, a.spec(),
               what_b, b->spec());
}

std::shared_ptr<const Model> Model::load(const std::string& dir, const std::string& tokenizer) {
  std::shared_ptr<Model> model(new Model());
  model->dir_ = dir;
  nn::LoadedModel loaded = nn::load_gpt2_dir(dir);
  model->tokenizer_spec_ = tokenizer.empty() ? model_tokenizer_spec(dir, loaded.tokenizer_spec) : tokenizer;
  if (model->tokenizer_spec_.empty())
    usage_fail("{}/config.json names no tokenizer and the directory carries none; give a tokenizer", dir);
  model->tokenizer_ = text::load_tokenizer(model->tokenizer_spec_);
  if (model->tokenizer_->vocab_size() > loaded.model.config().vocab_size)
    fail("tokenizer {} has {} ids but the model {} has a vocabulary of {}", model->tokenizer_spec_,
         model->tokenizer_->vocab_size(), dir, loaded.model.config().vocab_size);
  model->gpt_ = std::make_shared<const nn::GptModel>(std::move(loaded.model));
  return model;
}

std::uint32_t Model::vocab_size() const { return static_cast<std::uint32_t>(gpt_->config().vocab_size); }
std::size_t Model::context_length() const { return gpt_->config().n_ctx; }

void Model::check_index(const Index& index) const {
  check_same_tokenizer(*tokenizer_, "the model " + dir_, index.tokenizer(),
                       "the index " + index.directories().front().dir());
}

std::shared_ptr<const lm::LanguageModel> Model::language_model(const std::optional<Mixture>& mixture) const {
  auto neural = std::make_shared<const lm::GptLM>(gpt_, "gpt");
  if (!mixture) return neural;
  validate(*mixture);
  check_index(*mixture->index);
  auto infgram = std::make_shared<const lm::InfgramLM>(mixture->index->shared_engine(), vocab_size(),
                                                       mixture->max_support);
  return std::make_shared<const lm::HybridLM>(
      infgram, neural, lm::MixtureWeights{mixture->lambda_sparse, mixture->lambda_dense});
}

std::vector<std::vector<std::uint32_t>> Model::prompts_of(const GenerateRequest& request) const {
  std::vector<std::vector<std::uint32_t>> prompts;
  if (!request.prompts.empty()) {
    for (const auto& text : request.prompts) prompts.push_back(tokenizer_->encode(text));
  } else {
    prompts = request.prompt_ids;
  }
  for (std::size_t row = 0; row < prompts.size(); ++row) {
    auto& ids = prompts[row];
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids[i] >= vocab_size())
        invalid_argument("prompt", ids[i], "prompt {}, token {}: not below the model's vocabulary size {}",
                         row, i, vocab_size());
    if (ids.empty()) {
      // An empty prompt starts from the end-of-text token, as GPT-2 generates unconditionally.
      const auto start = tokenizer_->specials().eos ? tokenizer_->specials().eos : tokenizer_->specials().bos;
      if (!start)
        invalid_argument("prompt", "\"\"", "is empty and tokenizer {} has no end-of-text token to start from",
                         tokenizer_spec_);
      ids.push_back(*start);
    }
    if (!request.mixture && ids.size() >= context_length())
      invalid_argument("prompt", fmt::format("{} tokens", ids.size()),
                       "prompt {} leaves no room to generate in the model's context of {}", row,
                       context_length());
  }
  return prompts;
}

std::vector<Completion> Model::generate(const GenerateRequest& request, const TokenCallback& on_token) const {
  validate(request);
  const auto prompts = prompts_of(request);
  std::optional<std::uint32_t> stop_token;
  if (request.stop_at_eos) stop_token = tokenizer_->specials().eos;

  std::vector<RowText> rows;
  for (std::size_t r = 0; r < prompts.size(); ++r) rows.emplace_back(*tokenizer_, request.stop);
  std::size_t stopped_rows = 0;
  // Every token of every row passes here; a row that met a stop string takes no more.
  auto take = [&](std::size_t row, std::uint32_t token) {
    RowText& text = rows[row];
    if (text.stopped()) return;
    const std::string piece = text.add(token);
    if (on_token) on_token(row, token, piece);
    if (text.stopped() && ++stopped_rows == rows.size()) throw AllRowsStopped{};
  };

  if (!request.mixture) {
    nn::GenerateOptions options;
    options.max_new_tokens = request.max_new_tokens;
    options.sampling = request.sampling;
    if (stop_token) options.stop_token = static_cast<std::int32_t>(*stop_token);
    std::vector<std::vector<std::int32_t>> batch;
    for (const auto& p : prompts) batch.emplace_back(p.begin(), p.end());
    try {
      nn::generate(*gpt_, batch, options, [&](std::size_t row, std::int32_t token) {
        take(row, static_cast<std::uint32_t>(token));
      });
    } catch (const AllRowsStopped&) {
    }
  } else {
    // Sampling from the mixture: the sampler's "logits" are the mixture's log-probabilities, so
    // temperature, top-k and top-p mean what they mean for the model alone.
    const auto mixture = language_model(request.mixture);
    const auto& hybrid = static_cast<const lm::HybridLM&>(*mixture);
    std::vector<float> log_probs(vocab_size());
    for (std::size_t row = 0; row < prompts.size(); ++row) {
      nn::SamplingOptions sampling = request.sampling;
      sampling.seed += row;
      nn::Sampler sampler(sampling);
      std::vector<std::uint32_t> context = prompts[row];
      lm::GptStream cached(gpt_);  // the model's part through a KV cache: one position per step
      std::vector<double> distribution;
      try {
        for (std::size_t n = 0; n < request.max_new_tokens && !rows[row].stopped(); ++n) {
          distribution = cached.next_token_distribution(context);
          hybrid.mix(context, distribution);
          for (std::size_t v = 0; v < distribution.size(); ++v)
            log_probs[v] = static_cast<float>(std::log(distribution[v]));
          const auto token = static_cast<std::uint32_t>(sampler.sample(log_probs));
          context.push_back(token);
          take(row, token);
          if (stop_token && token == *stop_token) break;
        }
      } catch (const AllRowsStopped&) {
      }
    }
  }

  std::vector<Completion> out;
  for (std::size_t row = 0; row < prompts.size(); ++row) {
    RowText& text = rows[row];
    const std::string rest = text.flush();
    if (on_token && !rest.empty()) on_token(row, text.ids().empty() ? 0 : text.ids().back(), rest);
    Completion c{prompts[row], text.ids(), text.text(), "length"};
    if (text.stopped() || (stop_token && !c.ids.empty() && c.ids.back() == *stop_token)) {
      c.finish_reason = "stop";
    } else if (c.ids.size() < request.max_new_tokens) {
      c.finish_reason = "context";
    }
    out.push_back(std::move(c));
  }
  return out;
}

ScoredText Model::score(const ScoreRequest& request) const {
  validate(request);
  ScoredText out;
  out.ids = request.text.empty() ? request.ids : tokenizer_->encode(request.text);
  for (std::size_t i = 0; i < out.ids.size(); ++i)
    if (out.ids[i] >= vocab_size())
      invalid_argument("ids", out.ids[i], "token {}: not below the model's vocabulary size {}", i,
                       vocab_size());
  out.logprobs.assign(out.ids.size(), std::nan(""));
  if (out.ids.empty()) return out;
  const auto model = language_model(request.mixture);
  std::vector<std::uint32_t> tokens;
  const auto eos = tokenizer_->specials().eos;
  const std::size_t shift = request.from_eos && eos ? 1 : 0;
  if (shift) tokens.push_back(*eos);
  tokens.insert(tokens.end(), out.ids.begin(), out.ids.end());
  const std::vector<double> scores = model->score(tokens, 1);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    out.logprobs[i + 1 - shift] = scores[i];
    out.nll -= scores[i];
    ++out.scored;
  }
  return out;
}

}  // namespace lmkit::api
