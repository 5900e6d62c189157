// The corpus options every command that reads a corpus shares (tokenizer train, index build, ...):
//   PATHS...  --lines  --format auto|text|jsonl  --text-field NAME  --skip-bad
// and the report of skipped documents. See lmkit/text/corpus.hpp for what they mean.
#pragma once

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "lmkit/text/corpus.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::cli {

struct CorpusCliOptions {
  std::vector<std::string> paths;
  std::string format = "auto";
  text::CorpusOptions options;

  // The reader options with --format applied (UsageError for an unknown format).
  text::CorpusOptions reader_options() const {
    text::CorpusOptions result = options;
    result.format = text::parse_corpus_format(format);
    return result;
  }
};

// Adds the corpus options to `command`; `paths_option` names the option or positional holding the paths.
inline void add_corpus_options(CLI::App* command, CorpusCliOptions& corpus, const std::string& paths_option) {
  command
      ->add_option(paths_option, corpus.paths,
                   "Corpus files or directories (read recursively); .gz / .zst decompressed; '-' for stdin")
      ->required();
  command->add_flag("--lines", corpus.options.lines, "Plain text: one document per line (default: per file)");
  command->add_option("--format", corpus.format, "auto (by name: *.jsonl / *.json are JSONL), text or jsonl")
      ->capture_default_str();
  command->add_option("--text-field", corpus.options.text_field, "JSONL: the field holding the text")
      ->capture_default_str();
  command->add_flag("--skip-bad", corpus.options.skip_bad,
                    "Skip bad documents (invalid JSON, no text field, invalid UTF-8) and count them, "
                    "instead of stopping at the first");
}

// Tells on stderr how many bad documents were skipped, with the first few of them.
inline void report_skipped(std::uint64_t skipped, const std::vector<text::SkippedDocument>& examples) {
  if (skipped == 0 || ProgressBar::quiet()) return;
  fmt::print(stderr, "skipped {} bad documents, for example:\n", skipped);
  for (std::size_t i = 0; i < examples.size() && i < 5; ++i)
    fmt::print(stderr, "  {}:{}: {}\n", examples[i].source, examples[i].line, examples[i].reason);
}
inline void report_skipped(const text::CorpusReader& reader) {
  report_skipped(reader.skipped(), reader.skipped_examples());
}

}  // namespace lmkit::cli
