// The JSON request format: answers carry Infini-gram's field names and the engine's values; bad
// requests get an error naming the problem, and the service keeps answering.
#include <gtest/gtest.h>

#include "lmkit/ngram/open.hpp"
#include "lmkit/ngram/query_api.hpp"
#include "lmkit/util/json.hpp"
#include "test_index.hpp"

namespace lmkit::ngram::testing {
namespace {

class QueryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Bytes as 2-byte tokens, two shards; "ab" at the end of shard 0 and at the start of shard 1.
    auto doc = [](std::string_view text, std::string meta) {
      TestDoc d;
      for (const unsigned char c : text) d.tokens.push_back(c);
      d.metadata = std::move(meta);
      return d;
    };
    shards_ = {{doc("abcab", R"({"id": "x"})"), doc("cab", R"({"id": "y"})")},
               {doc("abab", R"({"id": "z"})")}};
    // Pointer width 1: what Infini-gram's rule gives for these tiny shards, so the index reader can
    // infer the widths from the file sizes.
    write_test_index(dir_.path(), shards_, 2, 1);
    index_ = open_test_index(dir_.path(), 2, {2, std::nullopt});
    service_ = std::make_unique<QueryService>(*index_->engine, &bytes_);
  }

  Json ask(const std::string& line) const { return Json::parse(service_->answer_line(line)); }
  std::string error_of(const std::string& line) const {
    const auto r = ask(line);
    EXPECT_TRUE(r.contains("error")) << line << " → " << r.dump();
    return r.value("error", "");
  }

  TempDir dir_;
  std::vector<TestShard> shards_;
  std::unique_ptr<TestIndex> index_;
  text::BytesTokenizer bytes_;
  std::unique_ptr<QueryService> service_;
};

TEST_F(QueryApiTest, AnswersCarryInfiniGramFields) {
  auto r = ask(R"({"query_type": "count", "query": "ab"})");
  EXPECT_EQ(r["count"], 5);
  EXPECT_EQ(r["approx"], false);
  EXPECT_EQ(r["token_ids"], Json::parse("[97, 98]"));
  EXPECT_TRUE(r.contains("latency"));

  r = ask(R"({"query_type": "count", "query_ids": []})");
  EXPECT_EQ(r["count"], 12 + 3);  // every position, the 3 separators included

  r = ask(R"({"query_type": "prob", "query": "ab"})");  // P(b | a)
  EXPECT_EQ(r["prompt_cnt"], 5);
  EXPECT_EQ(r["cont_cnt"], 5);
  EXPECT_EQ(r["prob"], 1.0);

  r = ask(R"({"query_type": "prob", "query": "zb"})");
  EXPECT_EQ(r["prompt_cnt"], 0);
  EXPECT_TRUE(r["prob"].is_null()) << "an unseen prompt has no probability";

  // After "b": "c" once, "a" once, a document end 3 times (a separator, and both shards' ends).
  r = ask(R"({"query_type": "ntd", "query": "b"})");
  EXPECT_EQ(r["prompt_cnt"], 5);
  EXPECT_EQ(r["result_by_token_id"]["99"]["cont_cnt"], 1);
  EXPECT_EQ(r["result_by_token_id"]["97"]["cont_cnt"], 1);
  EXPECT_EQ(r["result_by_token_id"]["65535"]["cont_cnt"], 3);  // no EOS: reported as the separator id
  EXPECT_EQ(r["approx"], false);

  r = ask(R"({"query_type": "infgram_prob", "query": "zzcab"})");
  EXPECT_EQ(r["suffix_len"], 2);  // prompt "zzca": "zca" never occurs, "ca" does
  EXPECT_EQ(r["prompt_cnt"], 2);
  EXPECT_EQ(r["cont_cnt"], 2);

  r = ask(R"({"query_type": "infgram_ntd", "query": "zzab", "max_support": 1})");
  EXPECT_EQ(r["suffix_len"], 2);
  EXPECT_EQ(r["approx"], true);

  r = ask(R"({"query_type": "search_docs", "query": "ca", "maxnum": 2, "max_disp_len": 10})");
  EXPECT_EQ(r["cnt"], 2);
  ASSERT_EQ(r["documents"].size(), 2u);
  EXPECT_EQ(r["documents"][0]["text"].get<std::string>().substr(
                r["documents"][0]["needle_offset"].get<std::size_t>(), 2),
            "ca");

  r = ask(R"({"query_type": "get_doc_by_ix", "doc_ix": 2})");
  EXPECT_EQ(r["text"], "abab");
  EXPECT_EQ(r["metadata"], R"({"id": "z"})");
  EXPECT_EQ(r["shard"], 1);

  r = ask(R"({"query_type": "count_cnf", "query": "c AND ab OR ba"})");
  EXPECT_EQ(r["count"], 2);  // both "c" are within 100 tokens of "ab" or "ba" in their document
  r = ask(R"({"query_type": "count_cnf", "query_ids": [[[99]], [[97, 98]]], "max_diff_tokens": 0})");
  EXPECT_EQ(r["count"], 0);

  r = ask(R"({"query_type": "find", "query": "ab"})");
  EXPECT_EQ(r["cnt"], 5);
  EXPECT_EQ(r["segment_by_shard"].size(), 2u);
}

TEST_F(QueryApiTest, BadRequestsGetErrorsAndServingGoesOn) {
  EXPECT_NE(error_of(R"({"query_type": "count", "query": )").find("request"), std::string::npos);
  EXPECT_NE(error_of("[1, 2]").find("object"), std::string::npos);
  EXPECT_NE(error_of(R"({"query": "ab"})").find("query_type"), std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "frobnicate", "query": "ab"})").find("frobnicate"), std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "count"})").find("query_ids"), std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "count", "query_ids": [97, -1]})").find("query_ids[1]"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "count", "query_ids": [97, 300]})").find("vocabulary"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "count", "query_ids": [97, 65535]})").find("separator"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "prob", "query_ids": []})").find("empty"), std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "search_docs", "query": ""})").find("empty"), std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "ntd", "query": "a", "max_support": 0})").find("max_support"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "ntd", "query": "a", "exact": "yes"})").find("exact"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "get_doc_by_ix", "doc_ix": 3})").find("doc_ix 3"), std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "get_doc_by_rank", "s": 0, "rank": 1000})").find("rank"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "count_cnf", "query": "a AND b AND c AND a AND b"})").find("clauses"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "count_cnf", "query": "a OR b OR c OR a OR b"})").find("terms"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"query_type": "count_cnf", "query": "a AND "})").find("empty"), std::string::npos);
  // After all of that, the service still answers.
  EXPECT_EQ(ask(R"({"query_type": "count", "query": "b"})")["count"], 5);
}

TEST_F(QueryApiTest, WithoutATokenizerTextIsRefused) {
  const QueryService ids_only(*index_->engine, nullptr);
  const auto r = Json::parse(ids_only.answer_line(R"({"query_type": "count", "query": "ab"})"));
  EXPECT_NE(r["error"].get<std::string>().find("query_ids"), std::string::npos);
  EXPECT_EQ(Json::parse(ids_only.answer_line(R"({"query_type": "count", "query_ids": [97]})"))["count"], 5);
}

TEST_F(QueryApiTest, TheIndexReaderOpensTheTestLayout) {
  // The same files through index::Index (widths inferred from file sizes, as for Infini-gram's).
  const auto opened = open_index(dir_.path(), "bytes");
  EXPECT_EQ(opened->engine->token_count(), index_->engine->token_count());
  EXPECT_EQ(opened->engine->shard_count(), 2u);
  const QueryService service(*opened->engine, opened->tokenizer.get());
  const auto r = Json::parse(service.answer_line(R"({"query_type": "get_doc_by_ix", "doc_ix": 1})"));
  EXPECT_EQ(r["text"], "cab");
  EXPECT_EQ(r["metadata"], R"({"id": "y"})");
  EXPECT_EQ(Json::parse(service.answer_line(R"({"query_type": "count", "query": "ab"})"))["count"], 5);
}

}  // namespace
}  // namespace lmkit::ngram::testing
