// An engine over an index directory: the index reader's mapped shards, its tokenizer and EOS.
#pragma once

#include <memory>
#include <string>

#include "lmkit/index/index.hpp"
#include "lmkit/ngram/engine.hpp"
#include "lmkit/text/tokenizer.hpp"

namespace lmkit::ngram {

struct OpenedIndex {
  index::Index index;
  std::unique_ptr<Engine> engine;              // views into index's mapped files
  std::unique_ptr<text::Tokenizer> tokenizer;  // null when the index names none: ids only
};

// The engine's view of every shard of `index` (its mapped files), named "<dir> shard <name>".
std::vector<ShardFiles> shard_files(const index::Index& index);

// Opens the index in `dir`. `tokenizer_spec` overrides the manifest's (e.g. for an index built by
// Infini-gram, which has no manifest); `eos_id` overrides the manifest's EOS.
std::unique_ptr<OpenedIndex> open_index(const std::string& dir, const std::string& tokenizer_spec = "",
                                        std::optional<std::uint32_t> eos_id = std::nullopt);

}  // namespace lmkit::ngram
