// The index builder end to end (without reading and tokenizing a corpus): documents from a 1-byte
// tokenized file (Infini-gram layout, 0xFF before each document) go through IndexBuilder, which
// writes tokenized.S, sorts, writes table.S / offset.S / metadata with CRC-32s and lmkit.json.
// Run it under /usr/bin/time -v for peak RSS.
//
//   index_builder_bench TOKENIZED_U8 OUT_DIR [MAX_SHARD_TOKENS]
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "lmkit/index/builder.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/mapped_file.hpp"

int main(int argc, char** argv) {
  using namespace lmkit;
  if (argc < 3) {
    fmt::print(stderr, "usage: {} TOKENIZED_U8 OUT_DIR [MAX_SHARD_TOKENS]\n", argv[0]);
    return 2;
  }
  try {
    const auto start = std::chrono::steady_clock::now();
    MappedFile file = MappedFile::open(argv[1], AccessHint::sequential);
    index::BuildOptions options;
    options.tokenizer_spec = "bytes";
    options.vocab_size = 256;
    options.max_shard_tokens = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
    index::IndexBuilder builder(argv[2], options);
    const std::uint8_t* bytes = file.data();
    const std::size_t size = file.size();
    if (size == 0 || bytes[0] != 0xFF) fail("{}: does not start with a 0xFF document separator", argv[1]);
    std::vector<std::uint32_t> ids;
    std::size_t begin = 1;
    std::uint64_t documents = 0;
    while (begin <= size) {
      std::size_t end = begin;
      while (end < size && bytes[end] != 0xFF) ++end;
      ids.assign(bytes + begin, bytes + end);
      builder.add_document(ids, "{}", fmt::format("document {}", documents++));
      begin = end + 1;
    }
    const index::BuildSummary summary = builder.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double sort_seconds = 0;
    for (const auto& shard : summary.shards) sort_seconds += shard.sort_seconds;
    fmt::print(
        "built {}: {} documents, {} tokens, {} shards in {:.2f} s wall ({:.2f} MB/s), sorting {:.2f} s\n",
        summary.path, summary.documents(), summary.tokens(), summary.shards.size(), seconds,
        static_cast<double>(size) / 1e6 / seconds, sort_seconds);
  } catch (const lmkit::Error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
