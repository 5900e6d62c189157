// Corpus ingestion: documents streamed one at a time, in bounded memory, from any mix of
//   - plain text files: one document per file, or one per line (CorpusOptions::lines);
//   - JSONL files (*.jsonl, *.json): one JSON object per line, the document in its "text" field and
//     every other field kept as the document's metadata;
//   - gzip or zstd compressed files of either kind (recognised by their magic bytes; the format is
//     taken from the name without its .gz / .zst suffix);
//   - directories, read recursively in sorted path order (names starting with '.' are skipped);
//   - "-" for stdin (plain text unless CorpusOptions::format says JSONL).
// Empty files and blank lines are not documents: they are skipped. In lines mode a trailing '\r'
// is removed (CRLF files).
//
// Bad input — a line that is not JSON or not an object, a missing or non-string "text" field, a
// document that is not valid UTF-8 — stops the reader with an Error naming file:line, or, with
// CorpusOptions::skip_bad, is skipped and counted. A document over CorpusOptions::max_document_bytes
// (64 MiB unless set) always stops the reader.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lmkit/util/json.hpp"

namespace lmkit::text {

struct Document {
  std::string text;        // valid UTF-8
  Json metadata;           // JSONL: the other fields of the line's object; plain text: an empty object
  std::string source;      // the file it came from ("<stdin>" for stdin)
  std::uint64_t line = 0;  // 1-based line where the document starts (1 for whole-file documents)
};

enum class CorpusFormat {
  automatic,  // by file name: *.jsonl / *.json (before any .gz / .zst) are JSONL, the rest plain text
  text,
  jsonl,
};

struct CorpusOptions {
  CorpusFormat format = CorpusFormat::automatic;
  bool lines = false;               // plain text: one document per line instead of one per file
  bool skip_bad = false;            // skip and count bad documents instead of failing
  std::string text_field = "text";  // JSONL: the field holding the document
  // The longest document (plain text: a file, or a line; JSONL: a line) read, in bytes; a longer
  // one is an Error naming the file, line and limit (also with skip_bad: it is never read whole),
  // so that one unbounded input (/dev/zero) cannot fill the memory.
  std::uint64_t max_document_bytes = kDefaultMaxDocumentBytes;
  static constexpr std::uint64_t kDefaultMaxDocumentBytes = std::uint64_t{64} << 20;  // 64 MiB
};

// "jsonl" / "text" / "auto" → CorpusFormat; UsageError for anything else.
CorpusFormat parse_corpus_format(const std::string& name);
std::string corpus_format_name(CorpusFormat format);

// CorpusOptions as JSON, as a checkpoint records how it read its data:
// {"format": "auto", "lines": false, "skip_bad": false, "text_field": "text", "max_document_bytes": N};
// reading, an absent key keeps its default.
void to_json(Json& j, const CorpusOptions& options);
void from_json(const Json& j, CorpusOptions& options);

// One bad document that was skipped: where it was and what was wrong.
struct SkippedDocument {
  std::string source;
  std::uint64_t line = 0;
  std::string reason;
};

class InputStream;

class CorpusReader {
 public:
  // Expands directories (throws Error naming a path that does not exist). Files are opened lazily.
  CorpusReader(const std::vector<std::string>& paths, CorpusOptions options = {});
  CorpusReader(const CorpusReader&) = delete;
  CorpusReader& operator=(const CorpusReader&) = delete;
  ~CorpusReader();

  // Reads the next document into `doc`; false when every input is exhausted.
  bool next(Document& doc);

  // The files to read, after directory expansion, in reading order.
  const std::vector<std::string>& files() const { return files_; }
  // Sum of the sizes on disk of files() (0 for stdin): the total for a progress bar over raw_bytes_read().
  std::uint64_t total_raw_bytes() const { return total_raw_bytes_; }
  // Bytes read from disk so far (compressed bytes for compressed files).
  std::uint64_t raw_bytes_read() const;
  std::uint64_t documents_read() const { return documents_read_; }
  // How many bad documents were skipped (skip_bad), and the first few of them (at most 20).
  std::uint64_t skipped() const { return skipped_; }
  const std::vector<SkippedDocument>& skipped_examples() const { return skipped_examples_; }

 private:
  bool open_next_file();
  // Handles a bad document: throws, or records it and returns (skip_bad).
  void reject(std::uint64_t line, const std::string& reason);
  // Parses one JSONL line into doc; false when it was bad (and skipped).
  bool parse_jsonl_line(std::string& line, std::uint64_t line_number, Document& doc);
  // Checks doc.text is UTF-8; false when it is not (and was skipped).
  bool check_utf8(const Document& doc);
  // read_line / read_all's limit for max_document_bytes, and the error when a document is longer.
  std::size_t document_limit() const;
  [[noreturn]] void refuse_long_document(std::string_view what, std::uint64_t line) const;

  CorpusOptions options_;
  std::vector<std::string> files_;
  std::uint64_t total_raw_bytes_ = 0;
  std::size_t next_file_ = 0;
  std::unique_ptr<InputStream> stream_;
  bool stream_is_jsonl_ = false;
  std::uint64_t line_number_ = 0;
  std::uint64_t finished_raw_bytes_ = 0;
  std::uint64_t documents_read_ = 0;
  std::uint64_t skipped_ = 0;
  std::vector<SkippedDocument> skipped_examples_;
  std::string line_;
};

}  // namespace lmkit::text
