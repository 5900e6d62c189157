// ∞-gram queries over an Infini-gram index: find, count, n-gram and ∞-gram probabilities, next-token
// distributions, sequence scoring, documents and CNF (AND of ORs) queries, over one or many shards.
//
// Semantics follow Infini-gram's engine (liujch1998/infini-gram); where it is ambiguous or lossy we
// say what we do instead (see docs/query-api.md):
//   - counts are numbers of occurrences in the token array, summed over shards; the empty query
//     counts every position of the token array, document separators included (Infini-gram's tok_cnt);
//   - a continuation at a document's end (the separator, or the end of a shard) is the tokenizer's
//     EOS, in ntd and in prob alike; without an EOS it is reported as the separator id;
//   - an unseen prompt has no probability: `prob` is nullopt, never a number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace lmkit::ngram {

// Raw views of one shard's files in the Infini-gram layout. The engine does not own the bytes; the
// owner (an index::Index, or a test) outlives the engine.
struct ShardFiles {
  std::span<const std::uint8_t> tokens;    // tokenized.S: [0xFF.. separator, doc tokens]*, little-endian
  std::span<const std::uint8_t> table;     // table.S: pointer_width-byte byte offsets into tokens
  std::span<const std::uint8_t> offsets;   // offset.S: u64 byte offset of each document's separator
  std::span<const std::uint8_t> metadata;  // metadata.S: a JSON line per document (may be empty)
  std::span<const std::uint8_t> metaoff;   // metaoff.S: u64 offset of each document's metadata line
  unsigned pointer_width = 0;              // bytes per suffix-array entry (1..8)
  std::string name;                        // for error messages (e.g. the shard's directory and number)
};

struct EngineConfig {
  unsigned token_width = 2;             // bytes per token: 1, 2 or 4
  std::optional<std::uint32_t> eos_id;  // the tokenizer's EOS; document ends are reported as it
};

using TokenIds = std::vector<std::uint32_t>;

// A half-open range of suffix-array ranks in one shard.
struct SaRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t size() const { return end - begin; }
  bool operator==(const SaRange&) const = default;
};

struct FindResult {
  std::uint64_t count = 0;
  std::vector<SaRange> segment_by_shard;
};

struct ProbResult {
  std::uint64_t prompt_cnt = 0;
  std::uint64_t cont_cnt = 0;
  std::optional<double> prob;  // cont_cnt / prompt_cnt; nullopt when the prompt never occurs
};

struct NtdEntry {
  std::uint64_t cont_cnt = 0;
  double prob = 0;
};

struct NtdResult {
  std::uint64_t prompt_cnt = 0;
  std::map<std::uint32_t, NtdEntry> result_by_token_id;
  bool approx = false;  // counts estimated by strided sampling (prompt_cnt > max_support)
};

struct InfgramProbResult {
  ProbResult prob;
  std::size_t suffix_len = 0;  // prompt tokens used: the longest suffix that occurs (effective n - 1)
};

struct InfgramNtdResult {
  NtdResult ntd;
  std::size_t suffix_len = 0;
};

// P∞ of one token of a scored sequence given all tokens before it.
struct TokenScore {
  double prob = 0;  // cont_cnt / prompt_cnt; 0 when the token never follows the matched suffix
  std::uint64_t prompt_cnt = 0;
  std::uint64_t cont_cnt = 0;
  std::size_t suffix_len = 0;
};

struct DocResult {
  std::uint64_t doc_ix = 0;         // over all shards, in shard order
  std::uint64_t doc_len = 0;        // tokens in the document (separator excluded)
  std::uint64_t disp_len = 0;       // tokens in token_ids
  std::uint64_t needle_offset = 0;  // position of the match in token_ids (0 for get_doc_by_ix)
  std::size_t shard = 0;
  std::string metadata;  // the document's metadata line without its newline ("" when none)
  TokenIds token_ids;
};

struct SearchDocsResult {
  std::uint64_t cnt = 0;
  bool approx = false;
  std::vector<std::uint64_t> idxs;  // which of the cnt matches each document shows
  std::vector<DocResult> docs;
};

// An AND of OR-clauses of n-grams: cnf[clause][term] is a token sequence.
using Cnf = std::vector<std::vector<TokenIds>>;

struct CnfOptions {
  std::uint64_t max_clause_freq = 50000;  // clauses occurring more often are subsampled (approx)
  std::uint64_t max_diff_tokens = 100;    // proximity: every clause within this many tokens of the anchor
};

// A CNF match is an occurrence of a term of the anchor clause (the clause with the fewest
// occurrences; the earliest on ties) such that every other clause has a term starting within
// max_diff_tokens tokens of it in the same document.
struct CnfResult {
  std::uint64_t cnt = 0;  // matches (an estimate when approx)
  bool approx = false;
  std::vector<std::vector<std::uint64_t>> ptrs_by_shard;  // byte offsets of the matched anchors
};

class Engine {
 public:
  // Checks the shards against the layout (sizes, widths) and throws Error naming the shard at fault.
  Engine(std::vector<ShardFiles> shards, EngineConfig config);
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  unsigned token_width() const { return config_.token_width; }
  std::uint32_t separator_id() const;   // the all-0xFF token value
  std::uint32_t end_of_doc_id() const;  // what a document end is reported as: eos, else separator
  std::optional<std::uint32_t> eos_id() const { return config_.eos_id; }
  std::size_t shard_count() const;
  std::uint64_t token_count() const;  // over all shards, separators included
  std::uint64_t token_count(std::size_t shard) const;
  std::uint64_t doc_count() const;

  // Throws Error ("<what>: token id N at position P ...") for the separator id or an id that does
  // not fit the token width. Every query below validates its ids this way.
  void check_ids(std::span<const std::uint32_t> ids, const char* what) const;

  FindResult find(std::span<const std::uint32_t> ids) const;
  std::uint64_t count(std::span<const std::uint32_t> ids) const;
  ProbResult prob(std::span<const std::uint32_t> prompt, std::uint32_t cont) const;
  // Exact when prompt_cnt <= max_support or `exact`; otherwise strided sampling, approx = true.
  NtdResult ntd(std::span<const std::uint32_t> prompt, std::uint64_t max_support, bool exact = false) const;
  InfgramProbResult infgram_prob(std::span<const std::uint32_t> prompt, std::uint32_t cont) const;
  InfgramNtdResult infgram_ntd(std::span<const std::uint32_t> prompt, std::uint64_t max_support,
                               bool exact = false) const;
  // P∞(tokens[i] | tokens[0..i)) for every i, in O(log N) per token amortized: token i+1's matched
  // suffix is at most one token longer than token i's, and is found by narrowing token i's range.
  std::vector<TokenScore> score(std::span<const std::uint32_t> tokens) const;

  // Up to maxnum of the matches, evenly spaced over all of them (deterministic), with a window of
  // at most max_disp_len tokens of the containing document around each.
  SearchDocsResult search_docs(std::span<const std::uint32_t> ids, std::size_t maxnum,
                               std::uint64_t max_disp_len) const;
  DocResult get_doc_by_rank(std::size_t shard, std::uint64_t rank, std::uint64_t max_disp_len) const;
  DocResult get_doc_by_ix(std::uint64_t doc_ix, std::uint64_t max_disp_len) const;
  // The document holding byte offset `ptr` of shard `shard`'s token array (a find_cnf pointer,
  // Infini-gram's get_doc_by_ptr), with the window around it as for get_doc_by_rank. Error when the
  // shard does not exist or ptr is not a token position of it.
  DocResult get_doc_by_ptr(std::size_t shard, std::uint64_t ptr, std::uint64_t max_disp_len) const;

  CnfResult find_cnf(const Cnf& cnf, const CnfOptions& options) const;
  std::uint64_t count_cnf(const Cnf& cnf, const CnfOptions& options, bool* approx = nullptr) const;
  SearchDocsResult search_docs_cnf(const Cnf& cnf, const CnfOptions& options, std::size_t maxnum,
                                   std::uint64_t max_disp_len) const;

  // One implementation per token width (shard_search.hpp); defined in engine.cpp.
  template <typename T>
  class Core;

 private:
  EngineConfig config_;
  std::variant<std::unique_ptr<Core<std::uint8_t>>, std::unique_ptr<Core<std::uint16_t>>,
               std::unique_ptr<Core<std::uint32_t>>>
      core_;
};

}  // namespace lmkit::ngram
