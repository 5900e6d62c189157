#include "lmkit/api/denoising.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <vector>

#include "lmkit/api/seq2seq_codec.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::api {

std::string corrupt_verse(const std::string& verse, double mask_ratio, double mean_span,
                          std::mt19937_64& rng) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start <= verse.size()) {
    std::size_t end = verse.find(' ', start);
    if (end == std::string::npos) end = verse.size();
    if (end > start) words.push_back(verse.substr(start, end - start));
    start = end + 1;
  }
  const std::size_t n = words.size();
  const std::size_t to_mask = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(mask_ratio * n)));
  std::vector<bool> masked(n, false);
  std::poisson_distribution<std::size_t> span_length(mean_span);
  std::size_t n_masked = 0;
  while (n_masked < std::min(to_mask, n)) {
    std::size_t length = std::min(n, std::max<std::size_t>(1, span_length(rng)));
    std::size_t first = static_cast<std::size_t>(rng() % (n - length + 1));
    for (std::size_t i = first; i < first + length && n_masked < to_mask; ++i)
      if (!masked[i]) masked[i] = true, ++n_masked;
  }
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (masked[i] && i > 0 && masked[i - 1]) continue;
    if (!out.empty()) out += ' ';
    out += masked[i] ? std::string(seq2seq_mask_marker) : words[i];
  }
  return out;
}

CorruptResult corrupt_chapters(const CorruptOptions& o) {
  if (!(o.mask_ratio > 0 && o.mask_ratio < 1))
    invalid_argument("mask_ratio", o.mask_ratio, "must be in (0, 1)");
  if (!(o.mean_span > 0)) invalid_argument("mean_span", o.mean_span, "must be positive");
  std::ifstream in(o.input, std::ios::binary);
  if (!in) fail("{}: cannot open: {}", o.input, errno_message(errno));
  std::mt19937_64 rng(o.seed);
  std::string out, line;
  std::size_t line_no = 0;
  CorruptResult r;
  while (std::getline(in, line) && (o.limit == 0 || r.pairs < o.limit)) {
    ++line_no;
    if (line.empty()) continue;
    const std::string where = fmt::format("{} line {}", o.input, line_no);
    const std::string chapter = json_get<std::string>(parse_json(line, where), "text", where);
    std::size_t start = 0;
    while (start < chapter.size() && (o.limit == 0 || r.pairs < o.limit)) {
      std::size_t end = chapter.find('\n', start);
      if (end == std::string::npos) end = chapter.size();
      std::string verse = chapter.substr(start, end - start);
      start = end + 1;
      if (verse.empty()) continue;
      if (o.max_chars && verse.size() > o.max_chars) {
        ++r.skipped;
        continue;
      }
      out +=
          Json{{"source", corrupt_verse(verse, o.mask_ratio, o.mean_span, rng)}, {"target", verse}}.dump() +
          "\n";
      ++r.pairs;
    }
  }
  if (r.pairs == 0) fail("{}: no verses to corrupt", o.input);
  write_file_atomic(o.out, out);
  return r;
}

}  // namespace lmkit::api
