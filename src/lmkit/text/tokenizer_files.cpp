#include "lmkit/text/tokenizer_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lmkit/text/bpe_files.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::text {

namespace fs = std::filesystem;

namespace {

std::vector<TokenizerFile> bpe_pair(const fs::path& encoder_json, const fs::path& vocab_bpe) {
  return {{encoder_json.string(), "vocab.json"}, {vocab_bpe.string(), "merges.txt"}};
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open: {}", path, errno_message(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (!in.good() && !in.eof()) fail("{}: read failed", path);
  return std::move(contents).str();
}

}  // namespace

std::vector<TokenizerFile> tokenizer_files(const std::string& spec) {
  if (spec == "bytes") return {};
  if (spec == "gpt2") {
    const fs::path dir = gpt2_files_dir();
    return bpe_pair(dir / "encoder.json", dir / "vocab.bpe");
  }
  std::error_code error;
  const auto status = fs::status(spec, error);
  const fs::path path(spec);
  if (!error && fs::is_directory(status)) {
    if (fs::exists(path / "tokenizer.json")) return {{(path / "tokenizer.json").string(), "tokenizer.json"}};
    if (fs::exists(path / "vocab.txt")) return {{(path / "vocab.txt").string(), "vocab.txt"}};
    if (fs::exists(path / "encoder.json") && fs::exists(path / "vocab.bpe"))
      return bpe_pair(path / "encoder.json", path / "vocab.bpe");
    if (fs::exists(path / "vocab.json") && fs::exists(path / "merges.txt"))
      return bpe_pair(path / "vocab.json", path / "merges.txt");
    if (fs::exists(path / "tokenizer.model"))
      return {{(path / "tokenizer.model").string(), "tokenizer.model"}};
  } else if (!error && fs::is_regular_file(status)) {
    if (path.filename() == "encoder.json" || path.filename() == "vocab.bpe")
      return bpe_pair(path.parent_path() / "encoder.json", path.parent_path() / "vocab.bpe");
    if (path.extension() == ".json") return {{spec, "tokenizer.json"}};
    if (path.filename() == "vocab.txt") return {{spec, "vocab.txt"}};
    if (path.extension() == ".model") return {{spec, "tokenizer.model"}};
  }
  // Whatever load_tokenizer says about this spec is the clearest message.
  load_tokenizer(spec);
  usage_fail("{}: lmkit cannot copy this tokenizer's files", spec);
}

void copy_tokenizer_files(const std::string& spec, const std::string& dir) {
  for (const TokenizerFile& file : tokenizer_files(spec))
    write_file_atomic((fs::path(dir) / file.name).string(), read_whole_file(file.source));
}

bool directory_has_tokenizer(const std::string& dir) {
  const fs::path path(dir);
  return fs::exists(path / "tokenizer.json") || fs::exists(path / "tokenizer.model") ||
         fs::exists(path / "vocab.txt") ||
         (fs::exists(path / "vocab.json") && fs::exists(path / "merges.txt")) ||
         (fs::exists(path / "encoder.json") && fs::exists(path / "vocab.bpe"));
}

std::uint64_t tokenizer_fingerprint(const Tokenizer& tokenizer) {
  std::uint64_t hash = 1469598103934665603ull;  // FNV-1a
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  };
  const std::uint32_t n = tokenizer.vocab_size();
  mix(std::string_view(reinterpret_cast<const char*>(&n), sizeof n));
  for (std::uint32_t id = 0; id < n; ++id) {
    const std::string piece = tokenizer.piece(id);
    const auto length = static_cast<std::uint32_t>(piece.size());
    mix(std::string_view(reinterpret_cast<const char*>(&length), sizeof length));
    mix(piece);
  }
  return hash;
}

}  // namespace lmkit::text
