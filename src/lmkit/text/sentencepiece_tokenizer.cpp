#include "lmkit/text/sentencepiece_tokenizer.hpp"

#include <sentencepiece_processor.h>

#include "lmkit/util/error.hpp"

namespace lmkit::text {

namespace {

std::optional<std::uint32_t> optional_id(int id) {
  if (id < 0) return std::nullopt;
  return static_cast<std::uint32_t>(id);
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path, std::string spec)
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()),
      path_(model_path),
      spec_(std::move(spec)) {
  const auto status = processor_->Load(model_path);
  if (!status.ok()) fail("{}: cannot load SentencePiece model: {}", model_path, status.ToString());
  for (int id = 0; id < processor_->GetPieceSize(); ++id)
    if (processor_->IsControl(id) && !processor_->IdToPiece(id).empty())
      control_pieces_.emplace_back(processor_->IdToPiece(id), static_cast<std::uint32_t>(id));
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<std::uint32_t> SentencePieceTokenizer::encode(std::string_view text) const {
  std::vector<int> ids;
  const auto status = processor_->Encode(absl::string_view(text.data(), text.size()), &ids);
  if (!status.ok()) fail("{}: SentencePiece could not encode the text: {}", path_, status.ToString());
  return {ids.begin(), ids.end()};
}

std::vector<std::uint32_t> SentencePieceTokenizer::encode_with_specials(std::string_view text) const {
  std::vector<std::uint32_t> ids;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    // The earliest control piece in the rest of the text (the longest one when several start there).
    std::size_t found = std::string_view::npos, length = 0;
    std::uint32_t found_id = 0;
    for (const auto& [literal, id] : control_pieces_) {
      const std::size_t at = text.find(literal, pos);
      if (at == std::string_view::npos) continue;
      if (at < found || (at == found && literal.size() > length)) {
        found = at;
        length = literal.size();
        found_id = id;
      }
    }
    const auto part =
        text.substr(pos, found == std::string_view::npos ? std::string_view::npos : found - pos);
    if (!part.empty()) {
      auto part_ids = encode(part);
      ids.insert(ids.end(), part_ids.begin(), part_ids.end());
    }
    if (found == std::string_view::npos) break;
    ids.push_back(found_id);
    pos = found + length;
  }
  return ids;
}

std::string SentencePieceTokenizer::decode(std::span<const std::uint32_t> ids) const {
  std::vector<int> signed_ids(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= vocab_size())
      fail("token id {} at position {} is outside the vocabulary (size {})", ids[i], i, vocab_size());
    signed_ids[i] = static_cast<int>(ids[i]);
  }
  std::string text;
  const auto status = processor_->Decode(signed_ids, &text);
  if (!status.ok()) fail("{}: SentencePiece could not decode: {}", path_, status.ToString());
  return text;
}

std::uint32_t SentencePieceTokenizer::vocab_size() const {
  return static_cast<std::uint32_t>(processor_->GetPieceSize());
}

std::string SentencePieceTokenizer::piece(std::uint32_t id) const {
  if (id >= vocab_size()) fail("token id {} is outside the vocabulary (size {})", id, vocab_size());
  return processor_->IdToPiece(static_cast<int>(id));
}

std::optional<std::uint32_t> SentencePieceTokenizer::id_of(std::string_view piece) const {
  // PieceToId answers unknown pieces with the unk id; only an exact round trip is a real entry.
  const int id = processor_->PieceToId(absl::string_view(piece.data(), piece.size()));
  if (id < 0 || processor_->IdToPiece(id) != piece) return std::nullopt;
  return static_cast<std::uint32_t>(id);
}

SpecialTokens SentencePieceTokenizer::specials() const {
  return {optional_id(processor_->eos_id()), optional_id(processor_->bos_id()),
          optional_id(processor_->pad_id()), optional_id(processor_->unk_id())};
}

}  // namespace lmkit::text
