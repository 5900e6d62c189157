#include "test_index.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "lmkit/util/error.hpp"

namespace lmkit::ngram::testing {

namespace {

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("{}: cannot write", path);
}

void put_le(std::vector<std::uint8_t>& out, std::uint64_t value, unsigned width) {
  for (unsigned i = 0; i < width; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

}  // namespace

void write_test_index(const std::string& dir, const std::vector<TestShard>& shards, unsigned token_width,
                      unsigned pointer_width) {
  const std::uint64_t separator = (token_width == 4) ? 0xFFFFFFFFull : (1ull << (8 * token_width)) - 1;
  for (std::size_t s = 0; s < shards.size(); ++s) {
    std::vector<std::uint8_t> tokens, offsets, metadata, metaoff;
    bool any_metadata = false;
    for (const auto& doc : shards[s]) {
      put_le(offsets, tokens.size(), 8);
      put_le(tokens, separator, token_width);
      for (const auto t : doc.tokens) put_le(tokens, t, token_width);
      put_le(metaoff, metadata.size(), 8);
      metadata.insert(metadata.end(), doc.metadata.begin(), doc.metadata.end());
      metadata.push_back('\n');
      any_metadata = any_metadata || !doc.metadata.empty();
    }
    std::vector<std::uint64_t> suffixes;
    for (std::uint64_t p = 0; p < tokens.size(); p += token_width) suffixes.push_back(p);
    std::sort(suffixes.begin(), suffixes.end(), [&](std::uint64_t a, std::uint64_t b) {
      const std::size_t la = tokens.size() - a, lb = tokens.size() - b;
      const int c = std::memcmp(tokens.data() + a, tokens.data() + b, std::min(la, lb));
      return c != 0 ? c < 0 : la < lb;
    });
    std::vector<std::uint8_t> table;
    for (const auto p : suffixes) put_le(table, p, pointer_width);
    const std::string suffix = "." + std::to_string(s);
    write_bytes(dir + "/tokenized" + suffix, tokens);
    write_bytes(dir + "/table" + suffix, table);
    write_bytes(dir + "/offset" + suffix, offsets);
    if (any_metadata) {
      write_bytes(dir + "/metadata" + suffix, metadata);
      write_bytes(dir + "/metaoff" + suffix, metaoff);
    }
  }
}

std::unique_ptr<TestIndex> open_test_index(const std::string& dir, std::size_t n_shards,
                                           EngineConfig config) {
  auto opened = std::make_unique<TestIndex>();
  std::vector<ShardFiles> shards;
  opened->files.reserve(n_shards * 5);
  for (std::size_t s = 0; s < n_shards; ++s) {
    const std::string suffix = "." + std::to_string(s);
    auto map = [&](const std::string& name) -> std::span<const std::uint8_t> {
      const std::string path = dir + "/" + name + suffix;
      if (!std::filesystem::exists(path)) return {};
      opened->files.push_back(MappedFile::open(path, AccessHint::random, true));
      return opened->files.back().bytes();
    };
    ShardFiles f;
    f.tokens = map("tokenized");
    f.table = map("table");
    f.offsets = map("offset");
    f.metadata = map("metadata");
    f.metaoff = map("metaoff");
    const std::uint64_t n_tokens = f.tokens.size() / config.token_width;
    f.pointer_width = n_tokens == 0 ? 4 : static_cast<unsigned>(f.table.size() / n_tokens);
    f.name = dir + " shard " + std::to_string(s);
    shards.push_back(f);
  }
  opened->engine = std::make_unique<Engine>(std::move(shards), config);
  return opened;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "lmkit-ngram-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) fail("cannot create a temporary directory");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Oracle::Oracle(const std::vector<TestShard>& shards, unsigned token_width, std::optional<std::uint32_t> eos)
    : separator_(token_width == 4 ? 0xFFFFFFFFu : (1u << (8 * token_width)) - 1), eos_(eos) {
  doc_base_.push_back(0);
  for (const auto& shard : shards) {
    arrays_.emplace_back();
    doc_starts_.emplace_back();
    for (const auto& doc : shard) {
      doc_starts_.back().push_back(arrays_.back().size());
      arrays_.back().push_back(separator_);
      arrays_.back().insert(arrays_.back().end(), doc.tokens.begin(), doc.tokens.end());
      docs_.push_back(doc);
    }
    doc_base_.push_back(docs_.size());
  }
}

std::vector<std::pair<std::size_t, std::uint64_t>> Oracle::occurrences(
    const std::vector<std::uint32_t>& pattern) const {
  std::vector<std::pair<std::size_t, std::uint64_t>> found;
  for (std::size_t s = 0; s < arrays_.size(); ++s) {
    const auto& a = arrays_[s];
    for (std::uint64_t p = 0; p < a.size(); ++p) {
      if (p + pattern.size() > a.size()) continue;
      if (std::equal(pattern.begin(), pattern.end(), a.begin() + static_cast<std::ptrdiff_t>(p)))
        found.emplace_back(s, p);
    }
  }
  return found;
}

std::map<std::uint32_t, std::uint64_t> Oracle::next_counts(const std::vector<std::uint32_t>& prompt) const {
  std::map<std::uint32_t, std::uint64_t> counts;
  for (const auto& [s, p] : occurrences(prompt)) {
    const std::uint64_t at = p + prompt.size();
    const bool doc_end = at >= arrays_[s].size() || arrays_[s][at] == separator_;
    ++counts[doc_end ? end_id() : arrays_[s][at]];
  }
  return counts;
}

ProbResult Oracle::prob(const std::vector<std::uint32_t>& prompt, std::uint32_t cont) const {
  ProbResult r;
  r.prompt_cnt = count(prompt);
  if (r.prompt_cnt == 0) return r;
  const auto counts = next_counts(prompt);
  const auto it = counts.find(cont);
  r.cont_cnt = it == counts.end() ? 0 : it->second;
  r.prob = static_cast<double>(r.cont_cnt) / static_cast<double>(r.prompt_cnt);
  return r;
}

std::size_t Oracle::suffix_len(const std::vector<std::uint32_t>& prompt) const {
  for (std::size_t len = prompt.size(); len > 0; --len) {
    const std::vector<std::uint32_t> suffix(prompt.end() - static_cast<std::ptrdiff_t>(len), prompt.end());
    if (count(suffix) > 0) return len;
  }
  return 0;
}

InfgramProbResult Oracle::infgram_prob(const std::vector<std::uint32_t>& prompt, std::uint32_t cont) const {
  InfgramProbResult r;
  r.suffix_len = suffix_len(prompt);
  const std::vector<std::uint32_t> suffix(prompt.end() - static_cast<std::ptrdiff_t>(r.suffix_len),
                                          prompt.end());
  r.prob = prob(suffix, cont);
  return r;
}

std::pair<std::uint64_t, std::uint64_t> Oracle::locate(std::size_t shard, std::uint64_t position) const {
  const auto& starts = doc_starts_[shard];
  const auto it = std::upper_bound(starts.begin(), starts.end(), position) - 1;
  const std::uint64_t local = static_cast<std::uint64_t>(it - starts.begin());
  const std::uint64_t offset = position == *it ? 0 : position - *it - 1;
  return {doc_base_[shard] + local, offset};
}

std::uint64_t Oracle::cnf_count(const Cnf& cnf, std::uint64_t max_diff_tokens) const {
  // Occurrence positions of each clause, as (shard, position) sets.
  std::vector<std::set<std::pair<std::size_t, std::uint64_t>>> hits(cnf.size());
  std::vector<std::uint64_t> counts(cnf.size(), 0);
  for (std::size_t c = 0; c < cnf.size(); ++c) {
    for (const auto& term : cnf[c]) {
      const auto occ = occurrences(term);
      counts[c] += occ.size();
      hits[c].insert(occ.begin(), occ.end());
    }
  }
  std::size_t anchor = 0;
  for (std::size_t c = 1; c < cnf.size(); ++c)
    if (counts[c] < counts[anchor]) anchor = c;
  std::uint64_t matches = 0;
  for (const auto& [s, p] : hits[anchor]) {
    const auto doc = locate(s, p).first;
    bool all = true;
    for (std::size_t c = 0; c < cnf.size() && all; ++c) {
      if (c == anchor) continue;
      bool near = false;
      for (const auto& [s2, q] : hits[c]) {
        const std::uint64_t diff = q > p ? q - p : p - q;
        if (s2 == s && diff <= max_diff_tokens && locate(s2, q).first == doc) near = true;
      }
      all = near;
    }
    matches += all ? 1 : 0;
  }
  return matches;
}

}  // namespace lmkit::ngram::testing
