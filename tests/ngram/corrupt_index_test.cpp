// A corrupt index is untrusted input: suffix-array entries or document offsets that point past the
// token data are Errors naming the shard and the rank or document, never out-of-bounds reads.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "lmkit/ngram/query_api.hpp"
#include "support/errors.hpp"
#include "test_index.hpp"

namespace lmkit::ngram::testing {

namespace {

// Overwrites `width` bytes at byte `at` of `path` with the little-endian `value`.
void patch(const std::string& path, std::uint64_t at, std::uint64_t value, unsigned width) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(at));
  for (unsigned i = 0; i < width; ++i) file.put(static_cast<char>(value >> (8 * i)));
  ASSERT_TRUE(file.good()) << path;
}

const std::vector<TestShard> kShards = {
    {{{1, 2, 3, 1, 2}, ""}, {{2, 3, 1}, ""}, {{1, 2, 4, 4}, ""}},
};

class CorruptIndexTest : public ::testing::TestWithParam<unsigned> {
 protected:
  unsigned width() const { return GetParam(); }
  void write() { write_test_index(dir_.path(), kShards, width(), 4); }
  std::unique_ptr<TestIndex> open() { return open_test_index(dir_.path(), 1, {width(), std::nullopt}); }
  std::string file(const std::string& kind) const { return dir_.path() + "/" + kind + ".0"; }
  TempDir dir_;
};

TEST_P(CorruptIndexTest, TableEntryPastTheEndIsAnErrorNamingShardAndRank) {
  write();
  // Every entry past the end: whichever rank a search reads first is reported.
  const std::uint64_t n = 3 + 5 + 3 + 4;  // positions, separators included
  for (std::uint64_t rank = 0; rank < n; ++rank) patch(file("table"), rank * 4, 0xFFFFFF00u + rank, 4);
  const auto index = open();
  const std::vector<std::uint32_t> query = {1, 2};
  const std::string message = lmkit::testing::error_of([&] { (void)index->engine->count(query); });
  EXPECT_NE(message.find("shard 0"), std::string::npos) << message;
  EXPECT_NE(message.find("table rank"), std::string::npos) << message;
  EXPECT_NE(message.find("corrupt"), std::string::npos) << message;
  // Through every query that reads the table: errors, never a crash.
  EXPECT_NE(lmkit::testing::error_of([&] { (void)index->engine->ntd(query, 10); }), "");
  EXPECT_NE(lmkit::testing::error_of([&] { (void)index->engine->score(query); }), "");
  EXPECT_NE(lmkit::testing::error_of([&] { (void)index->engine->get_doc_by_rank(0, 3, 10); }), "");
  EXPECT_NE(lmkit::testing::error_of([&] { (void)index->engine->search_docs(query, 2, 10); }), "");
}

TEST_P(CorruptIndexTest, TableEntryOffTheTokenGridIsAnError) {
  if (width() == 1) GTEST_SKIP() << "every byte is a token position of 1-byte tokens";
  write();
  // The last byte of the token data: in bounds, but a wider token read there would run past it.
  const std::uint64_t last_byte = (3 + 5 + 3 + 4) * width() - 1;
  for (std::uint64_t rank = 0; rank < 15; ++rank) patch(file("table"), rank * 4, last_byte, 4);
  const auto index = open();
  const std::vector<std::uint32_t> query = {1};
  const std::string message = lmkit::testing::error_of([&] { (void)index->engine->ntd(query, 10); });
  EXPECT_NE(message.find(std::to_string(last_byte)), std::string::npos) << message;
}

TEST_P(CorruptIndexTest, DocumentOffsetPastTheEndIsAnErrorNamingTheDocument) {
  write();
  patch(file("offset"), 8, 0x7FFFFFFFFFFFFFF0ull, 8);  // document 1's separator
  const auto index = open();
  const std::string message = lmkit::testing::error_of([&] { (void)index->engine->get_doc_by_ix(1, 100); });
  EXPECT_NE(message.find("shard 0"), std::string::npos) << message;
  EXPECT_NE(message.find("document 1"), std::string::npos) << message;
  // Document 0 ends where document 1 starts: its length is not made up either.
  EXPECT_NE(lmkit::testing::error_of([&] { (void)index->engine->get_doc_by_ix(0, 100); }), "");
}

TEST_P(CorruptIndexTest, DocumentOffsetsOutOfOrderAreAnError) {
  write();
  patch(file("offset"), 16, 0, 8);  // document 2 "starts" before document 1
  const auto index = open();
  const std::string message = lmkit::testing::error_of([&] { (void)index->engine->get_doc_by_ix(1, 100); });
  EXPECT_NE(message.find("document 2"), std::string::npos) << message;
}

TEST_P(CorruptIndexTest, TheQueryServiceAnswersAnErrorAndServesOn) {
  write();
  for (std::uint64_t rank = 0; rank < 15; ++rank) patch(file("table"), rank * 4, 0xFFFFFFF0u, 4);
  const auto index = open();
  const QueryService service(*index->engine, nullptr);
  const std::string reply = service.answer_line(R"({"query_type": "count", "query_ids": [1, 2]})");
  const Json parsed = Json::parse(reply);
  ASSERT_TRUE(parsed.contains("error")) << reply;
  EXPECT_NE(parsed["error"].get<std::string>().find("table rank"), std::string::npos) << reply;
  // The empty query reads no table entry.
  EXPECT_EQ(Json::parse(service.answer_line(R"({"query_type": "count", "query_ids": []})"))["count"], 15);
}

INSTANTIATE_TEST_SUITE_P(TokenWidths, CorruptIndexTest, ::testing::Values(1u, 2u, 4u));

}  // namespace

}  // namespace lmkit::ngram::testing
