#include "lmkit/text/parallel_tokenize.hpp"

#include <gtest/gtest.h>

#include "lmkit/util/error.hpp"
#include "test_files.hpp"

namespace lmkit::text {
namespace {

using testing::TempDir;

std::string numbered_jsonl(int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += fmt::format("{{\"text\": \"doc {} {}\", \"i\": {}}}\n", i, std::string(i % 37, 'z'), i);
  return out;
}

TEST(TokenizeCorpus, BatchesArriveInCorpusOrderWithTheirIds) {
  TempDir dir;
  auto path = dir.write("docs.jsonl", numbered_jsonl(2000));
  CorpusReader reader({path});
  BytesTokenizer tokenizer;
  std::vector<TokenizedDocument> all;
  std::size_t batches = 0;
  std::uint64_t last_documents_read = 0;
  tokenize_corpus(reader, tokenizer,
                  [&](TokenizedBatch& batch) {
                    ++batches;
                    EXPECT_LE(batch.documents.size(), 100u);
                    EXPECT_EQ(batch.documents_read, last_documents_read + batch.documents.size());
                    last_documents_read = batch.documents_read;
                    for (auto& doc : batch.documents) all.push_back(std::move(doc));
                  },
                  {.batch_bytes = 1 << 20, .batch_documents = 100});
  EXPECT_EQ(batches, 20u);
  ASSERT_EQ(all.size(), 2000u);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(all[i].document.metadata["i"], i);
    EXPECT_EQ(all[i].ids, tokenizer.encode(all[i].document.text));
  }
}

TEST(TokenizeCorpus, ReaderErrorsReachTheCallerAfterEarlierBatches) {
  TempDir dir;
  auto path = dir.write("docs.jsonl", numbered_jsonl(500) + "{not json\n" + numbered_jsonl(10));
  CorpusReader reader({path});
  BytesTokenizer tokenizer;
  std::size_t seen = 0;
  try {
    tokenize_corpus(reader, tokenizer, [&](TokenizedBatch& batch) { seen += batch.documents.size(); },
                    {.batch_documents = 50});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":501: invalid JSON"), std::string::npos) << e.what();
  }
  EXPECT_EQ(seen, 500u);
}

TEST(TokenizeCorpus, SinkErrorsStopTheReader) {
  TempDir dir;
  auto path = dir.write("docs.jsonl", numbered_jsonl(5000));
  CorpusReader reader({path});
  BytesTokenizer tokenizer;
  EXPECT_THROW(tokenize_corpus(reader, tokenizer, [&](TokenizedBatch&) { throw Error("sink is full"); },
                               {.batch_documents = 10}),
               Error);
  // The reader stopped early: it never got near the end of the file.
  EXPECT_LT(reader.documents_read(), 100u);
}

TEST(EncodeParallel, MatchesEncodeOfEachText) {
  BytesTokenizer tokenizer;
  std::vector<std::string> storage;
  for (int i = 0; i < 300; ++i)
    storage.push_back(std::string(static_cast<std::size_t>(i * 7 % 101), char('a' + i % 26)));
  std::vector<std::string_view> texts(storage.begin(), storage.end());
  auto ids = encode_parallel(tokenizer, texts);
  ASSERT_EQ(ids.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(ids[i], tokenizer.encode(texts[i]));
}

}  // namespace
}  // namespace lmkit::text
