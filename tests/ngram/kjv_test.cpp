// The engine against the brute-force oracle on real text: KJV validation chapters as byte tokens
// (1-byte), split over two shards, with the queries drawn from the text itself.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "lmkit/text/kjv.hpp"
#include "lmkit/util/json.hpp"
#include "test_index.hpp"

namespace lmkit::ngram::testing {
namespace {

TEST(KjvTest, QueriesMatchTheScan) {
  TempDir data, index_dir;
  text::prepare_kjv(data.path());
  std::vector<TestShard> shards(2);
  std::ifstream in(data.path() + "/validation.jsonl");
  std::string line;
  for (std::size_t n = 0; std::getline(in, line) && n < 30; ++n) {
    TestDoc doc;
    for (const unsigned char c : parse_json(line, "validation.jsonl")["text"].get<std::string>())
      doc.tokens.push_back(c);
    shards[n % 2].push_back(doc);
  }
  write_test_index(index_dir.path(), shards, 1, 4);
  const auto index = open_test_index(index_dir.path(), 2, {1, std::nullopt});
  const Engine& engine = *index->engine;
  const Oracle oracle(shards, 1, std::nullopt);

  std::mt19937 rng(2024);
  const auto& doc = shards[1][3].tokens;
  for (int q = 0; q < 40; ++q) {
    const std::size_t n = 1 + rng() % 12;
    const std::size_t at = rng() % (doc.size() - n);
    const std::vector<std::uint32_t> query(doc.begin() + static_cast<std::ptrdiff_t>(at),
                                           doc.begin() + static_cast<std::ptrdiff_t>(at + n));
    ASSERT_EQ(engine.count(query), oracle.count(query));
    const std::vector<std::uint32_t> prompt(query.begin(), query.end() - 1);
    const auto prob = engine.prob(prompt, query.back());
    const auto want = oracle.prob(prompt, query.back());
    ASSERT_EQ(prob.prompt_cnt, want.prompt_cnt);
    ASSERT_EQ(prob.cont_cnt, want.cont_cnt);
    const auto ntd = engine.ntd(prompt, 1000000);
    const auto counts = oracle.next_counts(prompt);
    ASSERT_EQ(ntd.result_by_token_id.size(), counts.size());
    for (const auto& [id, c] : counts) ASSERT_EQ(ntd.result_by_token_id.at(id).cont_cnt, c);
  }
  // Scoring a chapter that is in the index and one mixing in unseen text.
  std::vector<std::uint32_t> seq(doc.begin(), doc.begin() + 200);
  for (const unsigned char c : std::string(" and the Zorblax said unto Moses")) seq.push_back(c);
  const auto scores = engine.score(seq);
  for (std::size_t i = 0; i < seq.size(); i += 7) {
    const std::vector<std::uint32_t> context(seq.begin(), seq.begin() + static_cast<std::ptrdiff_t>(i));
    const auto want = oracle.infgram_prob(context, seq[i]);
    ASSERT_EQ(scores[i].suffix_len, want.suffix_len) << i;
    ASSERT_EQ(scores[i].cont_cnt, want.prob.cont_cnt) << i;
    ASSERT_EQ(scores[i].prompt_cnt, want.prob.prompt_cnt) << i;
  }
}

}  // namespace
}  // namespace lmkit::ngram::testing
