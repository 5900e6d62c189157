#include "lmkit/api/index.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

#include "lmkit/ngram/open.hpp"
#include "lmkit/text/parallel_tokenize.hpp"
#include "lmkit/text/tokenizer_files.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/progress.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::api {

namespace fs = std::filesystem;

std::shared_ptr<const Index> Index::open(const std::string& dir) {
  IndexOptions options;
  options.dirs = {dir};
  return open(options);
}

std::shared_ptr<const Index> Index::open(const IndexOptions& options) {
  if (options.dirs.empty()) invalid_argument("index_dir", "[]", "name at least one index directory");
  std::shared_ptr<Index> result(new Index());
  Index& self = *result;
  for (const auto& dir : options.dirs) self.parts_.push_back(index::Index::open(dir));

  // The directories must describe one corpus: one token width, one tokenizer, one EOS.
  const index::Index& first = self.parts_.front();
  std::optional<std::uint32_t> eos = options.eos_token_id ? options.eos_token_id : first.eos_token_id();
  self.tokenizer_spec_ = options.tokenizer.empty() ? first.tokenizer_spec() : options.tokenizer;
  if (!self.tokenizer_spec_.empty()) self.tokenizer_ = text::load_tokenizer(self.tokenizer_spec_);
  std::uint64_t first_fingerprint = 0;
  for (std::size_t i = 1; i < self.parts_.size(); ++i) {
    const index::Index& part = self.parts_[i];
    if (part.token_width() != first.token_width())
      fail("{} has {}-byte tokens but {} has {}-byte tokens; one engine needs one token width", part.dir(),
           part.token_width(), first.dir(), first.token_width());
    if (!options.eos_token_id && part.eos_token_id() != first.eos_token_id())
      fail("{} and {} have different EOS ids ({} and {})", first.dir(), part.dir(),
           first.eos_token_id() ? std::to_string(*first.eos_token_id()) : "none",
           part.eos_token_id() ? std::to_string(*part.eos_token_id()) : "none");
    // Each index carries its own copy of the tokenizer, so specs differ by path: compare what the
    // tokenizers do.
    if (options.tokenizer.empty() && part.tokenizer_spec() != first.tokenizer_spec()) {
      if (part.tokenizer_spec().empty() || first.tokenizer_spec().empty())
        fail("{} names tokenizer \"{}\" but {} names \"{}\"", first.dir(), first.tokenizer_spec(), part.dir(),
             part.tokenizer_spec());
      // Without an override the tokenizer loaded above is the first directory's.
      if (first_fingerprint == 0) first_fingerprint = text::tokenizer_fingerprint(*self.tokenizer_);
      if (text::tokenizer_fingerprint(*text::load_tokenizer(part.tokenizer_spec())) != first_fingerprint)
        fail("{} and {} were built with different tokenizers ({} and {})", first.dir(), part.dir(),
             first.tokenizer_spec(), part.tokenizer_spec());
    }
  }
  if (!eos && self.tokenizer_) eos = self.tokenizer_->specials().eos;

  std::vector<ngram::ShardFiles> shards;
  for (const index::Index& part : self.parts_) {
    self.vocab_size_ = std::max(self.vocab_size_, part.vocab_size());
    auto files = ngram::shard_files(part);
    shards.insert(shards.end(), files.begin(), files.end());
  }
  self.engine_ = std::make_unique<ngram::Engine>(
      std::move(shards), ngram::EngineConfig{static_cast<unsigned>(first.token_width()), eos});
  self.service_ = std::make_unique<ngram::QueryService>(*self.engine_, self.tokenizer_.get(), options.limits);
  return result;
}

std::shared_ptr<const ngram::Engine> Index::shared_engine() const {
  // An Index is only ever made by open(), owned by a shared_ptr.
  return {shared_from_this(), engine_.get()};
}

std::vector<std::uint32_t> Index::tokenize(std::string_view text) const {
  if (!tokenizer_)
    fail("the index {} names no tokenizer: give a tokenizer spec when opening it, or query by token ids",
         parts_.front().dir());
  return tokenizer_->encode(text);
}

std::string Index::show_token(std::uint32_t id) const {
  if (tokenizer_ && id < tokenizer_->vocab_size()) return ngram::quote_token(tokenizer_->decode({&id, 1}));
  return "#" + std::to_string(id);
}

std::string Index::show_tokens(std::span<const std::uint32_t> ids) const {
  std::string out;
  for (std::uint32_t id : ids) out += (out.empty() ? "" : " ") + show_token(id);
  return out.empty() ? "(empty)" : out;
}

Json BuildIndexResult::to_json() const {
  return {{"path", summary.path},
          {"tokens", summary.tokens()},
          {"documents", summary.documents()},
          {"shards", summary.shards.size()},
          {"token_width", summary.token_width},
          {"seconds", seconds},
          {"sort_seconds", sort_seconds},
          {"skipped_documents", skipped}};
}

namespace {

// The builder's options for `options`, with the tokenizer (if any) loaded to bound the ids.
index::BuildOptions builder_options(const BuildIndexOptions& options, const text::Tokenizer* tokenizer) {
  index::BuildOptions b;
  if (tokenizer) {
    b.tokenizer_spec = tokenizer->spec();
    b.vocab_size = tokenizer->vocab_size();
    b.eos_token_id = tokenizer->specials().eos;
  } else {
    if (options.vocab_size == 0)
      invalid_argument("vocab_size", options.vocab_size,
                       "give a tokenizer or the vocabulary size of the ids");
    b.vocab_size = options.vocab_size;
    b.eos_token_id = options.eos_token_id;
  }
  if (options.eos_token_id) b.eos_token_id = options.eos_token_id;
  b.max_shard_tokens = options.max_shard_tokens;
  b.mem_gib = options.mem_gib;
  b.token_width = options.token_width;
  b.write_metadata = options.metadata;
  b.build_info = options.build_info;
  return b;
}

std::unique_ptr<text::Tokenizer> load_build_tokenizer(const BuildIndexOptions& options) {
  if (options.out.empty()) invalid_argument("out", "\"\"", "name the index directory to write");
  return options.tokenizer.empty() ? nullptr : text::load_tokenizer(options.tokenizer);
}

BuildIndexResult finish(index::IndexBuilder& builder, std::chrono::steady_clock::time_point start) {
  BuildIndexResult result;
  result.summary = builder.finish();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& shard : result.summary.shards) result.sort_seconds += shard.sort_seconds;
  return result;
}

}  // namespace

BuildIndexResult build_index(const std::vector<std::string>& corpus,
                             const text::CorpusOptions& corpus_options, const BuildIndexOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto tokenizer = load_build_tokenizer(options);
  if (!tokenizer) invalid_argument("tokenizer", "\"\"", "a corpus of text needs a tokenizer");
  BuildIndexOptions with_info = options;
  std::vector<std::string> absolute;  // recorded for people; nothing reads them back
  for (const auto& path : corpus) absolute.push_back(path == "-" ? path : fs::absolute(path).string());
  with_info.build_info["corpus"] = absolute;
  with_info.build_info["threads"] = ThreadPool::default_threads();
  // The reader checks its paths before the builder creates anything.
  text::CorpusReader reader(corpus, corpus_options);
  index::IndexBuilder builder(options.out, builder_options(with_info, tokenizer.get()));
  {
    ProgressBar bar("read and tokenize", reader.total_raw_bytes(), "B");
    text::tokenize_corpus(reader, *tokenizer, [&](text::TokenizedBatch& batch) {
      for (const auto& doc : batch.documents) {
        const std::string source = fmt::format("{}:{}", doc.document.source, doc.document.line);
        // Infini-gram's metadata line: where the document came from, and its other JSONL fields.
        const Json line = {
            {"path", doc.document.source},
            {"linenum", doc.document.line - 1},
            {"metadata", doc.document.metadata.is_object() ? doc.document.metadata : Json::object()}};
        builder.add_document(doc.ids, line.dump(), source);
      }
      bar.set(batch.raw_bytes_read);
    });
  }
  BuildIndexResult result = finish(builder, start);
  result.skipped = reader.skipped();
  result.skipped_examples = reader.skipped_examples();
  return result;
}

BuildIndexResult build_index_from_texts(std::span<const std::string> texts,
                                        const BuildIndexOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto tokenizer = load_build_tokenizer(options);
  if (!tokenizer) invalid_argument("tokenizer", "\"\"", "texts need a tokenizer");
  std::vector<std::string_view> views(texts.begin(), texts.end());
  const auto ids = text::encode_parallel(*tokenizer, views);
  index::IndexBuilder builder(options.out, builder_options(options, tokenizer.get()));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const Json line = {{"path", "<memory>"}, {"linenum", i}, {"metadata", Json::object()}};
    builder.add_document(ids[i], line.dump(), fmt::format("text {}", i));
  }
  return finish(builder, start);
}

BuildIndexResult build_index_from_ids(std::span<const std::vector<std::uint32_t>> documents,
                                      const BuildIndexOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto tokenizer = load_build_tokenizer(options);
  const index::BuildOptions b = builder_options(options, tokenizer.get());
  for (std::size_t d = 0; d < documents.size(); ++d)
    for (std::size_t i = 0; i < documents[d].size(); ++i)
      if (documents[d][i] >= b.vocab_size)
        fail("document {}, token {}: id {} is not below the vocabulary size {}", d, i, documents[d][i],
             b.vocab_size);
  index::IndexBuilder builder(options.out, b);
  for (std::size_t d = 0; d < documents.size(); ++d) {
    const Json line = {{"path", "<memory>"}, {"linenum", d}, {"metadata", Json::object()}};
    builder.add_document(documents[d], line.dump(), fmt::format("document {}", d));
  }
  return finish(builder, start);
}

}  // namespace lmkit::api
