// The encoder-decoder (BART-layout) model for front-ends: a model directory with its tokenizer and
// the seq2seq codec (seq2seq_codec.hpp), generation (greedy, sampled or beam search; Algorithm 15
// EDInference), scoring a target given a source, (source, target) pairs from .jsonl files, and
// training on them (Algorithm 11 EDTraining) into a model directory with its optimizer state and loss
// history, checkpointed atomically and resumable bit for bit. What `lmkit seq2seq` runs.
//
//   auto model = lmkit::api::Seq2Seq::load("denoiser");
//   auto outs = model->generate({.sources = {"In the <mask> God created"}});   // outs[0].text
//   double lp = model->score("In the <mask> God created", "In the beginning God created").logprob;
//
// The model keeps its activations in itself, so calls on one Seq2Seq are serialized by a lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lmkit/api/saved_options.hpp"
#include "lmkit/api/seq2seq_codec.hpp"
#include "lmkit/api/trainer.hpp"
#include "lmkit/nn/generate.hpp"
#include "lmkit/nn/seq2seq.hpp"
#include "lmkit/text/corpus.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::api {

// One line of a pairs file: {"source": ..., "target": ...}.
struct TextPair {
  std::string source, target;
  bool has_target = false;
};
// The pairs of a JSONL file (blank lines skipped; .gz / .zst decompressed; "-" for stdin), read by
// text::CorpusReader with `corpus`'s skip_bad and max_document_bytes: Error naming the file and line
// of a line that is not such an object, or that lacks "target" when require_target (skipped and
// counted in *skipped with corpus.skip_bad); Error when there are none. Pairs are JSONL with their own
// fields, so a corpus.format of text, corpus.lines or a text_field other than "text" is an
// InvalidArgument ("format", "lines", "text_field").
std::vector<TextPair> read_text_pairs(const std::string& path, bool require_target,
                                      const text::CorpusOptions& corpus = {},
                                      std::uint64_t* skipped = nullptr);

struct Seq2SeqGenerateRequest {
  std::vector<std::string> sources;                // "<mask>" marks the mask token
  std::size_t max_new_tokens = 0;                  // per output; 0: the model's n_ctx
  nn::SamplingOptions sampling{.temperature = 0};  // temperature 0: greedy; source i samples with seed + i
  std::size_t beam = 0;                            // > 0: beam search of this width (temperature must be 0)
  float length_penalty = 1.0f;                     // beam ranking: log P / length^this
  std::size_t batch = 32;                          // sources decoded together, >= 1
};

struct Seq2SeqOutput {
  std::vector<std::int32_t> ids;  // the output's model ids, without the end token
  std::string text;               // its text (codec.decode)
};

struct TargetScore {
  std::vector<std::int32_t> ids;  // the target's ids and then the end id: what was scored
  std::vector<double> logprobs;   // logprobs[i] = ln P(ids[i] | source, ids[0..i)), teacher-forced
  double logprob = 0;             // their sum
};

// With reference targets: exact match of whole outputs, and token accuracy — reference tokens matched
// at the same position, over the longer of output and reference.
struct OutputMatch {
  std::size_t scored = 0, exact = 0, matched = 0, compared = 0;
  std::vector<bool> exact_rows;  // per pair: its output equals its target (false without one)
  double exact_match() const;
  double token_accuracy() const;
};

// A generation over pairs (their sources, scored against the targets they have), timed.
struct Seq2SeqRun {
  std::vector<TextPair> pairs;
  std::vector<Seq2SeqOutput> outputs;  // one per pair
  OutputMatch match;
  double seconds = 0;
  std::size_t generated_tokens() const;
  // {"summary": {inputs, generated_tokens, seconds, tokens_per_second[, scored, exact_match,
  // token_accuracy]}, "results": [{source, ids, text[, target, exact_match]}, ...]}
  Json to_json() const;
};

class Seq2Seq {
 public:
  // Loads `dir` (config.json + model.safetensors); `tokenizer` overrides the spec config.json names.
  // UsageError when no tokenizer is known, Error when its ids do not fit the model's vocabulary.
  static std::shared_ptr<Seq2Seq> load(const std::string& dir, const std::string& tokenizer = "");

  const std::string& dir() const { return dir_; }
  const nn::Seq2SeqConfig& config() const { return model_->config(); }
  const Seq2SeqCodec& codec() const { return *codec_; }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }

  // A source's model ids; Error (naming source `index`, 1-based) when empty or beyond n_ctx.
  std::vector<std::int32_t> encode_source(const std::string& source, std::size_t index = 1) const;

  // One output per source. InvalidArgument for options out of their domain. on_done(n) is called
  // after each batch with the number of sources done so far.
  std::vector<Seq2SeqOutput> generate(const Seq2SeqGenerateRequest& request,
                                      const std::function<void(std::size_t done)>& on_done = {});
  // ln P(target, then the end token | source).
  TargetScore score(const std::string& source, const std::string& target);
  // Compares outputs with the targets of the pairs that have one.
  OutputMatch match(const std::vector<TextPair>& pairs, const std::vector<Seq2SeqOutput>& outputs) const;
  // generate() over the pairs' sources (request.sources is replaced), then match().
  Seq2SeqRun run(std::vector<TextPair> pairs, Seq2SeqGenerateRequest request,
                 const std::function<void(std::size_t done)>& on_done = {});

 private:
  Seq2Seq() = default;

  std::mutex mutex_;
  std::string dir_;
  std::unique_ptr<nn::Seq2SeqModel> model_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::unique_ptr<Seq2SeqCodec> codec_;
};

struct Seq2SeqTrainOptions {
  std::string data, val_data;          // pairs files; val_data empty: the last tenth of data (at least one)
  text::CorpusOptions corpus{};        // how both are read (see read_text_pairs)
  std::string tokenizer, config, out;  // config: "tiny" or a config.json file
  TrainSchedule schedule{.min_lr = -1, .weight_decay = 0.01f, .beta2 = 0.98f};  // see with_defaults
  std::uint64_t until = 0;
  std::size_t batch = 16, val_every = 100, val_pairs = 256, checkpoint_every = 500;  // val_pairs 0: all
  std::uint64_t seed = 1;
  bool resume = false;       // continue the checkpoint in `out` with its saved options
  bool steps_given = false;  // with resume: schedule.steps is a new total (else the checkpoint's)
  // With resume: the options the caller set (saved_fields keys, and "config"), compared with the
  // checkpoint's: a tokenizer or a config describing another model is refused (InvalidArgument); others
  // that differ are warned about and used (see apply_resume_changes).
  std::set<std::string> given;
  bool quiet = false;  // no progress bar or validation lines
  std::function<void(const StepReport&)> on_step;
};

// What a checkpoint saves of the options (not out, until, resume: see saved_options.hpp).
template <typename O, typename Visit>
void saved_fields(O& o, Visit visit) {
  visit_common(o, visit);
  visit("min_lr", o.schedule.min_lr);
  visit("val_pairs", o.val_pairs);
  visit("corpus", o.corpus);
}

struct Seq2SeqTrainPlan {
  std::size_t parameters = 0, encoder_layers = 0, decoder_layers = 0, width = 0;
  std::size_t train_pairs = 0, val_pairs = 0, batch = 0, threads = 0;
};
struct Seq2SeqTrainResult {
  std::string out;
  std::uint64_t step = 0, steps = 0;
  float train_loss = 0;
  std::optional<float> val_loss;
  std::size_t parameters = 0;
  std::uint64_t skipped = 0;  // bad pairs skipped (corpus.skip_bad)
};

// InvalidArgument naming the field for options out of their domain (before any data is read),
// Error for pairs that cannot train (named by file and pair).
Seq2SeqTrainResult train_seq2seq(Seq2SeqTrainOptions options,
                                 const std::function<void(const Seq2SeqTrainPlan&)>& on_start = {});

}  // namespace lmkit::api
