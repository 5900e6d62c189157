#include "lmkit/text/corpus.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "lmkit/text/input_stream.hpp"
#include "lmkit/text/utf8.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::text {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxSkippedExamples = 20;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_jsonl_name(std::string_view path) {
  for (std::string_view compressed : {".gz", ".zst"})
    if (ends_with(path, compressed)) path.remove_suffix(compressed.size());
  return ends_with(path, ".jsonl") || ends_with(path, ".json");
}

bool is_hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

// Appends the regular files under `dir`, recursively, skipping hidden names, in sorted order.
void list_directory(const std::string& dir, std::vector<std::string>& out) {
  std::vector<std::string> found;
  std::error_code error;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, error), end;
  if (error) fail("{}: cannot read directory: {}", dir, error.message());
  for (; it != end; it.increment(error)) {
    if (error) fail("{}: cannot read directory: {}", dir, error.message());
    if (is_hidden(it->path())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) found.push_back(it->path().string());
  }
  if (error) fail("{}: cannot read directory: {}", dir, error.message());
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
}

// The 1-based line of byte `offset` in `text`.
std::uint64_t line_of_offset(std::string_view text, std::size_t offset) {
  return 1 + static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

}  // namespace

CorpusFormat parse_corpus_format(const std::string& name) {
  if (name == "auto") return CorpusFormat::automatic;
  if (name == "text") return CorpusFormat::text;
  if (name == "jsonl") return CorpusFormat::jsonl;
  usage_fail("unknown corpus format \"{}\" (expected auto, text or jsonl)", name);
}

std::string corpus_format_name(CorpusFormat format) {
  switch (format) {
    case CorpusFormat::automatic:
      return "auto";
    case CorpusFormat::text:
      return "text";
    case CorpusFormat::jsonl:
      return "jsonl";
  }
  return "auto";
}

void to_json(Json& j, const CorpusOptions& options) {
  j = {{"format", corpus_format_name(options.format)},
       {"lines", options.lines},
       {"skip_bad", options.skip_bad},
       {"text_field", options.text_field},
       {"max_document_bytes", options.max_document_bytes}};
}

void from_json(const Json& j, CorpusOptions& options) {
  options = CorpusOptions{};
  if (j.contains("format")) options.format = parse_corpus_format(j.at("format").get<std::string>());
  if (j.contains("lines")) options.lines = j.at("lines").get<bool>();
  if (j.contains("skip_bad")) options.skip_bad = j.at("skip_bad").get<bool>();
  if (j.contains("text_field")) options.text_field = j.at("text_field").get<std::string>();
  if (j.contains("max_document_bytes"))
    options.max_document_bytes = j.at("max_document_bytes").get<std::uint64_t>();
}

CorpusReader::CorpusReader(const std::vector<std::string>& paths, CorpusOptions options)
    : options_(std::move(options)) {
  for (const auto& path : paths) {
    if (path == "-") {
      files_.push_back(path);
      continue;
    }
    std::error_code error;
    auto status = fs::status(path, error);
    if (error || !fs::exists(status)) fail("{}: no such file or directory", path);
    if (fs::is_directory(status)) {
      list_directory(path, files_);
    } else {
      files_.push_back(path);
    }
  }
  for (const auto& file : files_) {
    if (file == "-") continue;
    std::error_code error;
    auto size = fs::file_size(file, error);
    if (!error) total_raw_bytes_ += size;
  }
}

CorpusReader::~CorpusReader() = default;

std::uint64_t CorpusReader::raw_bytes_read() const {
  return finished_raw_bytes_ + (stream_ ? stream_->raw_bytes_read() : 0);
}

bool CorpusReader::open_next_file() {
  if (next_file_ == files_.size()) return false;
  const std::string& path = files_[next_file_++];
  stream_ = std::make_unique<InputStream>(path);
  switch (options_.format) {
    case CorpusFormat::automatic:
      stream_is_jsonl_ = path != "-" && is_jsonl_name(path);
      break;
    case CorpusFormat::text:
      stream_is_jsonl_ = false;
      break;
    case CorpusFormat::jsonl:
      stream_is_jsonl_ = true;
      break;
  }
  line_number_ = 0;
  return true;
}

void CorpusReader::reject(std::uint64_t line, const std::string& reason) {
  if (!options_.skip_bad)
    fail("{}:{}: {} (the corpus option skip_bad skips bad documents)", stream_->name(), line, reason);
  ++skipped_;
  if (skipped_examples_.size() < kMaxSkippedExamples)
    skipped_examples_.push_back({stream_->name(), line, reason});
}

bool CorpusReader::check_utf8(const Document& doc) {
  const std::size_t bad = find_invalid_utf8(doc.text);
  if (bad == doc.text.size()) return true;
  // Point at the line of the bad byte itself for whole-file documents.
  const std::uint64_t line = doc.line + line_of_offset(doc.text, bad) - 1;
  reject(stream_is_jsonl_ ? doc.line : line,
         fmt::format("invalid UTF-8 (byte 0x{:02x} at offset {} of the document)",
                     static_cast<unsigned char>(doc.text[bad]), bad));
  return false;
}

bool CorpusReader::parse_jsonl_line(std::string& line, std::uint64_t line_number, Document& doc) {
  Json object;
  try {
    object = Json::parse(line);
  } catch (const Json::exception& e) {
    // A syntax error, or a number too large for a double (out_of_range.406, "1e309"). e.what() starts
    // with "[json.exception.parse_error.101] "; keep what follows.
    std::string_view message = e.what();
    if (auto bracket = message.find("] "); bracket != std::string_view::npos)
      message.remove_prefix(bracket + 2);
    reject(line_number, fmt::format("invalid JSON: {}", message));
    return false;
  }
  if (!object.is_object()) {
    reject(line_number, fmt::format("expected a JSON object, found {}", object.type_name()));
    return false;
  }
  auto field = object.find(options_.text_field);
  if (field == object.end()) {
    reject(line_number, fmt::format("missing field \"{}\"", options_.text_field));
    return false;
  }
  if (!field->is_string()) {
    reject(line_number,
           fmt::format("field \"{}\" is {}, not a string", options_.text_field, field->type_name()));
    return false;
  }
  doc.text = std::move(field->get_ref<std::string&>());
  object.erase(field);
  doc.metadata = std::move(object);
  return true;
}

std::size_t CorpusReader::document_limit() const {
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(options_.max_document_bytes, InputStream::kNoLimit - 1));
}

void CorpusReader::refuse_long_document(std::string_view what, std::uint64_t line) const {
  fail("{}:{}: the {} is longer than max_document_bytes = {} bytes", stream_->name(), line, what,
       options_.max_document_bytes);
}

bool CorpusReader::next(Document& doc) {
  while (true) {
    if (!stream_ && !open_next_file()) return false;
    doc.source = stream_->name();
    doc.metadata = Json::object();

    if (!stream_is_jsonl_ && !options_.lines) {  // the whole file is one document
      doc.text.clear();
      stream_->read_all(doc.text, document_limit());
      doc.line = 1;
      if (doc.text.size() > options_.max_document_bytes) refuse_long_document("document", 1);
      const bool ok = check_utf8(doc);
      finished_raw_bytes_ += stream_->raw_bytes_read();
      stream_.reset();
      if (!ok || doc.text.empty()) continue;  // an empty file is not a document
      ++documents_read_;
      return true;
    }

    bool have_line = false;
    while (stream_->read_line(line_, document_limit())) {
      ++line_number_;
      if (line_.size() > options_.max_document_bytes) refuse_long_document("line", line_number_);
      if (!stream_is_jsonl_ && !line_.empty() && line_.back() == '\r') line_.pop_back();
      if (line_.empty() || (stream_is_jsonl_ && line_.find_first_not_of(" \t\r") == std::string::npos))
        continue;
      doc.line = line_number_;
      if (stream_is_jsonl_) {
        if (!parse_jsonl_line(line_, line_number_, doc)) continue;
      } else {
        doc.text.assign(line_);
      }
      if (!check_utf8(doc)) continue;
      have_line = true;
      break;
    }
    if (have_line) {
      ++documents_read_;
      return true;
    }
    finished_raw_bytes_ += stream_->raw_bytes_read();
    stream_.reset();
  }
}

}  // namespace lmkit::text
