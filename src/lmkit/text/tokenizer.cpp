#include "lmkit/text/tokenizer.hpp"

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
  if (spec == "bytes") return std::make_unique<BytesTokenizer>();
  usage_fail("unknown tokenizer \"{}\" (known: bytes)", spec);
}

}  // namespace lmkit::text
