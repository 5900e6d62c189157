// Reading an ∞-gram index: Infini-gram's shard layout, memory-mapped for random access.
//
// Per shard S (files in the index directory):
//   tokenized.S  the token array: each document preceded by a separator of token_width bytes 0xFF;
//                token ids little-endian, token_width 1, 2 or 4 bytes.
//   table.S      the suffix array: for every token-aligned position of tokenized.S, its byte offset,
//                pointer_width bytes little-endian, sorted by the byte order of tokenized.S from that
//                offset to the end of the shard.
//   offset.S     u64 byte offset into tokenized.S of each document's separator.
//   metadata.S   optional: one JSON line per document; metaoff.S: u64 offset of each line.
// plus lmkit.json, the manifest lmkit writes (absent in indexes built by Infini-gram itself; then
// widths are inferred from file sizes as Infini-gram infers them). See docs/index-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lmkit/util/json.hpp"
#include "lmkit/util/mapped_file.hpp"

namespace lmkit::index {

// Reads a little-endian unsigned integer of `width` bytes (1..8).
inline std::uint64_t read_le(const std::uint8_t* p, int width) {
  std::uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

// The smallest pointer width (bytes) that addresses every byte offset of a token array of
// `tokenized_bytes` bytes: ceil(log2(bytes) / 8), at least 1 — Infini-gram's rule.
int pointer_width_for(std::uint64_t tokenized_bytes);

// Throws Error when `dir` is missing ("no such directory") or is not a directory.
void check_index_directory(const std::string& dir);

class Shard {
 public:
  // Opens shard `name` ("0", "1", ...) in `dir`. token_width / pointer_width: 0 to infer from the
  // file sizes. Throws Error naming the file when files are missing or inconsistent.
  static Shard open(const std::string& dir, const std::string& name, int token_width = 0,
                    int pointer_width = 0);

  const std::string& name() const { return name_; }
  int token_width() const { return token_width_; }
  int pointer_width() const { return pointer_width_; }
  // Token positions, separators included: the length of the suffix array.
  std::uint64_t n_positions() const { return n_positions_; }
  // Token positions that are not separators.
  std::uint64_t n_tokens() const { return n_positions_ - n_documents(); }
  std::uint64_t n_documents() const { return offset_.size() / 8; }
  std::uint64_t tokenized_bytes() const { return tokenized_.size(); }

  const std::uint8_t* tokenized_data() const { return tokenized_.data(); }
  const std::uint8_t* table_data() const { return table_.data(); }

  // The byte offset into tokenized.S of the suffix of rank `rank` (0 ≤ rank < n_positions()).
  std::uint64_t suffix(std::uint64_t rank) const {
    return read_le(table_.data() + rank * static_cast<std::uint64_t>(pointer_width_), pointer_width_);
  }
  // The token id at byte offset `byte_offset` (a multiple of token_width()).
  std::uint32_t token_at(std::uint64_t byte_offset) const {
    return static_cast<std::uint32_t>(read_le(tokenized_.data() + byte_offset, token_width_));
  }
  // The separator id: all bits set in token_width bytes.
  std::uint32_t separator() const { return separator_; }

  // The byte offset of document `doc`'s separator; Error naming the shard and document when offset.S
  // holds a value that is not a token position of tokenized.S (a corrupt index).
  std::uint64_t document_offset(std::uint64_t doc) const;
  // The value offset.S holds for document `doc`, unchecked (for verification).
  std::uint64_t raw_document_offset(std::uint64_t doc) const { return read_le(offset_.data() + doc * 8, 8); }
  // The byte offset one past document `doc`'s last token (at least its first token's offset).
  std::uint64_t document_end(std::uint64_t doc) const;
  // The document containing byte offset `byte_offset`.
  std::uint64_t document_of(std::uint64_t byte_offset) const;
  bool has_metadata() const { return metaoff_.size() > 0; }
  // Document `doc`'s metadata line (without the newline); empty when the index has none.
  std::string_view metadata(std::uint64_t doc) const;

  const MappedFile& tokenized_file() const { return tokenized_; }
  const MappedFile& table_file() const { return table_; }
  const MappedFile& offset_file() const { return offset_; }
  const MappedFile& metadata_file() const { return metadata_; }  // not open when there is no metadata
  const MappedFile& metaoff_file() const { return metaoff_; }

 private:
  std::string name_;
  int token_width_ = 0;
  int pointer_width_ = 0;
  std::uint64_t n_positions_ = 0;
  std::uint32_t separator_ = 0;
  MappedFile tokenized_, table_, offset_, metadata_, metaoff_;
};

class Index {
 public:
  // Opens the index in `dir`: from its lmkit.json manifest when present, else by finding
  // tokenized.S / table.S / offset.S files and inferring widths (an index built by Infini-gram).
  static Index open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const std::vector<Shard>& shards() const { return shards_; }
  int token_width() const { return token_width_; }
  bool has_manifest() const { return !manifest_.is_null(); }
  const Json& manifest() const { return manifest_; }
  // The tokenizer spec the index was built with ("" when unknown: no manifest).
  const std::string& tokenizer_spec() const { return tokenizer_spec_; }
  std::optional<std::uint32_t> eos_token_id() const { return eos_token_id_; }
  // Largest usable token id + 1: the manifest's vocab_size, else the separator id.
  std::uint64_t vocab_size() const { return vocab_size_; }
  std::uint64_t n_tokens() const;
  std::uint64_t n_documents() const;

 private:
  std::string dir_;
  std::vector<Shard> shards_;
  int token_width_ = 0;
  Json manifest_;
  std::string tokenizer_spec_;
  std::optional<std::uint32_t> eos_token_id_;
  std::uint64_t vocab_size_ = 0;
};

}  // namespace lmkit::index
