// log P(TEXT) under GPT + ∞-gram, λ = LAMBDA:  hybrid_score MODEL_DIR INDEX_DIR LAMBDA TEXT
#include <cstdio>
#include <exception>
#include <string>

#include "lmkit/api/model.hpp"

int main(int argc, char** argv) {
  if (argc != 5) return std::fprintf(stderr, "usage: hybrid_score MODEL_DIR INDEX_DIR LAMBDA TEXT\n"), 2;
  try {
    const auto model = lmkit::api::Model::load(argv[1]);
    const double lambda = std::stod(argv[3]);
    const lmkit::api::Mixture mixture{lmkit::api::Index::open(argv[2]), lambda, lambda};
    std::printf("%.9f\n", -model->score({.text = argv[4], .mixture = mixture}).nll);
  } catch (const std::exception& e) {
    return std::fprintf(stderr, "hybrid_score: %s\n", e.what()), 1;
  }
}
