// Splitting text into the words that BPE merges never cross, with a regular expression over
// Unicode properties: PCRE2 compiled with UTF and UCP (so \s, \p{L}, \p{N} mean what Unicode says)
// and JIT-compiled. GPT-2's pattern is kGpt2Pattern; tokenizer.json files may bring their own.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lmkit::text {

// GPT-2's pre-tokenizer (openai/gpt-2 encoder.py): contractions, letters, numbers and other symbols,
// each optionally with one leading space, and runs of whitespace that leave the last space to the
// next word.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class Pretokenizer {
 public:
  // Compiles `pattern`; throws Error quoting the pattern and PCRE2's message when it is invalid.
  explicit Pretokenizer(std::string pattern);
  Pretokenizer(const Pretokenizer&) = delete;
  Pretokenizer& operator=(const Pretokenizer&) = delete;
  ~Pretokenizer();

  // Appends the pieces of `text` (which must be valid UTF-8) to `pieces`: each match of the pattern,
  // and each stretch of text between matches, in order; together they are exactly `text`.
  // Safe to call from several threads at once.
  void split(std::string_view text, std::vector<std::string_view>& pieces) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  std::string pattern_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace lmkit::text
