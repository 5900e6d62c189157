// A Hugging Face tokenizer.json (and the tokenizer_config.json beside it: the input after a line
// "----") through load_tokenizer, then a short encode/decode with what it loaded.
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "lmkit/text/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto [json, config] = lmkit::fuzz::split_input(input, "\n----\n");
  const auto dir = lmkit::fuzz::scratch_dir() / "tokenizer";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  lmkit::fuzz::write_file(dir / "tokenizer.json", json);
  if (!config.empty()) lmkit::fuzz::write_file(dir / "tokenizer_config.json", config);
  return lmkit::fuzz::guarded([&] {
    const auto tokenizer = lmkit::text::load_tokenizer((dir / "tokenizer.json").string());
    const auto ids =
        tokenizer->encode("Hello world, na\xc3\xafve caf\xc3\xa9 123 \xe4\xb8\xad <|endoftext|>");
    (void)tokenizer->decode(ids);
    (void)tokenizer->encode_with_specials("a <|endoftext|> b [CLS] c </s>");
  });
}
