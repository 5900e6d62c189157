// verify_index on built indexes, intact and deliberately corrupted in known ways.
#include "lmkit/index/verify.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>

#include "lmkit/index/builder.hpp"
#include "lmkit/index/checksum.hpp"
#include "lmkit/index/index.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace lmkit::index {
namespace {

using lmkit::testing::TempDir;

// A 2-shard index of repetitive text over 3 token ids (long equal prefixes between suffixes).
fs::path build_index(const fs::path& dir, std::uint64_t vocab) {
  BuildOptions options;
  options.tokenizer_spec = "test";
  options.vocab_size = vocab;
  options.max_shard_tokens = 500;
  IndexBuilder builder((dir / "idx").string(), options);
  std::mt19937 rng(4);
  for (int d = 0; d < 40; ++d) {
    std::vector<std::uint32_t> doc(rng() % 80);
    for (auto& id : doc) id = rng() % 3 == 0 ? 1 : 2;
    builder.add_document(doc, "{}", "doc");
  }
  builder.finish();
  return dir / "idx";
}

std::string patch(const fs::path& path, std::uint64_t offset, const std::string& bytes) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  std::string old(bytes.size(), '\0');
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(old.data(), static_cast<std::streamsize>(old.size()));
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return old;
}

bool mentions(const VerifyReport& report, const std::string& text) {
  return std::any_of(report.problems.begin(), report.problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

std::string all(const VerifyReport& report) {
  std::string out;
  for (const auto& p : report.problems) out += p + "\n";
  return out;
}

TEST(Checksum, Crc32CheckValue) {
  // The CRC-32 check value of "123456789" (zlib / gzip / PNG polynomial), whole and in pieces.
  const std::string digits = "123456789";
  EXPECT_EQ(crc32_hex(crc32_of({reinterpret_cast<const std::uint8_t*>(digits.data()), digits.size()})),
            "cbf43926");
  Crc32 crc;
  crc.update(digits.data(), 4);
  crc.update(digits.data() + 4, 5);
  EXPECT_EQ(crc.hex(), "cbf43926");
  EXPECT_EQ(Crc32().hex(), "00000000");
}

TEST(VerifyIndex, IntactIndexPassesFullAndSampled) {
  for (std::uint64_t vocab : {256u, 50000u, 70000u}) {
    TempDir tmp;
    const fs::path idx = build_index(tmp.path, vocab);
    VerifyReport full = verify_index(idx.string());
    EXPECT_TRUE(full.ok()) << all(full);
    EXPECT_TRUE(full.full);
    EXPECT_GT(full.shards, 1u);
    EXPECT_EQ(full.files_checksummed, 5 * full.shards);
    EXPECT_EQ(full.pairs_checked,
              Index::open(idx.string()).n_tokens() + Index::open(idx.string()).n_documents() - full.shards);
    VerifyReport sampled = verify_index(idx.string(), {.sample = 100});
    EXPECT_TRUE(sampled.ok()) << all(sampled);
    // A sample of 100 per shard, capped at a shard's number of adjacent pairs.
    std::uint64_t expected = 0;
    const Index opened = Index::open(idx.string());
    for (const Shard& shard : opened.shards())
      expected += std::min<std::uint64_t>(100, shard.n_positions() - 1);
    EXPECT_EQ(sampled.pairs_checked, expected);
  }
}

TEST(VerifyIndex, SwappedTableEntriesAreOutOfOrder) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  const int p = Index::open(idx.string()).shards()[0].pointer_width();
  // Swap ranks 10 and 11 (distinct suffixes, so the swapped pair is out of order).
  std::string first = patch(idx / "table.0", 10 * p, std::string(p, '\0'));
  std::string second = patch(idx / "table.0", 11 * p, first);
  patch(idx / "table.0", 10 * p, second);
  fs::remove(idx / "lmkit.json");  // the order check alone must find it
  VerifyReport report = verify_index(idx.string());
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(mentions(report, "table.0: ranks 10 and 11")) << all(report);
}

TEST(VerifyIndex, DuplicateAndOutOfRangeEntries) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  const int p = Index::open(idx.string()).shards()[1].pointer_width();
  std::string entry0 = patch(idx / "table.1", 0, std::string(p, '\0'));
  patch(idx / "table.1", 0, entry0);
  patch(idx / "table.1", 5 * p, entry0);  // rank 0's offset again at rank 5
  patch(idx / "table.1", 7 * p, std::string(p, '\xff'));
  VerifyReport report = verify_index(idx.string());
  EXPECT_TRUE(mentions(report, "table.1: CRC-32")) << all(report);
  EXPECT_TRUE(mentions(report, "appears twice, at ranks 0 and 5")) << all(report);
  EXPECT_TRUE(mentions(report, "rank 7 holds byte offset")) << all(report);
}

TEST(VerifyIndex, ChangedTokensAndOffsets) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  patch(idx / "tokenized.0", 3, "\x07");
  patch(idx / "offset.0", 8, std::string("\x01\0\0\0\0\0\0\0", 8));
  VerifyReport report = verify_index(idx.string());
  EXPECT_TRUE(mentions(report, "tokenized.0: CRC-32")) << all(report);
  EXPECT_TRUE(mentions(report, "offset.0: document 1 starts at byte 1")) << all(report);
  EXPECT_TRUE(mentions(report, "table.0: ranks")) << all(report);  // the new token is out of place
}

TEST(VerifyIndex, MissingAndTruncatedFiles) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  fs::resize_file(idx / "table.1", fs::file_size(idx / "table.1") - 1);
  fs::remove(idx / "metadata.0");
  VerifyReport report = verify_index(idx.string());
  EXPECT_TRUE(mentions(report, "table.1: size")) << all(report);
  EXPECT_TRUE(mentions(report, "metadata.0: missing")) << all(report);
}

// Rewrites lmkit.json with `edit` applied.
void edit_manifest(const fs::path& idx, const std::function<void(Json&)>& edit) {
  Json manifest = read_json_file((idx / "lmkit.json").string());
  edit(manifest);
  write_json_file((idx / "lmkit.json").string(), manifest);
}

TEST(VerifyIndex, ManifestCountsAreCheckedAgainstTheFiles) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  const Index before = Index::open(idx.string());
  edit_manifest(idx, [](Json& m) {
    m["shards"][0]["documents"] = m["shards"][0]["documents"].get<std::uint64_t>() + 1;
    m["shards"][0]["positions"] = 7;
    m["shards"][1]["tokens"] = 0;
    m["vocab_size"] = 2;  // the tokens hold id 2
  });
  const VerifyReport report = verify_index(idx.string());
  EXPECT_TRUE(mentions(report, "shard 0 states documents")) << all(report);
  EXPECT_TRUE(mentions(report, "shard 0 states positions 7")) << all(report);
  EXPECT_TRUE(mentions(report, "shard 1 states tokens 0")) << all(report);
  EXPECT_TRUE(mentions(report, "outside the vocabulary of 2 ids")) << all(report);
  EXPECT_GT(before.shards().size(), 2u);
}

TEST(VerifyIndex, AVocabularyTooLargeForTheTokenWidthIsReported) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  edit_manifest(idx, [](Json& m) { m["vocab_size"] = 100000; });
  EXPECT_TRUE(mentions(verify_index(idx.string()), "vocab_size 100000")) << all(verify_index(idx.string()));
}

TEST(VerifyIndex, PointerWidthZeroIsCorruptNotInferred) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  edit_manifest(idx, [](Json& m) { m["shards"][1]["pointer_width"] = 0; });
  const VerifyReport report = verify_index(idx.string());
  EXPECT_TRUE(mentions(report, "field \"pointer_width\" is 0; expected an integer from 1 to 8"))
      << all(report);
  EXPECT_THROW(Index::open(idx.string()), Error);
}

// Each mistyped or out-of-range manifest field is named with its value as written: no 10^12 read as
// a 32-bit id, no bare nlohmann text ("[json.exception.type_error.302] ...").
TEST(VerifyIndex, ManifestFieldsAreReadTypedAndShownAsWritten) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  const Json good = read_json_file((idx / "lmkit.json").string());
  const std::string manifest = (idx / "lmkit.json").string();
  auto open_error = [&](const std::function<void(Json&)>& edit) -> std::string {
    edit_manifest(idx, [&](Json& m) {
      m = good;
      edit(m);
    });
    try {
      Index::open(idx.string());
    } catch (const Error& e) {
      return e.what();
    }
    return "(opened)";
  };
  EXPECT_EQ(open_error([](Json& m) { m["eos_token_id"] = 1000000000000; }),
            manifest + ": field \"eos_token_id\" is 1000000000000; expected an integer from 0 to 4294967295");
  EXPECT_EQ(open_error([](Json& m) { m["eos_token_id"] = -1; }),
            manifest + ": field \"eos_token_id\" is -1; expected an integer from 0 to 4294967295");
  EXPECT_EQ(open_error([](Json& m) { m["token_width"] = "2"; }),
            manifest + ": field \"token_width\" is \"2\" (a string); expected an integer from 1 to 4");
  EXPECT_EQ(
      open_error([](Json& m) { m["format_version"] = 1.5; }),
      manifest + ": field \"format_version\" is 1.5; expected an integer from 0 to 18446744073709551615");
  EXPECT_EQ(open_error([](Json& m) { m["vocab_size"] = -256; }),
            manifest + ": field \"vocab_size\" is -256; expected an integer from 0 to 18446744073709551615");
  EXPECT_EQ(open_error([](Json& m) { m["shards"][0]["pointer_width"] = 9; }),
            manifest + " shard 0: field \"pointer_width\" is 9; expected an integer from 1 to 8");
  EXPECT_EQ(open_error([](Json& m) { m["shards"][1]["id"] = -1; }),
            manifest + " shard 1: field \"id\" is -1; expected an integer from 0 to 18446744073709551615");
  EXPECT_EQ(open_error([](Json&) {}), "(opened)");
}

TEST(VerifyIndex, AHugeSampleChecksEveryPairOnce) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  const VerifyReport report =
      verify_index(idx.string(), {.sample = std::numeric_limits<std::uint64_t>::max()});
  const Index index = Index::open(idx.string());
  EXPECT_TRUE(report.ok()) << all(report);
  EXPECT_EQ(report.pairs_checked, index.n_tokens() + index.n_documents() - index.shards().size());
}

TEST(IndexOpen, AGapInTheShardNumberingIsAnError) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  fs::remove(idx / "lmkit.json");
  ASSERT_GT(Index::open(idx.string()).shards().size(), 3u);
  // Shard 1 renamed to 99: shard 1 is missing.
  for (const char* kind : {"tokenized", "table", "offset", "metadata", "metaoff"})
    fs::rename(idx / (std::string(kind) + ".1"), idx / (std::string(kind) + ".99"));
  try {
    (void)Index::open(idx.string());
    ADD_FAILURE() << "an index with a missing shard opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("shard 1 is missing"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(verify_index(idx.string()).ok());
}

TEST(IndexOpen, AMissingDirectoryIsReportedAsMissing) {
  TempDir tmp;
  try {
    (void)Index::open((tmp.path / "nope").string());
    ADD_FAILURE() << "a missing index opened";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no such directory"), std::string::npos) << e.what();
  }
  std::ofstream((tmp.path / "file").string()) << "x";
  try {
    (void)Index::open((tmp.path / "file").string());
    ADD_FAILURE() << "a file opened as an index";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a directory"), std::string::npos) << e.what();
  }
}

TEST(IndexOpen, ACorruptDocumentOffsetIsAnErrorWhereItIsRead) {
  TempDir tmp;
  const fs::path idx = build_index(tmp.path, 256);
  patch(idx / "offset.0", 8, std::string("\xff\xff\xff\xff\xff\xff\xff\x0f", 8));
  const Index index = Index::open(idx.string());
  try {
    (void)index.shards()[0].document_end(0);
    ADD_FAILURE() << "a document offset past the end was returned";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("offset.0: document 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lmkit::index
