// `lmkit tokenizer train`: learn a byte-level BPE from a corpus and write it as a Hugging Face
// tokenizer.json (plus tokenizer_config.json naming the special tokens) in a new directory, which
// `--tokenizer DIR` then loads everywhere in lmkit (and Hugging Face tokenizers loads too).
//
//   lmkit tokenizer train --corpus data/kjv/train.jsonl --vocab-size 8000 --out kjv-bpe
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/text/bpe_files.hpp"
#include "lmkit/text/bpe_trainer.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::cli {

namespace {

struct TrainOptions {
  CorpusCliOptions corpus;
  text::BpeTrainOptions train;
  std::string out;
  bool force = false;
  bool json = false;
};

void run_train(const TrainOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  AtomicDirectory out(options.out, options.force);
  text::CorpusReader reader(options.corpus.paths, options.corpus.reader_options());
  text::WordCounts words;
  {
    ProgressBar progress("counting words", reader.total_raw_bytes(), "B");
    words = text::count_words(reader, options.train.pattern, [&](const text::CorpusReader& r) {
      progress.set(r.raw_bytes_read());
      progress.set_note(fmt::format("{} docs", r.documents_read()));
    });
  }
  report_skipped(reader);
  if (words.empty()) fail("{}: the corpus has no text", options.corpus.paths.front());
  auto tokenizer = text::train_byte_level_bpe(words, options.train, options.out);
  text::write_hf_tokenizer_json(*tokenizer, out.file("tokenizer.json"));
  Json config = {{"tokenizer_class", "GPT2TokenizerFast"}, {"model_max_length", 1024}};
  if (!options.train.special_tokens.empty()) {
    config["eos_token"] = options.train.special_tokens.front();
    config["bos_token"] = options.train.special_tokens.front();
  }
  write_json_file(out.file("tokenizer_config.json"), config);
  out.commit();

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.json) {
    fmt::print("{}\n", Json{{"out", options.out},
                            {"vocab_size", tokenizer->vocab_size()},
                            {"merges", tokenizer->merges().size()},
                            {"documents", reader.documents_read()},
                            {"skipped", reader.skipped()},
                            {"distinct_words", words.size()},
                            {"seconds", seconds}}
                           .dump());
    return;
  }
  fmt::print(
      "wrote {}/tokenizer.json: vocabulary {} ({} merges), from {} documents ({} distinct words) in {:.1f} "
      "s\n",
      options.out, tokenizer->vocab_size(), tokenizer->merges().size(), reader.documents_read(), words.size(),
      seconds);
  if (tokenizer->vocab_size() < options.train.vocab_size)
    fmt::print("(smaller than --vocab-size {}: no pair left occurs --min-frequency {} times)\n",
               options.train.vocab_size, options.train.min_frequency);
}

const bool registered = register_command("tokenizer", [](CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  auto* group = app.add_subcommand("tokenizer", "Tokenizer tools");
  group->require_subcommand(1);
  auto* train =
      group->add_subcommand("train", "Learn a byte-level BPE from a corpus, written as tokenizer.json");
  add_corpus_options(train, options->corpus, "--corpus");
  train
      ->add_option("--vocab-size", options->train.vocab_size,
                   "Vocabulary size, with the 256 bytes and the specials")
      ->required()
      ->check(CLI::PositiveNumber);
  train->add_option("--out", options->out, "New directory for tokenizer.json and tokenizer_config.json")
      ->required();
  train->add_option("--min-frequency", options->train.min_frequency, "Never merge a pair seen fewer times")
      ->capture_default_str();
  train
      ->add_option("--special", options->train.special_tokens,
                   "Special tokens, appended after the merges (repeatable)")
      ->capture_default_str();
  train->add_flag("--force", options->force, "Replace --out if it exists");
  train->add_flag("--json", options->json, "Print one JSON document");
  train->callback([options] { run_train(*options); });
});

}  // namespace

}  // namespace lmkit::cli
