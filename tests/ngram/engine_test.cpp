// Every query of the engine against the brute-force oracle, on generated corpora with 1-, 2- and
// 4-byte tokens, one and several shards, matches at document boundaries and at shard ends.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "lmkit/util/error.hpp"
#include "test_index.hpp"

namespace lmkit::ngram::testing {
namespace {

struct Config {
  unsigned token_width;
  unsigned pointer_width;
  std::size_t n_shards;
  bool with_eos;
  std::string name;
  // Many more documents: suffix-array ranges of hundreds of ranks, so that every search takes several
  // rounds of pivots and the two ends of a range are searched apart.
  bool large = false;
};

// Token values chosen to exercise byte order: with 2-byte tokens 0x01FF sorts after 0x0200 in
// little-endian byte order, and the largest ids sit right below the separator.
std::vector<std::uint32_t> vocabulary(unsigned width) {
  switch (width) {
    case 1:
      return {0, 1, 2, 0x7F, 0xFE};
    case 2:
      return {0, 1, 0x01FF, 0x0200, 0xFF00, 0xFFFE};
    default:
      return {0, 1, 0x00FF0000, 0x01000000, 0xFFFFFF00, 0xFFFFFFFE};
  }
}

class EngineTest : public ::testing::TestWithParam<Config> {
 protected:
  void SetUp() override {
    const auto& c = GetParam();
    vocab_ = vocabulary(c.token_width);
    if (c.with_eos) eos_ = vocab_[1];
    std::mt19937 rng(1234 + c.token_width * 10 + c.n_shards);
    // Few distinct tokens so that n-grams repeat; documents of length 0 to 12, so matches touch
    // document starts, ends and the ends of shards. Some documents hold the EOS as a token.
    for (std::size_t s = 0; s < c.n_shards; ++s) {
      TestShard shard;
      const std::size_t n_docs = c.large ? 120 : 3 + rng() % 6;
      for (std::size_t d = 0; d < n_docs; ++d) {
        TestDoc doc;
        const std::size_t len = rng() % (c.large ? 25 : 13);
        for (std::size_t i = 0; i < len; ++i)
          doc.tokens.push_back(vocab_[rng() % 3 == 0 ? 0 : rng() % vocab_.size()]);
        doc.metadata = "{\"shard\": " + std::to_string(s) + ", \"doc\": " + std::to_string(d) + "}";
        shard.push_back(doc);
      }
      shards_.push_back(shard);
    }
    write_test_index(dir_.path(), shards_, c.token_width, c.pointer_width);
    index_ = open_test_index(dir_.path(), c.n_shards, {c.token_width, eos_});
    oracle_ = std::make_unique<Oracle>(shards_, c.token_width, eos_);
  }

  const Engine& engine() const { return *index_->engine; }

  // Queries: every n-gram of the corpus up to length 5, and random sequences over the vocabulary.
  std::vector<std::vector<std::uint32_t>> queries(std::size_t max_len = 5) const {
    std::set<std::vector<std::uint32_t>> out;
    out.insert({});
    for (const auto& shard : shards_)
      for (const auto& doc : shard)
        for (std::size_t i = 0; i < doc.tokens.size(); ++i)
          for (std::size_t n = 1; n <= max_len && i + n <= doc.tokens.size(); ++n)
            out.insert({doc.tokens.begin() + static_cast<std::ptrdiff_t>(i),
                        doc.tokens.begin() + static_cast<std::ptrdiff_t>(i + n)});
    std::mt19937 rng(99);
    for (int q = 0; q < 60; ++q) {
      std::vector<std::uint32_t> ids(1 + rng() % 6);
      for (auto& id : ids) id = vocab_[rng() % vocab_.size()];
      out.insert(ids);
    }
    return {out.begin(), out.end()};
  }

  std::vector<std::uint32_t> continuations() const {
    auto conts = vocab_;
    if (!eos_) conts.push_back(oracle_->separator());  // the document end, without an EOS
    return conts;
  }

  TempDir dir_;
  std::vector<std::uint32_t> vocab_;
  std::optional<std::uint32_t> eos_;
  std::vector<TestShard> shards_;
  std::unique_ptr<TestIndex> index_;
  std::unique_ptr<Oracle> oracle_;
};

TEST_P(EngineTest, CountAndFindMatchTheScan) {
  std::uint64_t total = 0;
  for (const auto& a : oracle_->arrays()) total += a.size();
  EXPECT_EQ(engine().token_count(), total);
  EXPECT_EQ(engine().count({}), total);
  for (const auto& q : queries()) {
    const auto found = engine().find(q);
    ASSERT_EQ(found.count, oracle_->count(q)) << "query of length " << q.size();
    ASSERT_EQ(found.segment_by_shard.size(), GetParam().n_shards);
    std::uint64_t sum = 0;
    for (std::size_t s = 0; s < found.segment_by_shard.size(); ++s) {
      const auto r = found.segment_by_shard[s];
      sum += r.size();
      // Every rank in the range is an occurrence, in its shard.
      for (std::uint64_t rank = r.begin; rank < r.end; ++rank) {
        const auto doc = engine().get_doc_by_rank(s, rank, 2 * q.size() + 2);
        ASSERT_GE(doc.disp_len, doc.needle_offset + q.size());
        ASSERT_TRUE(std::equal(q.begin(), q.end(),
                               doc.token_ids.begin() + static_cast<std::ptrdiff_t>(doc.needle_offset)));
      }
    }
    EXPECT_EQ(sum, found.count);
  }
}

TEST_P(EngineTest, ProbMatchesTheScan) {
  for (const auto& q : queries(4)) {
    for (const auto cont : continuations()) {
      const auto got = engine().prob(q, cont);
      const auto want = oracle_->prob(q, cont);
      ASSERT_EQ(got.prompt_cnt, want.prompt_cnt);
      ASSERT_EQ(got.cont_cnt, want.cont_cnt) << "cont " << cont << " after " << q.size() << " tokens";
      ASSERT_EQ(got.prob.has_value(), want.prob.has_value());
      if (got.prob) {
        ASSERT_DOUBLE_EQ(*got.prob, *want.prob);
      }
    }
  }
}

TEST_P(EngineTest, ExactNtdMatchesTheScan) {
  for (const auto& q : queries(4)) {
    const auto got = engine().ntd(q, engine().token_count());  // max_support above any count: exact
    const auto want = oracle_->next_counts(q);
    ASSERT_FALSE(got.approx);
    ASSERT_EQ(got.prompt_cnt, oracle_->count(q));
    ASSERT_EQ(got.result_by_token_id.size(), want.size());
    for (const auto& [id, n] : want) {
      ASSERT_TRUE(got.result_by_token_id.contains(id)) << id;
      ASSERT_EQ(got.result_by_token_id.at(id).cont_cnt, n);
      ASSERT_DOUBLE_EQ(got.result_by_token_id.at(id).prob, static_cast<double>(n) / got.prompt_cnt);
    }
    // `exact` forces the full distribution however small max_support is.
    const auto forced = engine().ntd(q, 1, true);
    ASSERT_FALSE(forced.approx);
    ASSERT_EQ(forced.result_by_token_id.size(), want.size());
  }
}

TEST_P(EngineTest, SampledNtdIsMarkedAndKeepsTheTotal) {
  const auto got = engine().ntd({}, 4);  // every position: far more than 4
  EXPECT_TRUE(got.approx);
  EXPECT_EQ(got.prompt_cnt, engine().token_count());
  std::uint64_t sum = 0;
  for (const auto& [id, e] : got.result_by_token_id) {
    sum += e.cont_cnt;
    EXPECT_TRUE(oracle_->next_counts({}).contains(id)) << "sampled a token that never occurs: " << id;
  }
  EXPECT_EQ(sum, got.prompt_cnt);
}

TEST_P(EngineTest, InfgramMatchesTheScan) {
  std::mt19937 rng(7);
  for (const auto& q : queries(3)) {
    // Prompts: a random prefix (often unseen) followed by a corpus n-gram.
    std::vector<std::uint32_t> prompt;
    for (std::size_t i = rng() % 4; i > 0; --i) prompt.push_back(vocab_[rng() % vocab_.size()]);
    prompt.insert(prompt.end(), q.begin(), q.end());
    for (const auto cont : continuations()) {
      const auto got = engine().infgram_prob(prompt, cont);
      const auto want = oracle_->infgram_prob(prompt, cont);
      ASSERT_EQ(got.suffix_len, want.suffix_len);
      ASSERT_EQ(got.prob.prompt_cnt, want.prob.prompt_cnt);
      ASSERT_EQ(got.prob.cont_cnt, want.prob.cont_cnt);
    }
    const auto ntd = engine().infgram_ntd(prompt, 1000);
    const std::size_t len = oracle_->suffix_len(prompt);
    ASSERT_EQ(ntd.suffix_len, len);
    const std::vector<std::uint32_t> suffix(prompt.end() - static_cast<std::ptrdiff_t>(len), prompt.end());
    const auto want = oracle_->next_counts(suffix);
    ASSERT_EQ(ntd.ntd.result_by_token_id.size(), want.size());
    for (const auto& [id, n] : want) ASSERT_EQ(ntd.ntd.result_by_token_id.at(id).cont_cnt, n);
  }
}

TEST_P(EngineTest, ScoringEqualsInfgramProbAtEveryToken) {
  std::mt19937 rng(11);
  std::vector<std::vector<std::uint32_t>> sequences;
  for (const auto& shard : shards_)
    for (const auto& doc : shard) sequences.push_back(doc.tokens);  // seen: long matched suffixes
  for (int i = 0; i < 10; ++i) {
    std::vector<std::uint32_t> seq(5 + rng() % 30);
    for (auto& id : seq) id = vocab_[rng() % vocab_.size()];
    sequences.push_back(seq);
  }
  for (const auto& seq : sequences) {
    const auto scores = engine().score(seq);
    ASSERT_EQ(scores.size(), seq.size());
    for (std::size_t i = 0; i < seq.size(); ++i) {
      const std::vector<std::uint32_t> context(seq.begin(), seq.begin() + static_cast<std::ptrdiff_t>(i));
      const auto want = oracle_->infgram_prob(context, seq[i]);
      ASSERT_EQ(scores[i].suffix_len, want.suffix_len) << "token " << i;
      ASSERT_EQ(scores[i].prompt_cnt, want.prob.prompt_cnt) << "token " << i;
      ASSERT_EQ(scores[i].cont_cnt, want.prob.cont_cnt) << "token " << i;
      ASSERT_DOUBLE_EQ(scores[i].prob, want.prob.prob.value_or(0.0));
    }
  }
}

TEST_P(EngineTest, DocumentsMatchTheScan) {
  ASSERT_EQ(engine().doc_count(), oracle_->doc_count());
  for (std::uint64_t d = 0; d < oracle_->doc_count(); ++d) {
    const auto doc = engine().get_doc_by_ix(d, 1000);
    EXPECT_EQ(doc.doc_ix, d);
    EXPECT_EQ(doc.token_ids, oracle_->doc(d));
    EXPECT_EQ(doc.doc_len, oracle_->doc(d).size());
    EXPECT_EQ(doc.metadata, oracle_->doc_metadata(d));
    const auto cut = engine().get_doc_by_ix(d, 3);
    EXPECT_EQ(cut.disp_len, std::min<std::uint64_t>(3, oracle_->doc(d).size()));
  }
  // Every rank of every shard shows its own position: the ranks are a permutation of the positions.
  // A separator's rank shows the start of its document, as does the document's first token.
  std::map<std::pair<std::uint64_t, std::uint64_t>, int> shown, want;
  for (std::uint64_t d = 0; d < oracle_->doc_count(); ++d) {
    want[{d, 0}] += 1;
    for (std::uint64_t i = 0; i < oracle_->doc(d).size(); ++i) want[{d, i}] += 1;
  }
  for (std::size_t s = 0; s < GetParam().n_shards; ++s) {
    for (std::uint64_t rank = 0; rank < engine().token_count(s); ++rank) {
      const auto doc = engine().get_doc_by_rank(s, rank, 1000);
      ASSERT_EQ(doc.token_ids, oracle_->doc(doc.doc_ix));
      ASSERT_EQ(doc.shard, s);
      shown[{doc.doc_ix, doc.needle_offset}] += 1;
      // A short window is the slice around the match.
      const auto cut = engine().get_doc_by_rank(s, rank, 3);
      const auto& full = oracle_->doc(doc.doc_ix);
      const std::uint64_t first = doc.needle_offset - cut.needle_offset;
      ASSERT_LE(cut.disp_len, 3u);
      ASSERT_TRUE(std::equal(cut.token_ids.begin(), cut.token_ids.end(),
                             full.begin() + static_cast<std::ptrdiff_t>(first)));
    }
  }
  EXPECT_EQ(shown, want);
}

TEST_P(EngineTest, SearchDocsShowsEvenlySpacedMatches) {
  for (const auto& q : queries(3)) {
    if (q.empty()) continue;
    const auto occ = oracle_->occurrences(q);
    // A window wide enough for the match, however long the document.
    const auto got = engine().search_docs(q, 5, 2 * q.size() + 2);
    ASSERT_EQ(got.cnt, occ.size());
    const std::size_t shown = std::min<std::size_t>(5, occ.size());
    ASSERT_EQ(got.docs.size(), shown);
    std::set<std::uint64_t> idxs(got.idxs.begin(), got.idxs.end());
    ASSERT_EQ(idxs.size(), shown);
    for (std::size_t j = 0; j < shown; ++j) {
      ASSERT_EQ(got.idxs[j], j * occ.size() / shown);
      const auto& doc = got.docs[j];
      ASSERT_TRUE(std::equal(q.begin(), q.end(),
                             doc.token_ids.begin() + static_cast<std::ptrdiff_t>(doc.needle_offset)))
          << ::testing::PrintToString(q) << " in " << ::testing::PrintToString(doc.token_ids);
      EXPECT_EQ(doc.metadata, oracle_->doc_metadata(doc.doc_ix));
    }
  }
}

TEST_P(EngineTest, CnfMatchesTheScan) {
  std::mt19937 rng(5);
  const CnfOptions options{1000000, 3};
  for (int i = 0; i < 40; ++i) {
    Cnf cnf;
    const std::size_t n_clauses = 1 + rng() % 3;
    for (std::size_t c = 0; c < n_clauses; ++c) {
      std::vector<TokenIds> clause;
      for (std::size_t t = 1 + rng() % 2; t > 0; --t) {
        TokenIds term(1 + rng() % 2);
        for (auto& id : term) id = vocab_[rng() % vocab_.size()];
        clause.push_back(term);
      }
      cnf.push_back(clause);
    }
    const auto got = engine().find_cnf(cnf, options);
    ASSERT_FALSE(got.approx);
    ASSERT_EQ(got.cnt, oracle_->cnf_count(cnf, options.max_diff_tokens)) << "CNF query " << i;
    bool approx = true;
    ASSERT_EQ(engine().count_cnf(cnf, options, &approx), got.cnt);
    ASSERT_FALSE(approx);
    const auto docs = engine().search_docs_cnf(cnf, options, 3, 8);
    ASSERT_EQ(docs.docs.size(), std::min<std::uint64_t>(3, got.cnt));
    // Each pointer is a byte offset where a term of some clause starts: get_doc_by_ptr shows it there.
    for (std::size_t s = 0; s < got.ptrs_by_shard.size(); ++s) {
      for (const std::uint64_t ptr : got.ptrs_by_shard[s]) {
        const auto doc = engine().get_doc_by_ptr(s, ptr, 1000);
        ASSERT_EQ(doc.token_ids, oracle_->doc(doc.doc_ix));
        ASSERT_EQ(doc.shard, s);
        const bool term_here = std::any_of(cnf.begin(), cnf.end(), [&](const auto& clause) {
          return std::any_of(clause.begin(), clause.end(), [&](const TokenIds& term) {
            return doc.needle_offset + term.size() <= doc.token_ids.size() &&
                   std::equal(term.begin(), term.end(),
                              doc.token_ids.begin() + static_cast<std::ptrdiff_t>(doc.needle_offset));
          });
        });
        ASSERT_TRUE(term_here) << "CNF query " << i << " ptr " << ptr;
      }
    }
  }
  // A frequent clause is subsampled and the count marked approximate.
  const Cnf frequent = {{{vocab_[0]}}, {{vocab_[0]}}};
  const auto sampled = engine().find_cnf(frequent, {2, 5});
  EXPECT_TRUE(sampled.approx);
  EXPECT_GT(sampled.cnt, 0u);
}

TEST_P(EngineTest, BadIdsAreRejectedByName) {
  const std::uint32_t sep = oracle_->separator();
  const std::vector<std::uint32_t> with_sep = {vocab_[0], sep};
  try {
    engine().count(with_sep);
    FAIL() << "the separator id was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("separator"), std::string::npos) << e.what();
  }
  if (GetParam().token_width < 4) {
    const std::vector<std::uint32_t> too_big = {sep + 1};
    EXPECT_THROW(engine().count(too_big), Error);
  }
  EXPECT_THROW(engine().get_doc_by_ix(oracle_->doc_count(), 10), Error);
  EXPECT_THROW(engine().get_doc_by_rank(0, engine().token_count(0), 10), Error);
  EXPECT_THROW(engine().get_doc_by_rank(GetParam().n_shards, 0, 10), Error);
  const std::uint64_t shard_bytes = engine().token_count(0) * GetParam().token_width;
  EXPECT_THROW(engine().get_doc_by_ptr(0, shard_bytes, 10), Error);
  if (GetParam().token_width > 1) {
    EXPECT_THROW(engine().get_doc_by_ptr(0, 1, 10), Error);
  }
  EXPECT_THROW(engine().get_doc_by_ptr(GetParam().n_shards, 0, 10), Error);
  EXPECT_THROW(engine().find_cnf({}, {}), Error);
  EXPECT_THROW(engine().find_cnf({{}}, {}), Error);
  EXPECT_THROW(engine().ntd(with_sep, 10), Error);
}

INSTANTIATE_TEST_SUITE_P(Layouts, EngineTest,
                         ::testing::Values(Config{1, 4, 1, false, "u8_one_shard"},
                                           Config{1, 2, 3, false, "u8_three_shards_ptr2"},
                                           Config{2, 4, 1, true, "u16_one_shard_eos"},
                                           Config{2, 5, 3, true, "u16_three_shards_ptr5"},
                                           Config{2, 4, 2, false, "u16_two_shards_no_eos"},
                                           Config{4, 8, 1, true, "u32_one_shard_ptr8"},
                                           Config{4, 4, 3, false, "u32_three_shards"},
                                           Config{1, 4, 1, false, "u8_large", true},
                                           Config{2, 4, 2, true, "u16_two_large_shards_eos", true}),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace lmkit::ngram::testing
