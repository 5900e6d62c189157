// log P(TEXT) under GPT + ∞-gram, λ = LAMBDA:  hybrid_score MODEL_DIR INDEX_DIR LAMBDA TEXT
#include <cstdio>
#include <numeric>

#include "lmkit/lm/gpt_lm.hpp"
#include "lmkit/lm/hybrid.hpp"
#include "lmkit/ngram/open.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
using namespace lmkit;

int main(int argc, char** argv) {
  if (argc != 5) return std::fprintf(stderr, "usage: hybrid_score MODEL_DIR INDEX_DIR LAMBDA TEXT\n"), 2;
  auto gpt = std::make_shared<lm::GptLM>(std::make_shared<nn::GptModel>(nn::load_gpt2_dir(argv[1]).model));
  std::shared_ptr<ngram::OpenedIndex> index = ngram::open_index(argv[2]);
  auto engine = std::shared_ptr<const ngram::Engine>(index, index->engine.get());
  const lm::HybridLM hybrid(std::make_shared<lm::InfgramLM>(engine, gpt->vocab_size()), gpt,
                            {std::stod(argv[3]), std::stod(argv[3])});
  const auto log_probs = hybrid.score(index->tokenizer->encode(argv[4]));
  std::printf("%.9f\n", std::accumulate(log_probs.begin(), log_probs.end(), 0.0));
}
