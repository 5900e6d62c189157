// `lmkit tokenizer train`: learn a byte-level BPE (or, with --type wordpiece, a BERT WordPiece
// vocabulary) from a corpus and write it as a Hugging Face tokenizer.json (plus tokenizer_config.json
// naming the special tokens, and vocab.txt for WordPiece) in a new directory, which `--tokenizer DIR`
// then loads everywhere in lmkit (and Hugging Face tokenizers loads too).
//
//   lmkit tokenizer train --corpus data/kjv/train.jsonl --vocab-size 8000 --out kjv-bpe
//   lmkit tokenizer train --type wordpiece --corpus data/kjv/train.jsonl --vocab-size 4000 --out kjv-wp
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/text/bpe_files.hpp"
#include "lmkit/text/bpe_trainer.hpp"
#include "lmkit/text/wordpiece.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::cli {

namespace {

struct TrainOptions {
  CorpusCliOptions corpus;
  text::BpeTrainOptions train;
  std::string type = "bpe";
  bool cased = false;  // wordpiece: keep case and accents
  std::string out;
  bool force = false;
  bool json = false;
};

void run_train_wordpiece(const TrainOptions& options) {
  if (options.train.vocab_size <= text::bert_special_tokens.size())
    invalid_argument("vocab_size", options.train.vocab_size,
                     "must be more than WordPiece's {} special tokens", text::bert_special_tokens.size());
  const auto start = std::chrono::steady_clock::now();
  AtomicDirectory out(options.out, options.force);
  text::CorpusReader reader(options.corpus.paths, options.corpus.reader_options());
  text::WordPieceTrainOptions train;
  train.vocab_size = options.train.vocab_size;
  train.min_frequency = options.train.min_frequency;
  train.tokenizer.lowercase = train.tokenizer.strip_accents = !options.cased;
  std::unordered_map<std::string, std::uint64_t> words;
  {
    ProgressBar progress("counting words", reader.total_raw_bytes(), "B");
    text::Document doc;
    while (reader.next(doc)) {
      for (auto& word : text::bert_basic_tokenize(doc.text, train.tokenizer)) ++words[word];
      progress.set(reader.raw_bytes_read());
    }
  }
  report_skipped(reader);
  if (words.empty()) fail("{}: the corpus has no text", options.corpus.paths.front());
  text::WordPieceTokenizer tokenizer(text::train_wordpiece_vocab(words, train), train.tokenizer, options.out);
  text::write_wordpiece_files(tokenizer, out.temp_path(), 512);
  out.commit();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.json) {
    fmt::print("{}\n", Json{{"out", options.out},
                            {"type", "wordpiece"},
                            {"vocab_size", tokenizer.vocab_size()},
                            {"documents", reader.documents_read()},
                            {"skipped", reader.skipped()},
                            {"distinct_words", words.size()},
                            {"seconds", seconds}}
                           .dump());
    return;
  }
  fmt::print(
      "wrote {}/vocab.txt and tokenizer.json: WordPiece vocabulary {}, from {} documents ({} distinct words) "
      "in {:.1f} s\n",
      options.out, tokenizer.vocab_size(), reader.documents_read(), words.size(), seconds);
  if (tokenizer.vocab_size() < options.train.vocab_size)
    fmt::print("(smaller than --vocab-size {}: no pair left occurs --min-frequency {} times)\n",
               options.train.vocab_size, options.train.min_frequency);
}

void run_train(const TrainOptions& options) {
  if (options.type == "wordpiece") return run_train_wordpiece(options);
  text::check_bpe_train_options(options.train);
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
      group->add_subcommand("train", "Learn a byte-level BPE or a WordPiece vocabulary from a corpus");
  train->add_option("--type", options->type, "bpe (byte-level, GPT-2 style) or wordpiece (BERT)")
      ->check(CLI::IsMember({"bpe", "wordpiece"}))
      ->capture_default_str();
  train->add_flag("--cased", options->cased,
                  "wordpiece: keep case and accents (default: lowercase, strip accents)");
  add_corpus_options(train, options->corpus, "--corpus");
  train
      ->add_option("--vocab-size", options->train.vocab_size,
                   "Vocabulary size, with the specials (and for bpe the 256 bytes)")
      ->required();
  train->add_option("--out", options->out, "New directory for tokenizer.json and tokenizer_config.json")
      ->required();
  train->add_option("--min-frequency", options->train.min_frequency, "Never merge a pair seen fewer times")
      ->capture_default_str();
  train
      ->add_option("--special,--special-tokens", options->train.special_tokens,
                   "bpe: special tokens, appended after the merges (repeatable); wordpiece always has BERT's")
      ->capture_default_str();
  train->add_flag("--force", options->force, "Replace --out if it exists");
  train->add_flag("--json", options->json, "Print one JSON document");
  train->callback([options] { run_train(*options); });
});

}  // namespace

}  // namespace lmkit::cli
