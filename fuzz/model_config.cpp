// A model directory's config.json through the three config readers: the first byte picks GPT
// (gpt_config_from_json), BERT (read_bert_config) or seq2seq (seq2seq_config_from_json); the rest is
// the file. Values out of nn/model_limits.hpp's bounds must be rejected with an Error, not allocated.
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "lmkit/nn/hf_bart.hpp"
#include "lmkit/nn/hf_bert.hpp"
#include "lmkit/nn/hf_gpt2.hpp"
#include "lmkit/util/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view json(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto dir = lmkit::fuzz::scratch_dir() / "model";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "config.json").string();
  lmkit::fuzz::write_file(path, json);
  return lmkit::fuzz::guarded([&] {
    switch (data[0] % 3) {
      case 0:
        (void)lmkit::nn::gpt_config_from_json(lmkit::read_json_file(path), path);
        break;
      case 1:
        (void)lmkit::nn::read_bert_config(dir.string());
        break;
      default:
        (void)lmkit::nn::seq2seq_config_from_json(lmkit::read_json_file(path), path);
        break;
    }
  });
}
