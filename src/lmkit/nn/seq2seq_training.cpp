#include "lmkit/nn/seq2seq_training.hpp"

#include <algorithm>
#include <random>

#include "lmkit/nn/hf_bart.hpp"
#include "lmkit/nn/safetensors.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::nn {

namespace {

Seq2SeqBatch batch_of(const Seq2SeqConfig& config, const std::vector<TokenPair>& pairs, std::size_t begin,
                      std::size_t end, const std::vector<std::size_t>* order) {
  std::vector<std::vector<std::int32_t>> sources, targets;
  for (std::size_t i = begin; i < end; ++i) {
    const TokenPair& pair = pairs[order ? (*order)[i] : i];
    sources.push_back(pair.source);
    targets.push_back(pair.target);
  }
  return make_seq2seq_batch(config, sources, targets);
}

}  // namespace

Seq2SeqBatch sample_pair_batch(const Seq2SeqConfig& config, const std::vector<TokenPair>& pairs,
                               std::size_t B, std::uint64_t seed, std::uint64_t step) {
  if (pairs.empty()) fail("no training pairs to draw a batch from");
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(step), static_cast<std::uint32_t>(step >> 32)};
  std::mt19937_64 rng(seq);
  std::vector<std::size_t> order(B);
  for (auto& i : order) i = static_cast<std::size_t>(rng() % pairs.size());
  return batch_of(config, pairs, 0, B, &order);
}

float evaluate_pairs_loss(Seq2SeqModel& model, const std::vector<TokenPair>& pairs, std::size_t B,
                          std::size_t max_pairs) {
  const std::size_t n = max_pairs ? std::min(max_pairs, pairs.size()) : pairs.size();
  if (n == 0) fail("no validation pairs");
  double total = 0;
  std::size_t tokens = 0;
  for (std::size_t begin = 0; begin < n; begin += B) {
    Seq2SeqBatch batch = batch_of(model.config(), pairs, begin, std::min(n, begin + B), nullptr);
    std::size_t counted = 0;
    for (std::int32_t t : batch.targets) counted += t >= 0;
    total += static_cast<double>(model.forward(batch)) * static_cast<double>(counted);
    tokens += counted;
  }
  return static_cast<float>(total / static_cast<double>(tokens));
}

void save_seq2seq_checkpoint(const std::string& dir, bool replace_existing, const Seq2SeqModel& model,
                             const AdamW& optimizer, const std::string& tokenizer_spec, const Json& state,
                             const std::vector<LossPoint>& history) {
  AtomicDirectory out(dir, replace_existing);
  save_seq2seq_dir(model, out.temp_path(), tokenizer_spec);
  write_training_files(out.temp_path(), optimizer, state, history, "lmkit seq2seq train: " + dir);
  out.commit();
}

}  // namespace lmkit::nn
