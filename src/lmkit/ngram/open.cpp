#include "lmkit/ngram/open.hpp"

namespace lmkit::ngram {

std::vector<ShardFiles> shard_files(const index::Index& index) {
  std::vector<ShardFiles> shards;
  for (const auto& shard : index.shards()) {
    ShardFiles f;
    f.tokens = shard.tokenized_file().bytes();
    f.table = shard.table_file().bytes();
    f.offsets = shard.offset_file().bytes();
    if (shard.has_metadata()) {
      f.metadata = shard.metadata_file().bytes();
      f.metaoff = shard.metaoff_file().bytes();
    }
    f.pointer_width = static_cast<unsigned>(shard.pointer_width());
    f.name = index.dir() + " shard " + shard.name();
    shards.push_back(f);
  }
  return shards;
}

std::unique_ptr<OpenedIndex> open_index(const std::string& dir, const std::string& tokenizer_spec,
                                        std::optional<std::uint32_t> eos_id) {
  auto opened = std::make_unique<OpenedIndex>(OpenedIndex{index::Index::open(dir), nullptr, nullptr});
  const auto& idx = opened->index;
  const std::string spec = tokenizer_spec.empty() ? idx.tokenizer_spec() : tokenizer_spec;
  if (!spec.empty()) opened->tokenizer = text::load_tokenizer(spec);
  if (!eos_id) eos_id = idx.eos_token_id();
  if (!eos_id && opened->tokenizer) eos_id = opened->tokenizer->specials().eos;
  opened->engine = std::make_unique<Engine>(shard_files(idx),
                                            EngineConfig{static_cast<unsigned>(idx.token_width()), eos_id});
  return opened;
}

}  // namespace lmkit::ngram
