// Learning a tokenizer from a corpus: a byte-level BPE (GPT-2 style) or a BERT WordPiece vocabulary,
// written as a Hugging Face tokenizer directory (tokenizer.json, tokenizer_config.json naming the
// special tokens, and vocab.txt for WordPiece) that every tokenizer spec in lmkit then loads.
//
//   auto r = lmkit::api::train_tokenizer({.corpus = {"data/kjv/train.jsonl"}, .vocab_size = 2048,
//                                         .out = "kjv-bpe"});
//   auto tokenizer = lmkit::text::load_tokenizer(r.out);
//
// The directory appears whole or not at all (util/atomic_file.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lmkit/text/bpe_trainer.hpp"
#include "lmkit/text/corpus.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::api {

enum class TokenizerType { bpe, wordpiece };

struct TokenizerTrainOptions {
  std::vector<std::string> corpus{};  // text/corpus.hpp paths
  text::CorpusOptions corpus_options{};
  TokenizerType type = TokenizerType::bpe;
  std::uint32_t vocab_size = 32000;  // with the specials (and, for BPE, the 256 bytes)
  std::uint64_t min_frequency = 2;   // a pair seen fewer times is never merged
  // BPE: special tokens appended after the merges (the first is also EOS and BOS); WordPiece always
  // has BERT's five.
  std::vector<std::string> special_tokens = {"<|endoftext|>"};
  bool cased = false;  // WordPiece: keep case and accents (default: lowercase and strip accents)
  std::string out{};
  bool replace = false;  // replace `out` if it exists
  bool quiet = false;    // no progress bar
};

struct TokenizerTrainResult {
  std::string out{};
  TokenizerType type = TokenizerType::bpe;
  std::uint32_t vocab_size = 0;  // may be less than asked: no pair left occurs min_frequency times
  std::uint64_t merges = 0;      // BPE
  std::uint64_t documents = 0, distinct_words = 0;
  std::uint64_t skipped = 0;  // bad documents skipped (CorpusOptions::skip_bad)
  std::vector<text::SkippedDocument> skipped_examples{};
  double seconds = 0;
  Json to_json() const;
};

// "bpe" / "wordpiece" → TokenizerType; InvalidArgument naming `type` otherwise.
TokenizerType parse_tokenizer_type(const std::string& name);

// InvalidArgument naming the field for options that cannot train (checked before the corpus is
// read); Error for a corpus with no text.
TokenizerTrainResult train_tokenizer(const TokenizerTrainOptions& options);

}  // namespace lmkit::api
