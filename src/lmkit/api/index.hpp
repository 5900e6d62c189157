// An ∞-gram index for front-ends: one or several index directories opened as one engine (Infini-gram's
// `index_dir` list), their tokenizer, the JSON query service, and building an index from corpus
// files, texts or token ids.
//
//   auto index = lmkit::api::Index::open("data/demo/index");
//   index->count(index->tokenize("in the beginning"));                 // 12
//   index->query(lmkit::Json{{"query_type", "count"}, {"query", "in the beginning"}});
//
// An Index is immutable once open: any number of threads query it at once.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lmkit/index/builder.hpp"
#include "lmkit/index/index.hpp"
#include "lmkit/ngram/engine.hpp"
#include "lmkit/ngram/query_api.hpp"
#include "lmkit/text/corpus.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::api {

struct IndexOptions {
  // One or more index directories; their shards form one corpus, in this order (document indices
  // count through the first directory's documents, then the second's, ...).
  std::vector<std::string> dirs;
  std::string tokenizer;                      // overrides the manifests' tokenizer spec
  std::optional<std::uint32_t> eos_token_id;  // overrides the manifests' EOS id
  ngram::QueryLimits limits;                  // what one JSON request may ask for
};

class Index : public std::enable_shared_from_this<Index> {
 public:
  // Opens every directory. Error when a directory is not an index, when they disagree on token width,
  // tokenizer or EOS id (unless overridden), or when their tokenizer cannot be loaded.
  static std::shared_ptr<const Index> open(const IndexOptions& options);
  static std::shared_ptr<const Index> open(const std::string& dir);

  const ngram::Engine& engine() const { return *engine_; }
  // The engine, sharing ownership of this Index (for LanguageModels that keep it).
  std::shared_ptr<const ngram::Engine> shared_engine() const;
  const std::vector<index::Index>& directories() const { return parts_; }
  // Null when no tokenizer is known (an Infini-gram index opened without one): queries take ids only.
  const text::Tokenizer* tokenizer() const { return tokenizer_.get(); }
  const std::string& tokenizer_spec() const { return tokenizer_spec_; }
  // Largest usable token id + 1 (the largest of the directories').
  std::uint64_t vocab_size() const { return vocab_size_; }
  std::uint64_t token_count() const { return engine_->token_count(); }
  std::uint64_t document_count() const { return engine_->doc_count(); }

  // Text → ids with the index's tokenizer; Error when it has none.
  std::vector<std::uint32_t> tokenize(std::string_view text) const;
  // A token for people: its piece quoted (bytes that split a UTF-8 character as \xNN), or #id.
  std::string show_token(std::uint32_t id) const;
  std::string show_tokens(std::span<const std::uint32_t> ids) const;

  // Typed queries (ids checked against the index: Error naming the position of a bad id).
  std::uint64_t count(std::span<const std::uint32_t> ids) const { return engine_->count(ids); }
  ngram::NtdResult ntd(std::span<const std::uint32_t> prompt, std::uint64_t max_support) const {
    return engine_->ntd(prompt, max_support);
  }
  std::vector<ngram::TokenScore> score(std::span<const std::uint32_t> tokens) const {
    return engine_->score(tokens);
  }

  // The JSON service (docs/query-api.md): answer() throws Error for a bad request; answer_line()
  // never throws (every reply is valid JSON); serve() answers one request per line.
  const ngram::QueryService& service() const { return *service_; }
  Json query(const Json& request) const { return service_->answer(request); }

 private:
  Index() = default;

  std::vector<index::Index> parts_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::string tokenizer_spec_;
  std::uint64_t vocab_size_ = 0;
  std::unique_ptr<ngram::Engine> engine_;
  std::unique_ptr<ngram::QueryService> service_;
};

// Building an index. The output directory appears whole or not at all (util/atomic_file.hpp); it
// carries a copy of its tokenizer's files (tokenizer/), so it opens from any working directory and
// after being moved.
struct BuildIndexOptions {
  std::string out;
  std::string tokenizer;         // a tokenizer spec (text/tokenizer.hpp); "" only for build from ids
  std::uint32_t vocab_size = 0;  // build from ids without a tokenizer: ids must be below it
  std::optional<std::uint32_t> eos_token_id;  // build from ids without a tokenizer
  std::uint64_t max_shard_tokens = 0;         // token positions per shard (0: no limit)
  double mem_gib = 0;                         // memory budget for a shard (0: the default policy)
  int token_width = 0;                        // bytes per token (0: the smallest the vocabulary fits)
  bool metadata = true;                       // write metadata.S / metaoff.S (each document's source)
  Json build_info = Json::object();           // recorded under the manifest's "build"
};

struct BuildIndexResult {
  index::BuildSummary summary;
  double seconds = 0;         // wall time of the whole build
  double sort_seconds = 0;    // of which suffix sorting
  std::uint64_t skipped = 0;  // bad documents skipped (CorpusOptions::skip_bad)
  std::vector<text::SkippedDocument> skipped_examples;
  Json to_json() const;
};

// Reads, tokenizes (in parallel) and indexes corpus files (text/corpus.hpp: text, JSONL, .gz, .zst,
// directories, "-" for stdin). Each document's metadata line records its source, line and fields.
BuildIndexResult build_index(const std::vector<std::string>& corpus,
                             const text::CorpusOptions& corpus_options, const BuildIndexOptions& options);
// From texts in memory, tokenized with options.tokenizer.
BuildIndexResult build_index_from_texts(std::span<const std::string> texts, const BuildIndexOptions& options);
// From token ids: with options.tokenizer set its vocabulary bounds the ids, else options.vocab_size.
BuildIndexResult build_index_from_ids(std::span<const std::vector<std::uint32_t>> documents,
                                      const BuildIndexOptions& options);

}  // namespace lmkit::api
