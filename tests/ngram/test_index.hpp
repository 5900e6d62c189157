// Test support for the query engine: a naive writer of the Infini-gram shard layout (independent of
// the real index builder) and a brute-force oracle that answers every query by scanning the token
// arrays.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lmkit/ngram/engine.hpp"
#include "lmkit/util/mapped_file.hpp"

namespace lmkit::ngram::testing {

struct TestDoc {
  std::vector<std::uint32_t> tokens;
  std::string metadata;  // one JSON line (without newline), or "" for no metadata files
};
using TestShard = std::vector<TestDoc>;

// Writes tokenized.S, table.S, offset.S (and metadata.S, metaoff.S when any document has metadata)
// for every shard S into `dir`, which must exist. The suffix array is sorted with std::sort over
// memcmp, the slow obvious way.
void write_test_index(const std::string& dir, const std::vector<TestShard>& shards, unsigned token_width,
                      unsigned pointer_width);

// The shard files of `dir` mapped, and an Engine over them.
struct TestIndex {
  std::vector<MappedFile> files;
  std::unique_ptr<Engine> engine;
};
std::unique_ptr<TestIndex> open_test_index(const std::string& dir, std::size_t n_shards, EngineConfig config);

// A temporary directory removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Brute force over the token arrays (separators included, as the value `separator`).
class Oracle {
 public:
  Oracle(const std::vector<TestShard>& shards, unsigned token_width, std::optional<std::uint32_t> eos);

  std::uint32_t separator() const { return separator_; }
  std::uint32_t end_id() const { return eos_.value_or(separator_); }
  const std::vector<std::vector<std::uint32_t>>& arrays() const { return arrays_; }

  // Positions (shard, token index) where `pattern` occurs; the empty pattern occurs everywhere.
  std::vector<std::pair<std::size_t, std::uint64_t>> occurrences(
      const std::vector<std::uint32_t>& pattern) const;
  std::uint64_t count(const std::vector<std::uint32_t>& pattern) const { return occurrences(pattern).size(); }
  // Exact next-token counts, a document end counted as end_id().
  std::map<std::uint32_t, std::uint64_t> next_counts(const std::vector<std::uint32_t>& prompt) const;
  ProbResult prob(const std::vector<std::uint32_t>& prompt, std::uint32_t cont) const;
  std::size_t suffix_len(const std::vector<std::uint32_t>& prompt) const;  // longest occurring suffix
  InfgramProbResult infgram_prob(const std::vector<std::uint32_t>& prompt, std::uint32_t cont) const;

  // Document (global index) and its tokens.
  std::uint64_t doc_count() const { return docs_.size(); }
  const std::vector<std::uint32_t>& doc(std::uint64_t ix) const { return docs_[ix].tokens; }
  const std::string& doc_metadata(std::uint64_t ix) const { return docs_[ix].metadata; }
  // The document containing (shard, token position) and the token offset within it (the
  // separator position maps to offset 0).
  std::pair<std::uint64_t, std::uint64_t> locate(std::size_t shard, std::uint64_t position) const;

  std::uint64_t cnf_count(const Cnf& cnf, std::uint64_t max_diff_tokens) const;

 private:
  std::vector<std::vector<std::uint32_t>> arrays_;
  std::vector<std::vector<std::uint64_t>> doc_starts_;  // per shard: separator positions
  std::vector<std::uint64_t> doc_base_;
  std::vector<TestDoc> docs_;
  std::uint32_t separator_;
  std::optional<std::uint32_t> eos_;
};

}  // namespace lmkit::ngram::testing
