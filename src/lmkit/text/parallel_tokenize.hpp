// Tokenizing a corpus on all cores. A reader thread fills batches of documents (decompressing and
// parsing), while the calling thread and ThreadPool::global() tokenize the previous batch; batches
// reach the sink in corpus order. At most three batches exist at once, so memory stays bounded by
// the batch size, not the corpus size.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "lmkit/text/corpus.hpp"
#include "lmkit/text/tokenizer.hpp"

namespace lmkit::text {

struct TokenizedDocument {
  Document document;
  std::vector<std::uint32_t> ids;
};

struct TokenizedBatch {
  std::vector<TokenizedDocument> documents;  // in corpus order, continuing the previous batch
  std::uint64_t text_bytes = 0;              // UTF-8 bytes of the documents' text in this batch
  std::uint64_t raw_bytes_read = 0;          // the reader's raw_bytes_read() after this batch (progress)
  std::uint64_t documents_read = 0;          // the reader's documents_read() after this batch
};

struct TokenizeOptions {
  std::size_t batch_bytes = 8 << 20;      // a batch closes when its text reaches this many bytes ...
  std::size_t batch_documents = 1 << 16;  // ... or this many documents
};

// Reads every document of `reader`, tokenizes it with `tokenizer` (whose encode() must be safe to
// call from several threads, as lmkit's tokenizers are) and calls `sink` with each batch, in order,
// on the calling thread. Errors from the reader (bad input), the tokenizer or the sink are rethrown
// here after the reader thread has stopped.
void tokenize_corpus(CorpusReader& reader, const Tokenizer& tokenizer,
                     const std::function<void(TokenizedBatch& batch)>& sink, TokenizeOptions options = {});

// encode() of every text, in parallel on ThreadPool::global(): result[i] = tokenizer.encode(texts[i]).
std::vector<std::vector<std::uint32_t>> encode_parallel(const Tokenizer& tokenizer,
                                                        std::span<const std::string_view> texts);

}  // namespace lmkit::text
