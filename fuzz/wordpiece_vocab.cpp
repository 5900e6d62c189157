// A WordPiece vocab.txt (and the tokenizer_config.json beside it: the input after a line "----")
// through load_wordpiece_vocab; what loads must encode and decode a short text.
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "lmkit/text/wordpiece.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto [vocab, config] = lmkit::fuzz::split_input(input, "\n----\n");
  const auto dir = lmkit::fuzz::scratch_dir() / "wordpiece";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  lmkit::fuzz::write_file(dir / "vocab.txt", vocab);
  if (!config.empty()) lmkit::fuzz::write_file(dir / "tokenizer_config.json", config);
  return lmkit::fuzz::guarded([&] {
    const auto tokenizer = lmkit::text::load_wordpiece_vocab((dir / "vocab.txt").string(), "fuzz");
    const auto ids =
        tokenizer->encode("Hello World, na\xc3\xafve caf\xc3\xa9 unaffable \xe4\xb8\xad\xe6\x96\x87 [SEP]");
    (void)tokenizer->decode(ids);
    (void)tokenizer->encode_with_specials("[CLS] a [MASK] b [SEP]");
  });
}
