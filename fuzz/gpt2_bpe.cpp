// GPT-2's encoder.json and vocab.bpe through load_gpt2_bpe: the input is encoder.json, a line
// "----", then vocab.bpe. What loads must encode and decode a short text.
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "lmkit/text/bpe_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto [encoder, merges] = lmkit::fuzz::split_input(input, "\n----\n");
  const auto dir = lmkit::fuzz::scratch_dir();
  lmkit::fuzz::write_file(dir / "encoder.json", encoder);
  lmkit::fuzz::write_file(dir / "vocab.bpe", merges);
  return lmkit::fuzz::guarded([&] {
    const auto tokenizer =
        lmkit::text::load_gpt2_bpe((dir / "encoder.json").string(), (dir / "vocab.bpe").string(), "fuzz");
    const auto ids = tokenizer->encode("Hello world, na\xc3\xafve  caf\xc3\xa9 123 \xe4\xb8\xad");
    (void)tokenizer->decode(ids);
  });
}
