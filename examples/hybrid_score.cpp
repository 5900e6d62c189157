// Scores a text with a GPT + ∞-gram mixture (weight LAMBDA on the ∞-gram), printing its total log-prob:
//   hybrid_score MODEL_DIR INDEX_DIR LAMBDA TEXT
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "lmkit/lm/gpt_lm.hpp"
#include "lmkit/lm/hybrid.hpp"
#include "lmkit/ngram/open.hpp"
#include "lmkit/nn/hf_gpt2.hpp"

int main(int argc, char** argv) {
  if (argc != 5) return std::fprintf(stderr, "usage: hybrid_score MODEL_DIR INDEX_DIR LAMBDA TEXT\n"), 2;
  auto gpt = std::make_shared<lmkit::lm::GptLM>(
      std::make_shared<lmkit::nn::GptModel>(lmkit::nn::load_gpt2_dir(argv[1]).model));
  std::shared_ptr<lmkit::ngram::OpenedIndex> index = lmkit::ngram::open_index(argv[2]);
  auto infgram = std::make_shared<lmkit::lm::InfgramLM>(
      std::shared_ptr<const lmkit::ngram::Engine>(index, index->engine.get()), gpt->vocab_size());
  const double lambda = std::atof(argv[3]);
  const lmkit::lm::HybridLM hybrid(infgram, gpt, {lambda, lambda});
  const auto log_probs = hybrid.score(index->tokenizer->encode(argv[4]));
  std::printf("%.9f\n", std::accumulate(log_probs.begin(), log_probs.end(), 0.0));
}
