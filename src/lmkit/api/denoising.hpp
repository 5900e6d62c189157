// BART-style denoising pairs from KJV chapters (.jsonl, one chapter with "text" per line, a verse per
// line of the text): each verse becomes {"source": the verse with spans of words masked, "target":
// the verse}. Text infilling at the word level: spans with Poisson(mean_span) lengths (at least 1) are
// drawn until mask_ratio of the words are covered; each maximal masked run becomes one "<mask>".
// What `lmkit seq2seq corrupt` runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace lmkit::api {

struct CorruptOptions {
  std::string input, out;                    // chapters to read, the pairs file to write (atomically)
  double mask_ratio = 0.3, mean_span = 3.0;  // in (0, 1); > 0
  std::size_t max_chars = 0, limit = 0;      // leave out longer verses; stop after this many pairs (0: none)
  std::uint64_t seed = 1;
};

struct CorruptResult {
  std::size_t pairs = 0, skipped = 0;  // pairs written, verses over max_chars left out
};

// One verse with spans masked (deterministic for the rng's state).
std::string corrupt_verse(const std::string& verse, double mask_ratio, double mean_span,
                          std::mt19937_64& rng);

// InvalidArgument ("mask_ratio", "mean_span") before anything is read; Error naming the file and line
// of a chapter that is not a JSON object with "text", or when there are no verses.
CorruptResult corrupt_chapters(const CorruptOptions& options);

}  // namespace lmkit::api
