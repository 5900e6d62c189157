// The corpus options every command that reads a corpus shares, spelled one way everywhere:
//   --data PATHS...     the corpus (aliases: --corpus, and --file where a command read one file)
//   --val-data PATHS... validation data, for commands that take it (alias: --validation)
//   --lines  --format auto|text|jsonl  --text-field NAME  --skip-bad   how both are read
//   --ctx N             context length, for commands that take it (alias: --seq-len)
// and the report of skipped documents. See lmkit/text/corpus.hpp for what they mean. A command adds
// them with one call, add_corpus_options(sub, corpus, {...}), and passes corpus.paths,
// corpus.validation and corpus.reader_options() to the library.
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
  std::vector<std::string> paths;       // --data
  std::vector<std::string> validation;  // --val-data (when the command takes it)
  std::string format = "auto";
  text::CorpusOptions options;

  // The reader options with --format applied (UsageError for an unknown format).
  text::CorpusOptions reader_options() const {
    text::CorpusOptions result = options;
    result.format = text::parse_corpus_format(format);
    return result;
  }
};

struct CorpusFlags {
  bool required = true;     // the corpus must be given
  bool validation = false;  // the command also reads validation data
  std::string data_help =
      "Corpus files or directories (read recursively); .gz / .zst decompressed; '-' for stdin";
  std::string validation_help = "Validation corpus, read as --data is";
  std::string aliases = "--corpus";  // today's other spellings of --data, comma-separated
};

// Adds the corpus options to `command`.
inline void add_corpus_options(CLI::App* command, CorpusCliOptions& corpus, const CorpusFlags& flags = {}) {
  const std::string names = flags.aliases.empty() ? "--data" : "--data," + flags.aliases;
  auto* data = command->add_option(names, corpus.paths, flags.data_help)->expected(1, -1);
  if (flags.required) data->required();
  if (flags.validation)
    command->add_option("--val-data,--validation", corpus.validation, flags.validation_help)->expected(1, -1);
  command->add_flag("--lines", corpus.options.lines, "Plain text: one document per line (default: per file)");
  command->add_option("--format", corpus.format, "auto (by name: *.jsonl / *.json are JSONL), text or jsonl")
      ->capture_default_str();
  command->add_option("--text-field", corpus.options.text_field, "JSONL: the field holding the text")
      ->capture_default_str();
  command->add_flag("--skip-bad", corpus.options.skip_bad,
                    "Skip bad documents (invalid JSON, no text field, invalid UTF-8) and count them, "
                    "instead of stopping at the first");
}

// Adds --ctx (alias --seq-len): tokens per sequence.
template <typename T>
CLI::Option* add_context_option(CLI::App* command, T& ctx, const std::string& help) {
  return command->add_option("--ctx,--seq-len", ctx, help);
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
