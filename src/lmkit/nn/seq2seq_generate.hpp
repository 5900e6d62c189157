// Generation with the encoder-decoder (Phuong & Hutter, Algorithm 15 EDInference): each source runs
// through the encoder once; the decoder then extends every target one token at a time against its
// KV caches. Sources of different lengths run as one right-padded batch with a source mask, and all
// targets advance together (a target that has ended is fed padding that nothing reads), so each row
// gets exactly the tokens it would get alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "lmkit/nn/generate.hpp"
#include "lmkit/nn/seq2seq.hpp"

namespace lmkit::nn {

struct Seq2SeqGenerateOptions {
  std::size_t max_new_tokens = 64;  // at most; also bounded by n_ctx
  SamplingOptions sampling;         // temperature 0: greedy; row r samples with seed + r
};

// Greedy or sampled decoding. A target ends at eos_id, which is not included in the result.
std::vector<std::vector<std::int32_t>> seq2seq_generate(
    Seq2SeqModel& model, const std::vector<std::vector<std::int32_t>>& sources,
    const Seq2SeqGenerateOptions& options,
    const std::function<void(std::size_t row, std::int32_t token)>& on_token = {});

struct BeamSearchOptions {
  std::size_t beam_width = 4;
  std::size_t max_new_tokens = 64;
  // Finished hypotheses are ranked by log P / length^length_penalty (length counts the end token).
  float length_penalty = 1.0f;
};

// Beam search per source (all sources' beams in one batch). A source's search ends once beam_width
// hypotheses have ended (or at max_new_tokens, when the best unfinished beam is returned), so beam
// width 1 is greedy decoding. Results exclude eos_id.
std::vector<std::vector<std::int32_t>> seq2seq_beam_search(
    Seq2SeqModel& model, const std::vector<std::vector<std::int32_t>>& sources,
    const BeamSearchOptions& options);

// The reference for tests: greedy decoding that recomputes the whole model (training forward, no
// caches) for every new token, one source at a time.
std::vector<std::int32_t> seq2seq_greedy_uncached(Seq2SeqModel& model,
                                                  const std::vector<std::int32_t>& source,
                                                  std::size_t max_new_tokens);

}  // namespace lmkit::nn
