// The demo corpus: the King James Bible from Debian's bible-kjv package, one document per chapter,
// in fixed train / validation / test splits written as JSONL under a data directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lmkit/util/json.hpp"

namespace lmkit::text {

struct KjvChapter {
  std::string book;                 // "Genesis", "1 Samuel", "Song of Solomon"
  int chapter = 0;                  // 1-based
  std::string testament;            // "OT" or "NT"
  std::vector<std::string> verses;  // verse texts without their numbers, in order
};

// Parses the text that `bible Gen1:1-Rev22:21` prints: a "Book N" header line between blank lines
// for each chapter, verses as "  N text" with unindented continuation lines.
std::vector<KjvChapter> parse_kjv(const std::string& text);

// Which split chapter number `index` (0-based, in canonical order) belongs to. Fixed forever:
// every 20th chapter from the 11th goes to validation, every 20th from the 20th to test, the rest
// to training (90 / 5 / 5, spread evenly over all books).
std::string kjv_split_of(std::size_t index);

struct KjvSplitSummary {
  std::string name;  // "train", "validation", "test"
  std::string path;
  std::uint64_t documents = 0;
  std::uint64_t lines = 0;  // verses
  std::uint64_t bytes = 0;  // UTF-8 bytes of the documents' text
};

// Writes DIR/{train,validation,test}.jsonl, each line {"text", "book", "chapter", "testament"}, and
// DIR/kjv.json describing them (written last: its presence means the data is complete). Runs
// `bible` to get the text. Does nothing if DIR/kjv.json exists and `force` is false.
// Returns the summary of each split, read back from the files.
std::vector<KjvSplitSummary> prepare_kjv(const std::string& dir, bool force = false);

// Reads the summary of prepared data (DIR/kjv.json); throws Error if it is missing.
std::vector<KjvSplitSummary> read_kjv_summary(const std::string& dir);

}  // namespace lmkit::text
