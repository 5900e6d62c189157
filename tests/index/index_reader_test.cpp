// The reader against indexes written here by a deliberately naive writer of Infini-gram's layout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "lmkit/index/index.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"

#include "support/errors.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using lmkit::index::Index;

namespace {

using lmkit::testing::error_of;
using lmkit::testing::TempDir;

void put_le(std::string& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// Writes shard `name` of `docs` with the given token width; sorts suffixes with std::sort + memcmp.
void write_naive_shard(const fs::path& dir, const std::string& name,
                       const std::vector<std::vector<std::uint32_t>>& docs, int token_width,
                       bool with_metadata) {
  std::string ds, od, mt, om;
  for (std::size_t d = 0; d < docs.size(); ++d) {
    put_le(od, ds.size(), 8);
    put_le(ds, 0xFFFFFFFFu, token_width);
    for (auto id : docs[d]) put_le(ds, id, token_width);
    put_le(om, mt.size(), 8);
    mt += "{\"doc\": " + std::to_string(d) + "}\n";
  }
  std::uint64_t n = ds.size() / token_width;
  std::vector<std::uint64_t> offsets(n);
  for (std::uint64_t i = 0; i < n; ++i) offsets[i] = i * token_width;
  std::sort(offsets.begin(), offsets.end(), [&](std::uint64_t a, std::uint64_t b) {
    std::size_t la = ds.size() - a, lb = ds.size() - b;
    int c = std::memcmp(ds.data() + a, ds.data() + b, std::min(la, lb));
    return c != 0 ? c < 0 : la < lb;
  });
  int ptr = lmkit::index::pointer_width_for(ds.size());
  std::string sa;
  for (auto o : offsets) put_le(sa, o, ptr);
  lmkit::write_file_atomic((dir / ("tokenized." + name)).string(), ds);
  lmkit::write_file_atomic((dir / ("table." + name)).string(), sa);
  lmkit::write_file_atomic((dir / ("offset." + name)).string(), od);
  if (with_metadata) {
    lmkit::write_file_atomic((dir / ("metadata." + name)).string(), mt);
    lmkit::write_file_atomic((dir / ("metaoff." + name)).string(), om);
  }
}

}  // namespace

TEST(PointerWidth, IsTheSmallestThatAddressesTheShard) {
  EXPECT_EQ(lmkit::index::pointer_width_for(1), 1);
  EXPECT_EQ(lmkit::index::pointer_width_for(256), 1);
  EXPECT_EQ(lmkit::index::pointer_width_for(257), 2);
  EXPECT_EQ(lmkit::index::pointer_width_for(65536), 2);
  EXPECT_EQ(lmkit::index::pointer_width_for(65537), 3);
  EXPECT_EQ(lmkit::index::pointer_width_for(std::uint64_t{1} << 32), 4);
  EXPECT_EQ(lmkit::index::pointer_width_for((std::uint64_t{1} << 32) + 1), 5);
}

class InfinigramLayout : public ::testing::TestWithParam<int> {};

TEST_P(InfinigramLayout, WidthsAreInferredWithoutAManifest) {
  const int width = GetParam();
  TempDir dir{"lmkit-index"};
  // Ids beyond one byte (and beyond two) where the width allows, to exercise the byte order.
  const std::uint32_t modulus = width == 1 ? 250 : width == 2 ? 65000 : 70000;
  std::vector<std::vector<std::uint32_t>> docs;
  for (int d = 0; d < 40; ++d) {
    std::vector<std::uint32_t> doc;
    for (int t = 0; t < 3 + d % 7; ++t) doc.push_back(static_cast<std::uint32_t>((d * 31 + t * 7) % modulus));
    docs.push_back(doc);
  }
  write_naive_shard(dir.path, "0", docs, width, /*with_metadata=*/true);
  write_naive_shard(dir.path, "1", {{1, 2, 3}}, width, /*with_metadata=*/false);
  Index index = Index::open(dir.path.string());
  EXPECT_FALSE(index.has_manifest());
  EXPECT_EQ(index.token_width(), width);
  ASSERT_EQ(index.shards().size(), 2u);
  const auto& shard = index.shards()[0];
  EXPECT_EQ(shard.n_documents(), 40u);
  std::uint64_t tokens = 0;
  for (const auto& doc : docs) tokens += doc.size();
  EXPECT_EQ(shard.n_tokens(), tokens);
  EXPECT_EQ(index.n_tokens(), tokens + 3);
  EXPECT_EQ(shard.pointer_width(), lmkit::index::pointer_width_for(shard.tokenized_bytes()));
  // Document 5's first token, via the offsets; its metadata line.
  std::uint64_t start = shard.document_offset(5);
  EXPECT_EQ(shard.token_at(start), shard.separator());
  EXPECT_EQ(shard.token_at(start + width), docs[5][0]);
  EXPECT_EQ(shard.document_of(start + width), 5u);
  EXPECT_EQ(shard.document_end(5), shard.document_offset(6));
  EXPECT_EQ(shard.metadata(5), "{\"doc\": 5}");
  EXPECT_FALSE(index.shards()[1].has_metadata());
  // The suffix array is a permutation of the token-aligned offsets.
  std::vector<std::uint64_t> seen;
  for (std::uint64_t r = 0; r < shard.n_positions(); ++r) seen.push_back(shard.suffix(r));
  std::sort(seen.begin(), seen.end());
  for (std::uint64_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], i * width);
}

INSTANTIATE_TEST_SUITE_P(TokenWidths, InfinigramLayout, ::testing::Values(1, 2, 4));

TEST(IndexReader, ManifestWidthsAreCheckedAgainstTheFiles) {
  TempDir dir{"lmkit-index"};
  write_naive_shard(dir.path, "0", {{5, 6, 7}, {8}}, 2, false);
  lmkit::Json manifest = {{"format", "lmkit-index"},
                          {"format_version", 1},
                          {"tokenizer", "bytes"},
                          {"token_width", 2},
                          {"vocab_size", 256},
                          {"eos_token_id", 10},
                          {"shards", {{{"id", 0}, {"pointer_width", 1}}}}};
  lmkit::write_json_file((dir.path / "lmkit.json").string(), manifest);
  Index index = Index::open(dir.path.string());
  EXPECT_EQ(index.tokenizer_spec(), "bytes");
  EXPECT_EQ(index.eos_token_id(), 10u);
  EXPECT_EQ(index.vocab_size(), 256u);
  manifest["token_width"] = 4;
  lmkit::write_json_file((dir.path / "lmkit.json").string(), manifest);
  std::string message = error_of([&] { Index::open(dir.path.string()); });
  EXPECT_NE(message.find("table.0"), std::string::npos) << message;
}

TEST(IndexReader, DamagedFilesAreNamed) {
  TempDir dir{"lmkit-index"};
  EXPECT_NE(error_of([&] { Index::open(dir.path.string()); }).find("no shards"), std::string::npos);
  write_naive_shard(dir.path, "0", {{5, 6, 7}}, 2, false);
  // Truncate the table by one byte.
  fs::resize_file(dir.path / "table.0", fs::file_size(dir.path / "table.0") - 1);
  std::string message = error_of([&] { Index::open(dir.path.string()); });
  EXPECT_NE(message.find("table.0"), std::string::npos) << message;
  fs::remove(dir.path / "offset.0");
  message = error_of([&] { Index::open(dir.path.string()); });
  EXPECT_NE(message.find("offset.0"), std::string::npos) << message;
  EXPECT_NE(error_of([] { Index::open("/no/such/index"); }).find("/no/such/index"), std::string::npos);
}
