// The files behind a tokenizer spec, so that a model or index directory can carry its own tokenizer:
// copied in under Hugging Face's names, the directory itself then works as the spec (load_tokenizer
// reads a directory holding them), wherever the directory is moved and whatever the working
// directory. And a fingerprint of what a tokenizer does, to tell whether two specs (a model's and an
// index's) name the same tokenizer when their paths differ.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lmkit/text/tokenizer.hpp"

namespace lmkit::text {

struct TokenizerFile {
  std::string source;  // the file as it is now
  std::string name;    // its name in a model directory: tokenizer.json, vocab.json, merges.txt, ...
};

// "bytes" has none; "gpt2" and encoder.json + vocab.bpe become vocab.json + merges.txt (the names
// Hugging Face's GPT-2 tokenizer reads); a tokenizer.json stays tokenizer.json, a WordPiece
// vocab.txt stays vocab.txt; a SentencePiece model becomes tokenizer.model. UsageError for a spec
// load_tokenizer would not accept.
std::vector<TokenizerFile> tokenizer_files(const std::string& spec);

// Writes tokenizer_files(spec) into `dir` (each file atomically).
void copy_tokenizer_files(const std::string& spec, const std::string& dir);

// True when `dir` holds tokenizer files that load_tokenizer(dir) reads.
bool directory_has_tokenizer(const std::string& dir);

// A 64-bit hash of the vocabulary size and every id's piece: equal for two loads of one tokenizer,
// whatever path they came from.
std::uint64_t tokenizer_fingerprint(const Tokenizer& tokenizer);

}  // namespace lmkit::text
