#include "preload.hpp"

#include <unistd.h>

namespace lmkit::python {

namespace {

void touch(const MappedFile& file) {
  if (!file.is_open() || file.size() == 0) return;
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  file.advise(AccessHint::sequential);
  // One read per page faults it in; the volatile sum keeps the reads.
  volatile std::uint8_t sink = 0;
  for (std::size_t at = 0; at < file.size(); at += page) sink = sink + file.data()[at];
  file.advise(AccessHint::random);
}

}  // namespace

void preload_index(const api::Index& index) {
  for (const index::Index& part : index.directories()) {
    for (const index::Shard& shard : part.shards()) {
      touch(shard.tokenized_file());
      touch(shard.table_file());
      touch(shard.offset_file());
      touch(shard.metadata_file());
      touch(shard.metaoff_file());
    }
  }
}

}  // namespace lmkit::python
