// `lmkit tokenizer train`: learn a byte-level BPE (or, with --type wordpiece, a BERT WordPiece
// vocabulary) from a corpus (api::train_tokenizer) and write it as a Hugging Face tokenizer.json
// (plus tokenizer_config.json naming the special tokens, and vocab.txt for WordPiece) in a new
// directory, which `--tokenizer DIR` then loads everywhere in lmkit (and Hugging Face tokenizers too).
//
//   lmkit tokenizer train --corpus data/kjv/train.jsonl --vocab-size 8000 --out kjv-bpe
//   lmkit tokenizer train --type wordpiece --corpus data/kjv/train.jsonl --vocab-size 4000 --out kjv-wp
#include <memory>

#include <fmt/format.h>

#include "lmkit/api/tokenizer_training.hpp"
#include "lmkit/cli/command.hpp"
#include "lmkit/cli/corpus_options.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::cli {

namespace {

struct TrainCommand {
  CorpusCliOptions corpus;
  api::TokenizerTrainOptions train;
  std::string type = "bpe";
  bool json = false;
};

void run_train(TrainCommand& c) {
  c.train.type = api::parse_tokenizer_type(c.type);
  c.train.corpus = c.corpus.paths;
  c.train.corpus_options = c.corpus.reader_options();
  c.train.quiet = ProgressBar::quiet();
  const api::TokenizerTrainResult r = api::train_tokenizer(c.train);
  report_skipped(r.skipped, r.skipped_examples);
  if (c.json) return fmt::print("{}\n", r.to_json().dump());
  if (r.type == api::TokenizerType::wordpiece) {
    fmt::print(
        "wrote {}/vocab.txt and tokenizer.json: WordPiece vocabulary {}, from {} documents ({} distinct "
        "words) in {:.1f} s\n",
        r.out, r.vocab_size, r.documents, r.distinct_words, r.seconds);
  } else {
    fmt::print(
        "wrote {}/tokenizer.json: vocabulary {} ({} merges), from {} documents ({} distinct words) in "
        "{:.1f} s\n",
        r.out, r.vocab_size, r.merges, r.documents, r.distinct_words, r.seconds);
  }
  if (r.vocab_size < c.train.vocab_size)
    fmt::print("(smaller than --vocab-size {}: no pair left occurs --min-frequency {} times)\n",
               c.train.vocab_size, c.train.min_frequency);
}

const bool registered = register_command("tokenizer", [](CLI::App& app) {
  auto c = std::make_shared<TrainCommand>();
  auto* group = app.add_subcommand("tokenizer", "Tokenizer tools");
  group->require_subcommand(1);
  auto* train =
      group->add_subcommand("train", "Learn a byte-level BPE or a WordPiece vocabulary from a corpus");
  train->add_option("--type", c->type, "bpe (byte-level, GPT-2 style) or wordpiece (BERT)")
      ->check(CLI::IsMember({"bpe", "wordpiece"}))
      ->capture_default_str();
  train->add_flag("--cased", c->train.cased,
                  "wordpiece: keep case and accents (default: lowercase, strip accents)");
  add_corpus_options(train, c->corpus);
  train
      ->add_option("--vocab-size", c->train.vocab_size,
                   "Vocabulary size, with the specials (and for bpe the 256 bytes)")
      ->required();
  train->add_option("--out", c->train.out, "New directory for tokenizer.json and tokenizer_config.json")
      ->required();
  train->add_option("--min-frequency", c->train.min_frequency, "Never merge a pair seen fewer times")
      ->capture_default_str();
  train
      ->add_option("--special,--special-tokens", c->train.special_tokens,
                   "bpe: special tokens, appended after the merges (repeatable); wordpiece always has BERT's")
      ->capture_default_str();
  train->add_flag("--force", c->train.replace, "Replace --out if it exists");
  train->add_flag("--json", c->json, "Print one JSON document");
  train->callback([c] { run_train(*c); });
});

}  // namespace

}  // namespace lmkit::cli
