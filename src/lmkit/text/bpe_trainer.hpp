// Learning a byte-level BPE from a corpus, as GPT-2's tokenizer was learned: pre-tokenize with the
// pattern, count words, then repeatedly merge the most frequent adjacent pair of symbols (ties go to
// the pair of lower ids, so training is deterministic) until the vocabulary is full or no pair occurs
// min_frequency times. Ids 0-255 are the bytes in byte order, merges follow, the special tokens come
// last (as <|endoftext|> does in GPT-2).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lmkit/text/byte_level_bpe.hpp"
#include "lmkit/text/corpus.hpp"

namespace lmkit::text {

struct BpeTrainOptions {
  std::uint32_t vocab_size = 32000;  // including the 256 bytes and the special tokens
  std::uint64_t min_frequency = 2;   // a pair seen fewer times is never merged
  std::vector<std::string> special_tokens = {"<|endoftext|>"};
  std::string pattern{kGpt2Pattern};
};

// Word (raw bytes) → how often it occurs in the corpus.
using WordCounts = std::unordered_map<std::string, std::uint64_t>;

// Counts the pre-tokenized words of every document `reader` yields, in parallel on
// ThreadPool::global(). `on_batch(reader)` is called after each batch (for progress).
WordCounts count_words(CorpusReader& reader, const std::string& pattern,
                       const std::function<void(const CorpusReader&)>& on_batch = {});

// InvalidArgument (vocab_size, special_tokens) for options training cannot use;
// call it before reading the corpus so that a bad option fails before the work.
void check_bpe_train_options(const BpeTrainOptions& options);

// Learns the merges from word counts (checks the options first). `spec` and `source` name the result (see
// ByteLevelBpeConfig).
std::unique_ptr<ByteLevelBpe> train_byte_level_bpe(const WordCounts& words, const BpeTrainOptions& options,
                                                   const std::string& spec);

}  // namespace lmkit::text
