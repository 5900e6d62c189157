// Loads a GPT-2 model directory and prints a prompt continued greedily by N tokens:  generate MODEL_DIR
// PROMPT N
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "lmkit/nn/generate.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/text/tokenizer_files.hpp"

int main(int argc, char** argv) {
  if (argc != 4) return std::fprintf(stderr, "usage: generate MODEL_DIR PROMPT N\n"), 2;
  try {
    const auto loaded = lmkit::nn::load_gpt2_dir(argv[1]);
    const auto tokenizer = lmkit::text::load_tokenizer(
        lmkit::text::directory_has_tokenizer(argv[1]) ? argv[1] : loaded.tokenizer_spec);
    const auto prompt = tokenizer->encode(argv[2]);
    lmkit::nn::GenerateOptions options{.max_new_tokens = std::strtoul(argv[3], nullptr, 10),
                                       .sampling = {.temperature = 0}};
    const auto out = lmkit::nn::generate(loaded.model, {{prompt.begin(), prompt.end()}}, options)[0];
    std::printf("%s%s\n", argv[2],
                tokenizer->decode(std::vector<std::uint32_t>(out.begin(), out.end())).c_str());
  } catch (const std::exception& e) {
    return std::fprintf(stderr, "generate: %s\n", e.what()), 1;
  }
}
