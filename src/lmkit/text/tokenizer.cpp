#include "lmkit/text/tokenizer.hpp"

#include <filesystem>

#include "lmkit/text/bpe_files.hpp"
#include "lmkit/text/sentencepiece_tokenizer.hpp"
#include "lmkit/text/wordpiece.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::text {

std::vector<std::uint32_t> BytesTokenizer::encode(std::string_view text) const {
  std::vector<std::uint32_t> ids(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) ids[i] = static_cast<unsigned char>(text[i]);
  return ids;
}

std::string BytesTokenizer::decode(std::span<const std::uint32_t> ids) const {
  std::string text(ids.size(), '\0');
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] > 255)
      fail("token id {} at position {} is not a byte (the bytes tokenizer has ids 0-255)", ids[i], i);
    text[i] = static_cast<char>(ids[i]);
  }
  return text;
}

std::string BytesTokenizer::piece(std::uint32_t id) const {
  if (id > 255) fail("token id {} is not a byte (the bytes tokenizer has ids 0-255)", id);
  return std::string(1, static_cast<char>(id));
}

std::optional<std::uint32_t> BytesTokenizer::id_of(std::string_view piece) const {
  if (piece.size() != 1) return std::nullopt;
  return static_cast<unsigned char>(piece[0]);
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& spec) {
  namespace fs = std::filesystem;
  if (spec == "bytes") return std::make_unique<BytesTokenizer>();
  if (spec == "gpt2") {
    const std::string dir = gpt2_files_dir();
    return load_gpt2_bpe(dir + "/encoder.json", dir + "/vocab.bpe", spec);
  }
  std::error_code error;
  const auto status = fs::status(spec, error);
  if (!error && fs::is_directory(status)) {
    const fs::path dir(spec);
    if (fs::exists(dir / "tokenizer.json")) {
      const std::string json = (dir / "tokenizer.json").string();
      if (is_wordpiece_tokenizer_json(json)) return load_hf_wordpiece(json, spec);
      return load_hf_byte_level_bpe(json, spec);
    }
    if (fs::exists(dir / "vocab.txt")) return load_wordpiece_vocab((dir / "vocab.txt").string(), spec);
    if (fs::exists(dir / "encoder.json") && fs::exists(dir / "vocab.bpe"))
      return load_gpt2_bpe((dir / "encoder.json").string(), (dir / "vocab.bpe").string(), spec);
    // Hugging Face's names for the same two files (a GPT-2 model directory).
    if (fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt"))
      return load_gpt2_bpe((dir / "vocab.json").string(), (dir / "merges.txt").string(), spec);
    if (fs::exists(dir / "tokenizer.model"))
      return std::make_unique<SentencePieceTokenizer>((dir / "tokenizer.model").string(), spec);
    usage_fail(
        "{}: no tokenizer here (expected tokenizer.json, encoder.json + vocab.bpe, vocab.json + merges.txt, "
        "vocab.txt or tokenizer.model)",
        spec);
  }
  if (!error && fs::is_regular_file(status)) {
    const fs::path path(spec);
    if (path.filename() == "encoder.json" || path.filename() == "vocab.bpe") {
      const fs::path dir = path.parent_path();
      return load_gpt2_bpe((dir / "encoder.json").string(), (dir / "vocab.bpe").string(), spec);
    }
    if (path.extension() == ".json") {
      if (is_wordpiece_tokenizer_json(spec)) return load_hf_wordpiece(spec, spec);
      return load_hf_byte_level_bpe(spec, spec);
    }
    if (path.filename() == "vocab.txt") return load_wordpiece_vocab(spec, spec);
    if (path.extension() == ".model") return std::make_unique<SentencePieceTokenizer>(spec, spec);
    usage_fail(
        "{}: not a tokenizer file lmkit knows (tokenizer.json, encoder.json + vocab.bpe, a WordPiece "
        "vocab.txt, "
        "a SentencePiece .model)",
        spec);
  }
  // A spec that names a path (a separator or an extension) and finds nothing is a missing file, reported
  // as such; a bare word that is neither a built-in name nor a file is an unknown tokenizer.
  const fs::path path(spec);
  const bool names_path = spec.find('/') != std::string::npos || path.has_extension();
  if (!error)
    usage_fail("{}: not a tokenizer file or directory (neither a regular file nor a directory)", spec);
  if (error != std::errc::no_such_file_or_directory && error != std::errc::not_a_directory)
    fail("{}: cannot read the tokenizer: {}", spec, error.message());
  if (names_path) fail("{}: no such file or directory (the tokenizer path does not exist)", spec);
  throw UnknownTokenizer(fmt::format(
      "unknown tokenizer \"{}\" (expected bytes, gpt2, or a path to a tokenizer.json, an encoder.json + "
      "vocab.bpe directory, a WordPiece vocab.txt or a SentencePiece .model; there is no file or directory "
      "of that name)",
      spec));
}

}  // namespace lmkit::text
