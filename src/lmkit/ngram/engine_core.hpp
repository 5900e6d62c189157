// The engine for one token width (internal to the ngram module). Engine holds one Core<T> and
// forwards every query to it; the query methods are defined in engine.cpp, documents.cpp and cnf.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "lmkit/ngram/engine.hpp"
#include "lmkit/ngram/shard_search.hpp"

namespace lmkit::ngram {

template <typename T>
class Engine::Core {
 public:
  using Shard = detail::ShardSearch<T>;
  static constexpr std::size_t W = sizeof(T);

  Core(const std::vector<ShardFiles>& files, EngineConfig config);

  std::size_t shard_count() const { return shards_.size(); }
  const Shard& shard(std::size_t s) const { return shards_[s]; }
  std::uint64_t token_count() const { return token_count_; }
  std::uint64_t doc_count() const { return doc_base_.back(); }
  std::uint32_t end_of_doc_id() const { return config_.eos_id.value_or(Shard::separator); }

  // Queries; ids are validated by Engine before they get here.
  FindResult find(std::span<const std::uint32_t> ids) const;
  ProbResult prob(std::span<const std::uint32_t> prompt, std::uint32_t cont) const;
  NtdResult ntd(std::span<const std::uint32_t> prompt, std::uint64_t max_support, bool exact) const;
  InfgramProbResult infgram_prob(std::span<const std::uint32_t> prompt, std::uint32_t cont) const;
  InfgramNtdResult infgram_ntd(std::span<const std::uint32_t> prompt, std::uint64_t max_support,
                               bool exact) const;
  std::vector<TokenScore> score(std::span<const std::uint32_t> tokens) const;

  SearchDocsResult search_docs(std::span<const std::uint32_t> ids, std::size_t maxnum,
                               std::uint64_t max_disp_len) const;
  DocResult get_doc_by_rank(std::size_t s, std::uint64_t rank, std::uint64_t max_disp_len) const;
  DocResult get_doc_by_ix(std::uint64_t doc_ix, std::uint64_t max_disp_len) const;
  DocResult get_doc_by_ptr(std::size_t s, std::uint64_t ptr, std::uint64_t max_disp_len) const;

  CnfResult find_cnf(const Cnf& cnf, const CnfOptions& options) const;
  SearchDocsResult search_docs_cnf(const Cnf& cnf, const CnfOptions& options, std::size_t maxnum,
                                   std::uint64_t max_disp_len) const;

  static std::vector<T> to_tokens(std::span<const std::uint32_t> ids) {
    return std::vector<T>(ids.begin(), ids.end());
  }
  static const std::uint8_t* bytes(const T* tokens) { return reinterpret_cast<const std::uint8_t*>(tokens); }

  // The ranges of `pattern` (n bytes) in every shard, searched within `within` (all when empty)
  // whose suffixes agree with it on `from` bytes; returns the total count.
  std::uint64_t find_all(const std::uint8_t* pattern, std::size_t n, std::vector<SaRange>& ranges,
                         const std::vector<SaRange>* within = nullptr, std::size_t from = 0) const;
  // Occurrences of prompt + cont given the prompt's ranges (pattern = prompt bytes then cont's);
  // a document end counts as end_of_doc_id(). cont_ranges gets the ranges of the token itself.
  std::uint64_t cont_count(const std::vector<SaRange>& prompt_ranges, const std::uint8_t* pattern,
                           std::size_t prompt_bytes, std::uint32_t cont,
                           std::vector<SaRange>& cont_ranges) const;
  // The longest suffix of `prompt` that occurs: its length, and its ranges in `ranges`.
  std::size_t longest_occurring_suffix(const std::vector<T>& prompt, std::vector<SaRange>& ranges) const;
  NtdResult ntd_in(const std::vector<SaRange>& prompt_ranges, std::size_t prompt_bytes,
                   std::uint64_t max_support, bool exact) const;

 private:
  std::vector<Shard> shards_;
  EngineConfig config_;
  std::uint64_t token_count_ = 0;
  std::vector<std::uint64_t> doc_base_;  // doc_base_[s]: documents in shards before s; back(): all
};

}  // namespace lmkit::ngram
