#include "lmkit/nn/seq2seq_generate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lmkit/util/error.hpp"

namespace lmkit::nn {

namespace {

struct PaddedSources {
  std::size_t B = 0, S = 0;
  std::vector<std::int32_t> ids;    // (B, S)
  std::vector<std::uint8_t> valid;  // (B, S)
};

PaddedSources pad_sources(const Seq2SeqConfig& c, const std::vector<std::vector<std::int32_t>>& sources) {
  PaddedSources p;
  p.B = sources.size();
  for (std::size_t b = 0; b < p.B; ++b) {
    if (sources[b].empty()) fail("source {} is empty; the encoder needs at least one token", b);
    if (sources[b].size() > c.n_ctx)
      fail("source {} has {} tokens, beyond the model's n_ctx of {}", b, sources[b].size(), c.n_ctx);
    p.S = std::max(p.S, sources[b].size());
  }
  p.ids.assign(p.B * p.S, c.pad_id);
  p.valid.assign(p.B * p.S, 0);
  for (std::size_t b = 0; b < p.B; ++b) {
    std::copy(sources[b].begin(), sources[b].end(), p.ids.begin() + static_cast<std::ptrdiff_t>(b * p.S));
    std::fill_n(p.valid.begin() + static_cast<std::ptrdiff_t>(b * p.S), sources[b].size(), 1);
  }
  return p;
}

// log softmax of one row of logits, in double.
void log_softmax(const float* logits, std::size_t V, std::vector<double>& out) {
  out.resize(V);
  const double max = *std::max_element(logits, logits + V);
  double sum = 0;
  for (std::size_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(logits[v]) - max);
  const double log_sum = max + std::log(sum);
  for (std::size_t v = 0; v < V; ++v) out[v] = static_cast<double>(logits[v]) - log_sum;
}

}  // namespace

std::vector<std::vector<std::int32_t>> seq2seq_generate(
    Seq2SeqModel& model, const std::vector<std::vector<std::int32_t>>& sources,
    const Seq2SeqGenerateOptions& options,
    const std::function<void(std::size_t row, std::int32_t token)>& on_token) {
  const Seq2SeqConfig& c = model.config();
  const std::size_t B = sources.size(), V = c.vocab_size;
  std::vector<std::vector<std::int32_t>> outputs(B);
  const std::size_t steps = std::min(options.max_new_tokens, c.n_ctx);
  if (B == 0 || steps == 0) return outputs;
  PaddedSources src = pad_sources(c, sources);
  Seq2SeqDecodeState state = model.start_decoding(src.ids.data(), src.valid.data(), B, src.S, steps);
  std::vector<Sampler> samplers;
  for (std::size_t b = 0; b < B; ++b) {
    SamplingOptions s = options.sampling;
    s.seed += b;
    samplers.emplace_back(s);
  }
  std::vector<std::int32_t> next(B, c.decoder_start_id);
  std::vector<bool> done(B, false);
  std::vector<float> logits(B * V);
  for (std::size_t step = 0; step < steps; ++step) {
    model.decode_step(state, next.data(), 1, logits.data());
    bool any_active = false;
    for (std::size_t b = 0; b < B; ++b) {
      if (done[b]) continue;
      const std::int32_t token = samplers[b].sample(std::span<const float>(logits).subspan(b * V, V));
      if (token == c.eos_id) {
        done[b] = true;
        next[b] = c.pad_id;
        continue;
      }
      outputs[b].push_back(token);
      if (on_token) on_token(b, token);
      next[b] = token;
      any_active = true;
    }
    if (!any_active) break;
  }
  return outputs;
}

std::vector<std::vector<std::int32_t>> seq2seq_beam_search(
    Seq2SeqModel& model, const std::vector<std::vector<std::int32_t>>& sources,
    const BeamSearchOptions& options) {
  const Seq2SeqConfig& c = model.config();
  const std::size_t B = sources.size(), V = c.vocab_size, K = options.beam_width;
  if (K == 0) usage_fail("the beam width must be at least 1");
  std::vector<std::vector<std::int32_t>> outputs(B);
  const std::size_t steps = std::min(options.max_new_tokens, c.n_ctx);
  if (B == 0 || steps == 0) return outputs;
  PaddedSources src = pad_sources(c, sources);
  Seq2SeqDecodeState state = model.start_decoding(src.ids.data(), src.valid.data(), B, src.S, steps);
  // Row b · K + k holds beam k of source b; the encoder ran once per source.
  std::vector<std::size_t> rows(B * K);
  for (std::size_t r = 0; r < B * K; ++r) rows[r] = r / K;
  state.select_rows(rows);

  const double minus_inf = -std::numeric_limits<double>::infinity();
  struct Beam {
    std::vector<std::int32_t> tokens;
    double score = 0;  // log-probability
  };
  struct Finished {
    std::vector<std::int32_t> tokens;
    double rank = 0;  // score / length^length_penalty
  };
  std::vector<Beam> beams(B * K);
  for (std::size_t r = 0; r < B * K; ++r)
    beams[r].score = r % K == 0 ? 0.0 : minus_inf;  // one live beam at first
  std::vector<std::vector<Finished>> finished(B);
  std::vector<bool> done(B, false);
  std::vector<std::int32_t> next(B * K, c.decoder_start_id);
  std::vector<float> logits(B * K * V);
  std::vector<double> log_probs;
  struct Candidate {
    double score;
    std::size_t beam;
    std::int32_t token;
  };
  std::vector<Candidate> candidates;
  for (std::size_t step = 0; step < steps; ++step) {
    model.decode_step(state, next.data(), 1, logits.data());
    std::vector<Beam> new_beams(B * K);
    for (std::size_t r = 0; r < B * K; ++r) rows[r] = r;
    for (std::size_t b = 0; b < B; ++b) {
      if (done[b]) {
        for (std::size_t k = 0; k < K; ++k) next[b * K + k] = c.pad_id;
        continue;
      }
      candidates.clear();
      for (std::size_t k = 0; k < K; ++k) {
        const Beam& beam = beams[b * K + k];
        if (beam.score == minus_inf) continue;
        log_softmax(logits.data() + (b * K + k) * V, V, log_probs);
        for (std::size_t v = 0; v < V; ++v)
          candidates.push_back({beam.score + log_probs[v], k, static_cast<std::int32_t>(v)});
      }
      const std::size_t keep = std::min(candidates.size(), 2 * K);
      std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep),
                        candidates.end(), [](const Candidate& x, const Candidate& y) {
                          if (x.score != y.score) return x.score > y.score;
                          return x.beam != y.beam ? x.beam < y.beam : x.token < y.token;
                        });
      std::size_t n_alive = 0;
      for (std::size_t i = 0; i < keep && n_alive < K && !done[b]; ++i) {
        const Candidate& cand = candidates[i];
        const Beam& parent = beams[b * K + cand.beam];
        if (cand.token == c.eos_id) {
          const double length = static_cast<double>(parent.tokens.size() + 1);
          finished[b].push_back({parent.tokens, cand.score / std::pow(length, options.length_penalty)});
          if (finished[b].size() >= K) done[b] = true;
          continue;
        }
        Beam& child = new_beams[b * K + n_alive];
        child.tokens = parent.tokens;
        child.tokens.push_back(cand.token);
        child.score = cand.score;
        rows[b * K + n_alive] = b * K + cand.beam;
        next[b * K + n_alive] = cand.token;
        ++n_alive;
      }
      for (std::size_t k = n_alive; k < K; ++k) {
        new_beams[b * K + k].score = minus_inf;
        next[b * K + k] = c.pad_id;
      }
    }
    for (std::size_t b = 0; b < B; ++b)
      if (done[b])
        for (std::size_t k = 0; k < K; ++k) new_beams[b * K + k].score = minus_inf;
    beams = std::move(new_beams);
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    state.select_rows(rows);
  }
  for (std::size_t b = 0; b < B; ++b) {
    if (!finished[b].empty()) {
      auto best = std::max_element(finished[b].begin(), finished[b].end(),
                                   [](const Finished& x, const Finished& y) { return x.rank < y.rank; });
      outputs[b] = best->tokens;
    } else {
      auto first = beams.begin() + static_cast<std::ptrdiff_t>(b * K);
      outputs[b] =
          std::max_element(first, first + static_cast<std::ptrdiff_t>(K), [](const Beam& x, const Beam& y) {
            return x.score < y.score;
          })->tokens;
    }
  }
  return outputs;
}

std::vector<std::int32_t> seq2seq_greedy_uncached(Seq2SeqModel& model,
                                                  const std::vector<std::int32_t>& source,
                                                  std::size_t max_new_tokens) {
  const Seq2SeqConfig& c = model.config();
  const std::size_t V = c.vocab_size;
  std::vector<std::int32_t> generated;
  for (std::size_t step = 0; step < std::min(max_new_tokens, c.n_ctx); ++step) {
    Seq2SeqBatch batch = make_seq2seq_batch(c, std::span(&source, 1), std::span(&generated, 1));
    std::fill(batch.targets.begin(), batch.targets.end(), -1);
    model.forward(batch);
    const std::size_t last = batch.T - 1;
    const std::int32_t token = greedy_token(model.logits().subspan(last * V, V));
    if (token == c.eos_id) break;
    generated.push_back(token);
  }
  return generated;
}

}  // namespace lmkit::nn
