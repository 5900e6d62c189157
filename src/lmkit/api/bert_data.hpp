// What BERT-like models (MLM training, classifiers, embeddings) share: labelled text examples read
// from a corpus (a document each, or a line each, the label from a JSONL field), WordPiece-encoded
// as [CLS] pieces [SEP], and padded batches of them. A BERT directory's tokenizer files are written by
// text::write_wordpiece_files.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lmkit/text/corpus.hpp"
#include "lmkit/text/wordpiece.hpp"

namespace lmkit::api {

struct Example {
  std::string text;
  std::string label;  // empty when no label field was asked for
};

// Every document of `paths` (or every non-empty line of every document, with `lines`), with the
// string value of the JSONL field `label_field` (when not empty; a document lacking it is an Error
// naming the file, the line and the field, or with corpus.skip_bad is skipped). Plain-text paths work
// when no label is asked for. `corpus` says how the paths are read (text::CorpusReader); the bad
// documents skipped are added to *skipped.
std::vector<Example> read_examples(const std::vector<std::string>& paths, bool lines,
                                   const std::string& label_field, const text::CorpusOptions& corpus = {},
                                   std::uint64_t* skipped = nullptr);

// The tokenizer `spec` as WordPiece (BERT needs [CLS], [SEP], [PAD], [MASK]); UsageError otherwise.
std::unique_ptr<text::WordPieceTokenizer> load_bert_tokenizer(const std::string& spec);

// [CLS] + the text's pieces (truncated) + [SEP], at most seq_len ids; InvalidArgument ("seq_len")
// below 3.
std::vector<std::vector<std::int32_t>> encode_examples(const text::WordPieceTokenizer& tokenizer,
                                                       const std::vector<Example>& examples,
                                                       std::size_t seq_len);

// A padded batch: rows (B, T) with T the longest row, [PAD] after each row's end.
struct PaddedBatch {
  std::size_t B = 0, T = 0;
  std::vector<std::int32_t> tokens;    // (B, T)
  std::vector<std::uint8_t> valid;     // (B, T): 1 on real positions
  std::vector<std::uint8_t> maskable;  // (B, T): real and neither [CLS] nor [SEP]
};
PaddedBatch make_batch(const std::vector<std::vector<std::int32_t>>& sequences,
                       const std::vector<std::size_t>& rows, const text::WordPieceTokenizer& tokenizer);

}  // namespace lmkit::api
