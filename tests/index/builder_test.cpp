// The builder against hand-built expectations: exact bytes of every file, the suffix order against a
// naive sort, sharding, the manifest, errors, and what a killed build leaves behind.
#include "lmkit/index/builder.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "lmkit/index/checksum.hpp"
#include "lmkit/index/index.hpp"
#include "lmkit/index/suffix_array.hpp"
#include "lmkit/util/error.hpp"

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace lmkit::index {
namespace {

using lmkit::testing::TempDir;

using Docs = std::vector<std::vector<std::uint32_t>>;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put_le(std::string& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

BuildOptions options_for(std::uint64_t vocab_size) {
  BuildOptions options;
  options.tokenizer_spec = "test-vocab";
  options.vocab_size = vocab_size;
  return options;
}

BuildSummary build(const fs::path& out, const Docs& docs, BuildOptions options) {
  IndexBuilder builder(out.string(), std::move(options));
  for (std::size_t d = 0; d < docs.size(); ++d)
    builder.add_document(docs[d], "{\"doc\":" + std::to_string(d) + "}", "doc " + std::to_string(d));
  return builder.finish();
}

// The files of one shard holding `docs`, written the obvious way.
struct ExpectedShard {
  std::string tokenized, table, offset, metadata, metaoff;
};

ExpectedShard expected_shard(const Docs& docs, std::size_t first_doc, int width) {
  ExpectedShard e;
  for (std::size_t d = 0; d < docs.size(); ++d) {
    put_le(e.offset, e.tokenized.size(), 8);
    put_le(e.tokenized, 0xFFFFFFFFu, width);
    for (auto id : docs[d]) put_le(e.tokenized, id, width);
    put_le(e.metaoff, e.metadata.size(), 8);
    e.metadata += "{\"doc\":" + std::to_string(first_doc + d) + "}\n";
  }
  const TokenText text{{reinterpret_cast<const std::uint8_t*>(e.tokenized.data()), e.tokenized.size()},
                       width};
  const int pointer_width = pointer_width_for(e.tokenized.size());
  for (std::uint64_t position : sort_suffixes_naive(text)) put_le(e.table, position * width, pointer_width);
  return e;
}

Docs random_docs(std::size_t n_docs, std::size_t max_len, std::uint32_t vocab, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Docs docs(n_docs);
  for (auto& doc : docs) {
    doc.resize(rng() % (max_len + 1));
    for (auto& id : doc) id = rng() % vocab;
  }
  return docs;
}

TEST(IndexBuilder, TokenWidthFromVocabulary) {
  EXPECT_EQ(token_width_for_vocab(256), 1);
  EXPECT_EQ(token_width_for_vocab(257), 2);
  EXPECT_EQ(token_width_for_vocab(50257), 2);
  EXPECT_EQ(token_width_for_vocab(65536), 2);
  EXPECT_EQ(token_width_for_vocab(65537), 4);
  EXPECT_THROW(token_width_for_vocab(0), Error);
}

TEST(IndexBuilder, WritesInfiniGramFilesByteForByte) {
  for (std::uint64_t vocab : {200u, 50257u, 100000u}) {
    TempDir tmp;
    const Docs docs =
        random_docs(20, 40, static_cast<std::uint32_t>(vocab), static_cast<std::uint32_t>(vocab));
    const BuildSummary summary = build(tmp.path / "idx", docs, options_for(vocab));
    const int width = token_width_for_vocab(vocab);
    ASSERT_EQ(summary.shards.size(), 1u);
    const ExpectedShard e = expected_shard(docs, 0, width);
    EXPECT_EQ(read_file(tmp.path / "idx" / "tokenized.0"), e.tokenized) << "vocab " << vocab;
    EXPECT_EQ(read_file(tmp.path / "idx" / "table.0"), e.table) << "vocab " << vocab;
    EXPECT_EQ(read_file(tmp.path / "idx" / "offset.0"), e.offset);
    EXPECT_EQ(read_file(tmp.path / "idx" / "metadata.0"), e.metadata);
    EXPECT_EQ(read_file(tmp.path / "idx" / "metaoff.0"), e.metaoff);

    // The reader opens it, with and without the manifest (widths inferred as Infini-gram does).
    Index index = Index::open((tmp.path / "idx").string());
    EXPECT_EQ(index.token_width(), width);
    EXPECT_EQ(index.n_documents(), docs.size());
    EXPECT_EQ(index.tokenizer_spec(), "test-vocab");
    EXPECT_EQ(index.vocab_size(), vocab);
    fs::remove(tmp.path / "idx" / "lmkit.json");
    Index bare = Index::open((tmp.path / "idx").string());
    EXPECT_EQ(bare.token_width(), width);
    EXPECT_EQ(bare.shards()[0].pointer_width(), pointer_width_for(e.tokenized.size()));
  }
}

TEST(IndexBuilder, ManifestRecordsShardsSizesAndChecksums) {
  TempDir tmp;
  const Docs docs = random_docs(30, 20, 50257, 5);
  BuildOptions options = options_for(50257);
  options.eos_token_id = 50256;
  options.max_shard_tokens = 150;
  const BuildSummary summary = build(tmp.path / "idx", docs, options);
  ASSERT_GT(summary.shards.size(), 1u);
  const Json manifest = read_json_file((tmp.path / "idx" / "lmkit.json").string());
  EXPECT_EQ(manifest["format"], "lmkit-index");
  EXPECT_EQ(manifest["format_version"], 1);
  EXPECT_EQ(manifest["tokenizer"], "test-vocab");
  EXPECT_EQ(manifest["vocab_size"], 50257);
  EXPECT_EQ(manifest["eos_token_id"], 50256);
  EXPECT_EQ(manifest["token_width"], 2);
  EXPECT_EQ(manifest["checksum"], "crc32");
  EXPECT_EQ(manifest["build"]["max_shard_tokens"], 150);
  ASSERT_EQ(manifest["shards"].size(), summary.shards.size());
  std::uint64_t documents = 0, tokens = 0;
  for (const Json& shard : manifest["shards"]) {
    const std::string id = std::to_string(shard["id"].get<int>());
    EXPECT_LE(shard["positions"].get<std::uint64_t>(), 150u);
    documents += shard["documents"].get<std::uint64_t>();
    tokens += shard["tokens"].get<std::uint64_t>();
    for (const char* kind : {"tokenized", "table", "offset", "metadata", "metaoff"}) {
      const std::string name = std::string(kind) + "." + id;
      const std::string contents = read_file(tmp.path / "idx" / name);
      EXPECT_EQ(shard["bytes"][name], contents.size()) << name;
      EXPECT_EQ(
          shard["checksums"][name],
          crc32_hex(crc32_of({reinterpret_cast<const std::uint8_t*>(contents.data()), contents.size()})))
          << name;
    }
  }
  std::uint64_t expected_tokens = 0;
  for (const auto& doc : docs) expected_tokens += doc.size();
  EXPECT_EQ(documents, docs.size());
  EXPECT_EQ(tokens, expected_tokens);
}

// Only a name lmkit has no files for is recorded as given; a file that is no tokenizer is an error,
// not an index that records a tokenizer nothing can load.
TEST(IndexBuilder, OnlyAnUnknownTokenizerNameIsRecordedAsGiven) {
  TempDir tmp;
  const Docs docs = random_docs(3, 5, 300, 1);
  build(tmp.path / "named", docs, options_for(300));
  EXPECT_EQ(read_json_file((tmp.path / "named" / "lmkit.json").string())["tokenizer"], "test-vocab");
  const fs::path notes = tmp.path / "notes.txt";
  std::ofstream(notes) << "not a tokenizer\n";
  BuildOptions options = options_for(300);
  options.tokenizer_spec = notes.string();
  EXPECT_THROW(build(tmp.path / "file", docs, options), UsageError);
  EXPECT_FALSE(fs::exists(tmp.path / "file" / "lmkit.json"));
}

TEST(IndexBuilder, ShardsSplitAtDocumentBoundaries) {
  TempDir tmp;
  const Docs docs = random_docs(40, 12, 200, 7);
  BuildOptions options = options_for(200);
  options.max_shard_tokens = 60;
  const BuildSummary summary = build(tmp.path / "idx", docs, options);
  // Each shard is exactly the greedy packing of whole documents, and byte-for-byte its own index.
  std::size_t next = 0;
  for (const ShardSummary& shard : summary.shards) {
    Docs part(docs.begin() + static_cast<std::ptrdiff_t>(next),
              docs.begin() + static_cast<std::ptrdiff_t>(next + shard.documents));
    std::uint64_t positions = 0;
    for (const auto& doc : part) positions += doc.size() + 1;
    EXPECT_LE(positions, 60u);
    if (next + shard.documents < docs.size()) {
      EXPECT_GT(positions + docs[next + shard.documents].size() + 1, 60u);
    }
    const ExpectedShard e = expected_shard(part, next, 1);
    const std::string id = std::to_string(shard.id);
    EXPECT_EQ(read_file(tmp.path / "idx" / ("tokenized." + id)), e.tokenized);
    EXPECT_EQ(read_file(tmp.path / "idx" / ("table." + id)), e.table);
    EXPECT_EQ(read_file(tmp.path / "idx" / ("metadata." + id)), e.metadata);
    next += shard.documents;
  }
  EXPECT_EQ(next, docs.size());
  EXPECT_EQ(Index::open((tmp.path / "idx").string()).shards().size(), summary.shards.size());
}

TEST(IndexBuilder, MemoryBudgetSizesShards) {
  TempDir tmp;
  BuildOptions options = options_for(256);
  options.mem_gib = 1000.0 / double(1 << 30);  // 1000 bytes: 1000 / (1 + 9) = 100 positions
  IndexBuilder builder((tmp.path / "idx").string(), options);
  EXPECT_EQ(builder.shard_capacity(), 100u);
}

TEST(IndexBuilder, ClearErrorsAndNothingWritten) {
  TempDir tmp;
  const fs::path out = tmp.path / "idx";
  {
    IndexBuilder builder(out.string(), options_for(256));
    try {
      builder.finish();
      FAIL() << "an empty corpus must fail";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("no documents"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(fs::exists(out));
  {
    IndexBuilder builder(out.string(), options_for(256));
    const std::vector<std::uint32_t> doc = {1, 2, 255};
    try {
      builder.add_document(doc, "{}", "corpus.jsonl:7");
      FAIL() << "id 255 must collide with the 1-byte separator";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("corpus.jsonl:7: token 2 has id 255"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("separator"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(fs::exists(out));
  BuildOptions too_small = options_for(50257);
  too_small.token_width = 1;
  EXPECT_THROW(IndexBuilder(out.string(), too_small), UsageError);
  BuildOptions tiny_shards = options_for(256);
  tiny_shards.max_shard_tokens = 3;
  {
    IndexBuilder builder(out.string(), tiny_shards);
    const std::vector<std::uint32_t> doc = {1, 2, 3};
    EXPECT_THROW(builder.add_document(doc, "{}", "big doc"), Error);
  }
  build(out, {{1, 2}}, options_for(256));
  try {
    build(out, {{1, 2}}, options_for(256));
    FAIL() << "an existing output must not be overwritten";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::exists(out / "lmkit.json"));
  // Nothing but the finished index in the parent: failed builds cleaned up after themselves.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(tmp.path)) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(IndexBuilder, KilledBuildLeavesNothingThatOpensAndIsCleanedUp) {
  TempDir tmp;
  const fs::path out = tmp.path / "idx";
  const Docs docs = random_docs(50, 30, 200, 3);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Killed after the first shards are completely written, before the manifest.
    BuildOptions options = options_for(200);
    options.max_shard_tokens = 100;
    IndexBuilder builder(out.string(), options);
    for (const auto& doc : docs) builder.add_document(doc, "{}", "doc");
    ::kill(::getpid(), SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_THROW(Index::open(out.string()), Error);
  bool debris = false;
  for (const auto& entry : fs::directory_iterator(tmp.path)) debris = true, (void)entry;
  EXPECT_TRUE(debris) << "the killed build's temporary directory should still be there";

  build(out, docs, options_for(200));
  std::vector<std::string> entries;
  for (const auto& entry : fs::directory_iterator(tmp.path)) entries.push_back(entry.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"idx"});
  EXPECT_EQ(Index::open(out.string()).n_documents(), docs.size());
}

}  // namespace
}  // namespace lmkit::index
