// Prints PROMPT continued greedily by N tokens:  generate MODEL_DIR PROMPT N
#include <cstdio>

#include "lmkit/nn/generate.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/text/tokenizer_files.hpp"
using namespace lmkit;

int main(int argc, char** argv) {
  if (argc != 4) return std::fprintf(stderr, "usage: generate MODEL_DIR PROMPT N\n"), 2;
  const auto loaded = nn::load_gpt2_dir(argv[1]);
  const auto tokenizer =
      text::load_tokenizer(text::directory_has_tokenizer(argv[1]) ? argv[1] : loaded.tokenizer_spec);
  const auto prompt = tokenizer->encode(argv[2]);
  const nn::GenerateOptions options{.max_new_tokens = std::stoul(argv[3]), .sampling = {.temperature = 0}};
  const auto out = nn::generate(loaded.model, {{prompt.begin(), prompt.end()}}, options)[0];
  std::printf("%s%s\n", argv[2],
              tokenizer->decode(std::vector<std::uint32_t>(out.begin(), out.end())).c_str());
}
