// Building an ∞-gram index: documents of token ids in, Infini-gram's shard layout plus an lmkit.json
// manifest out (see index.hpp and docs/index-format.md).
//
// Documents accumulate in memory until a shard is full (--max-shard-tokens, or the --mem budget),
// then the shard is written: tokenized.S, its suffix array table.S (SA-IS), offset.S, metadata.S and
// metaoff.S. Shards are independent and built one after another, so a corpus larger than memory
// becomes several shards. Everything is written into a temporary directory that is renamed into
// place only when the manifest is complete: a build killed at any moment leaves nothing that opens as
// an index, and the next build removes its debris.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lmkit/util/json.hpp"

namespace lmkit {
class AtomicDirectory;
}

namespace lmkit::index {

// Bytes per token for a vocabulary of `vocab_size` ids: 1, 2 or 4 (the all-ones id of the width is
// reserved for the separator, so a vocabulary that uses it fails when that id occurs).
int token_width_for_vocab(std::uint64_t vocab_size);

// Bytes of working memory per token position while a shard is sorted and written, beyond the
// output files: the 4-byte suffix array, up to 4 bytes of SA-IS buckets, 1 bit of types (rounded).
constexpr std::uint64_t kSortBytesPerPosition = 9;

// The folder inside an index that holds a copy of its tokenizer's files; the manifest's "tokenizer"
// names it, relative to the index directory (the spec it was built with is under build.tokenizer_source).
inline constexpr const char* kIndexTokenizerDir = "tokenizer";

struct BuildOptions {
  std::string tokenizer_spec;  // recorded in the manifest, so queries can be given as text
  std::uint64_t vocab_size = 0;
  std::optional<std::uint32_t> eos_token_id;
  int token_width = 0;                 // 0: token_width_for_vocab(vocab_size)
  std::uint64_t max_shard_tokens = 0;  // token positions per shard, separators included; 0: no limit
  double mem_gib = 0;                  // memory budget for one shard (text + sort); 0: no limit
  bool write_metadata = true;          // metadata.S + metaoff.S
  Json build_info = Json::object();    // extra build parameters recorded in the manifest
};

struct ShardSummary {
  std::uint64_t id = 0;
  std::uint64_t positions = 0;  // token positions, separators included
  std::uint64_t tokens = 0;     // positions that are not separators
  std::uint64_t documents = 0;
  int pointer_width = 0;
  double sort_seconds = 0;
};

struct BuildSummary {
  std::string path;
  int token_width = 0;
  std::vector<ShardSummary> shards;
  std::uint64_t tokens() const;
  std::uint64_t documents() const;
};

class IndexBuilder {
 public:
  // Fails if `out_dir` exists, or its parent does not; checks the options.
  IndexBuilder(std::string out_dir, BuildOptions options);
  IndexBuilder(const IndexBuilder&) = delete;
  IndexBuilder& operator=(const IndexBuilder&) = delete;
  ~IndexBuilder();

  // Appends a document. `source` names it in error messages ("corpus.jsonl:12"); `metadata` is its
  // metadata line (a JSON object, no newline). Throws Error for an id that collides with the
  // separator or does not fit the token width.
  void add_document(std::span<const std::uint32_t> ids, std::string_view metadata, std::string_view source);

  // Writes the last shard and the manifest and moves the index into place. Throws Error for an
  // empty corpus (no documents).
  BuildSummary finish();

  int token_width() const { return token_width_; }
  // Token positions a shard may hold under the options.
  std::uint64_t shard_capacity() const { return shard_capacity_; }

 private:
  class ShardWriter;
  void write_shard();

  std::string out_dir_;
  BuildOptions options_;
  int token_width_ = 0;
  std::uint32_t separator_ = 0;
  std::uint64_t shard_capacity_ = 0;
  std::unique_ptr<AtomicDirectory> directory_;
  std::unique_ptr<ShardWriter> shard_;
  Json manifest_shards_ = Json::array();
  BuildSummary summary_;
};

}  // namespace lmkit::index
