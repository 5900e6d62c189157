// Prints PROMPT continued greedily by N tokens:  generate MODEL_DIR PROMPT N
#include <cstdio>
#include <exception>
#include <string>

#include "lmkit/api/model.hpp"

int main(int argc, char** argv) {
  if (argc != 4) return std::fprintf(stderr, "usage: generate MODEL_DIR PROMPT N\n"), 2;
  try {
    const auto model = lmkit::api::Model::load(argv[1]);
    const auto out = model->generate(
        {.prompts = {argv[2]}, .max_new_tokens = std::stoul(argv[3]), .sampling = {.temperature = 0}});
    std::printf("%s%s\n", argv[2], out[0].text.c_str());
  } catch (const std::exception& e) {
    return std::fprintf(stderr, "generate: %s\n", e.what()), 1;
  }
}
