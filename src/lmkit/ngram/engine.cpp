// Counting, n-gram and ∞-gram probabilities, next-token distributions and sequence scoring.
#include <limits>
#include <utility>

#include "lmkit/ngram/engine_core.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::ngram {

template <typename T>
Engine::Core<T>::Core(const std::vector<ShardFiles>& files, EngineConfig config) : config_(config) {
  doc_base_.push_back(0);
  for (const auto& f : files) {
    shards_.emplace_back(f);
    token_count_ += shards_.back().size();
    doc_base_.push_back(doc_base_.back() + shards_.back().doc_count());
  }
}

template <typename T>
std::uint64_t Engine::Core<T>::find_all(const std::uint8_t* pattern, std::size_t n,
                                        std::vector<SaRange>& ranges, const std::vector<SaRange>* within,
                                        std::size_t from) const {
  ranges.resize(shards_.size());
  std::uint64_t total = 0;
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    ranges[s] = shards_[s].find(pattern, n, within ? (*within)[s] : shards_[s].all(), from);
    total += ranges[s].size();
  }
  return total;
}

template <typename T>
FindResult Engine::Core<T>::find(std::span<const std::uint32_t> ids) const {
  const auto tokens = to_tokens(ids);
  FindResult result;
  result.count = find_all(bytes(tokens.data()), tokens.size() * W, result.segment_by_shard);
  return result;
}

template <typename T>
std::uint64_t Engine::Core<T>::cont_count(const std::vector<SaRange>& prompt_ranges,
                                          const std::uint8_t* pattern, std::size_t prompt_bytes,
                                          std::uint32_t cont, std::vector<SaRange>& cont_ranges) const {
  std::uint64_t total = find_all(pattern, prompt_bytes + W, cont_ranges, &prompt_ranges, prompt_bytes);
  if (cont == end_of_doc_id()) {
    std::uint64_t doc_ends = 0;
    for (std::size_t s = 0; s < shards_.size(); ++s)
      doc_ends += shards_[s].doc_end_count(prompt_ranges[s], prompt_bytes);
    // Without an EOS the end id is the separator, whose occurrences find_all already counted.
    if (cont == Shard::separator) total = 0;
    total += doc_ends;
  }
  return total;
}

template <typename T>
ProbResult Engine::Core<T>::prob(std::span<const std::uint32_t> prompt, std::uint32_t cont) const {
  auto tokens = to_tokens(prompt);
  tokens.push_back(static_cast<T>(cont));
  const std::size_t prompt_bytes = prompt.size() * W;
  std::vector<SaRange> prompt_ranges, cont_ranges;
  ProbResult result;
  result.prompt_cnt = find_all(bytes(tokens.data()), prompt_bytes, prompt_ranges);
  if (result.prompt_cnt == 0) return result;
  result.cont_cnt = cont_count(prompt_ranges, bytes(tokens.data()), prompt_bytes, cont, cont_ranges);
  result.prob = static_cast<double>(result.cont_cnt) / static_cast<double>(result.prompt_cnt);
  return result;
}

namespace {

// Next-token counts of one shard, appended in suffix-array order (keys ascending in byte order).
template <typename T>
class NextTokenCounter {
 public:
  NextTokenCounter(const detail::ShardSearch<T>& shard, std::size_t prefix_bytes, std::uint64_t unit,
                   std::vector<std::pair<std::int64_t, std::uint64_t>>& out)
      : shard_(shard), prefix_bytes_(prefix_bytes), unit_(unit), out_(out) {}

  void count(SaRange range) {
    if (range.size() == 0) return;
    visit(range.begin, range.end, key(range.begin), key(range.end - 1));
  }

 private:
  std::int64_t key(std::uint64_t rank) const { return shard_.next_key(rank, prefix_bytes_); }

  void add(std::int64_t k, std::uint64_t n) {
    if (!out_.empty() && out_.back().first == k) {
      out_.back().second += n;
    } else {
      out_.emplace_back(k, n);
    }
  }

  // [begin, end) with the keys of its first and last ranks known. Ranks are sorted by next token,
  // so equal end keys mean one token throughout; small segments are read (unit 1) or sampled at
  // the middle of each unit-sized block, which then stands for the whole block.
  void visit(std::uint64_t begin, std::uint64_t end, std::int64_t first_key, std::int64_t last_key) {
    if (first_key == last_key) {
      add(first_key, end - begin);
      return;
    }
    if (end - begin < 4 * unit_) {
      for (std::uint64_t block = begin; block < end; block += unit_) {
        const std::uint64_t block_end = std::min(block + unit_, end);
        add(key(block + (block_end - block) / 2), block_end - block);
      }
      return;
    }
    const std::uint64_t mid = begin + (end - begin) / 2;
    visit(begin, mid, first_key, key(mid - 1));
    visit(mid, end, key(mid), last_key);
  }

  const detail::ShardSearch<T>& shard_;
  std::size_t prefix_bytes_;
  std::uint64_t unit_;
  std::vector<std::pair<std::int64_t, std::uint64_t>>& out_;
};

}  // namespace

template <typename T>
NtdResult Engine::Core<T>::ntd_in(const std::vector<SaRange>& prompt_ranges, std::size_t prompt_bytes,
                                  std::uint64_t max_support, bool exact) const {
  NtdResult result;
  for (const auto& r : prompt_ranges) result.prompt_cnt += r.size();
  if (result.prompt_cnt == 0) return result;
  // Sample every unit-th rank, unit the least power of two with prompt_cnt <= unit * max_support.
  std::uint64_t unit = 1;
  if (!exact)
    while (result.prompt_cnt > unit * max_support) unit <<= 1;
  result.approx = unit > 1;

  std::vector<std::pair<std::int64_t, std::uint64_t>> counts;
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    counts.clear();
    NextTokenCounter<T>(shards_[s], prompt_bytes, unit, counts).count(prompt_ranges[s]);
    for (const auto& [k, n] : counts) {
      const bool doc_end = k == detail::shard_end || k == static_cast<std::int64_t>(Shard::separator);
      result.result_by_token_id[doc_end ? end_of_doc_id() : static_cast<std::uint32_t>(k)].cont_cnt += n;
    }
  }
  for (auto& [id, entry] : result.result_by_token_id)
    entry.prob = static_cast<double>(entry.cont_cnt) / static_cast<double>(result.prompt_cnt);
  return result;
}

template <typename T>
NtdResult Engine::Core<T>::ntd(std::span<const std::uint32_t> prompt, std::uint64_t max_support,
                               bool exact) const {
  const auto tokens = to_tokens(prompt);
  std::vector<SaRange> ranges;
  find_all(bytes(tokens.data()), tokens.size() * W, ranges);
  return ntd_in(ranges, tokens.size() * W, max_support, exact);
}

namespace {

enum class Gallop { up, down };

// The longest length in [good, bad) for which occurs(length) holds, given that occurs(good) holds,
// occurs(bad) does not (bad may lie past every length) and occurs is monotone: true up to some
// length, false beyond. Gallops from one end (up: good + 1, good + 2, good + 4, ...; down: bad - 1,
// bad - 2, bad - 4, ...) until the answer is bracketed, then bisects the bracket: O(log d) probes,
// d the distance from the starting end to the answer. occurs is called with lengths in (good, bad)
// only, and the last call that returns true is for the returned length (none when it is `good`).
template <typename Occurs>
std::size_t longest_occurring(std::size_t good, std::size_t bad, Gallop direction, Occurs&& occurs) {
  const std::size_t good0 = good, bad0 = bad;
  for (std::size_t step = 1; step < bad0 - good0; step *= 2) {
    if (direction == Gallop::up) {
      if (!occurs(good0 + step)) {
        bad = good0 + step;
        break;
      }
      good = good0 + step;
    } else {
      if (occurs(bad0 - step)) {
        good = bad0 - step;
        break;
      }
      bad = bad0 - step;
    }
  }
  while (bad - good > 1) {  // successes only grow `good`, so the last one is the answer's
    const std::size_t mid = good + (bad - good) / 2;
    if (occurs(mid)) {
      good = mid;
    } else {
      bad = mid;
    }
  }
  return good;
}

}  // namespace

template <typename T>
std::size_t Engine::Core<T>::longest_occurring_suffix(const std::vector<T>& prompt,
                                                      std::vector<SaRange>& ranges) const {
  // Short suffixes are the likely answers for unseen text, so gallop up from length 0.
  const std::size_t n = prompt.size();
  ranges.assign(shards_.size(), {});
  for (std::size_t s = 0; s < shards_.size(); ++s) ranges[s] = shards_[s].all();
  std::vector<SaRange> probe;
  return longest_occurring(0, n + 1, Gallop::up, [&](std::size_t len) {
    if (find_all(bytes(prompt.data() + (n - len)), len * W, probe) == 0) return false;
    ranges.swap(probe);  // `ranges` always holds the ranges of the longest suffix known to occur
    return true;
  });
}

template <typename T>
InfgramProbResult Engine::Core<T>::infgram_prob(std::span<const std::uint32_t> prompt,
                                                std::uint32_t cont) const {
  auto tokens = to_tokens(prompt);
  std::vector<SaRange> prompt_ranges, cont_ranges;
  InfgramProbResult result;
  result.suffix_len = longest_occurring_suffix(tokens, prompt_ranges);
  for (const auto& r : prompt_ranges) result.prob.prompt_cnt += r.size();
  if (result.prob.prompt_cnt == 0) return result;
  // The pattern: the suffix, then cont.
  std::vector<T> pattern(tokens.end() - static_cast<std::ptrdiff_t>(result.suffix_len), tokens.end());
  pattern.push_back(static_cast<T>(cont));
  result.prob.cont_cnt =
      cont_count(prompt_ranges, bytes(pattern.data()), result.suffix_len * W, cont, cont_ranges);
  result.prob.prob = static_cast<double>(result.prob.cont_cnt) / static_cast<double>(result.prob.prompt_cnt);
  return result;
}

template <typename T>
InfgramNtdResult Engine::Core<T>::infgram_ntd(std::span<const std::uint32_t> prompt,
                                              std::uint64_t max_support, bool exact) const {
  const auto tokens = to_tokens(prompt);
  std::vector<SaRange> ranges;
  InfgramNtdResult result;
  result.suffix_len = longest_occurring_suffix(tokens, ranges);
  result.ntd = ntd_in(ranges, result.suffix_len * W, max_support, exact);
  return result;
}

template <typename T>
std::vector<TokenScore> Engine::Core<T>::score(std::span<const std::uint32_t> ids) const {
  const auto tokens = to_tokens(ids);
  const std::uint8_t* data = bytes(tokens.data());
  std::vector<TokenScore> scores(tokens.size());
  // Invariant at step i: tokens[i - suffix_len, i) is the longest suffix of the context that
  // occurs, `prompt` holds its ranges and prompt_cnt their total size.
  std::vector<SaRange> prompt(shards_.size()), cont(shards_.size());
  for (std::size_t s = 0; s < shards_.size(); ++s) prompt[s] = shards_[s].all();
  std::uint64_t prompt_cnt = token_count_;
  std::size_t suffix_len = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::uint8_t* pattern = data + (i - suffix_len) * W;
    const std::uint64_t cont_cnt = cont_count(prompt, pattern, suffix_len * W, ids[i], cont);
    scores[i] = {prompt_cnt == 0 ? 0.0 : static_cast<double>(cont_cnt) / static_cast<double>(prompt_cnt),
                 prompt_cnt, cont_cnt, suffix_len};
    // The next context's longest occurring suffix is at most one token longer: tokens[i - suffix_len,
    // i] itself, whose ranges were just narrowed.
    std::uint64_t extended = 0;
    for (const auto& r : cont) extended += r.size();
    if (extended > 0) {
      prompt.swap(cont);
      prompt_cnt = extended;
      ++suffix_len;
      continue;
    }
    // Otherwise the new length is in [0, suffix_len], and occurring is monotone in it: gallop down
    // from suffix_len (the match usually loses only a few tokens), O(log(drop + 1)) fresh
    // searches; the drops sum to at most the sequence's length, so a token costs O(1) searches
    // amortized. `prompt` takes the ranges of each success, the last of which is the answer's.
    for (std::size_t s = 0; s < shards_.size(); ++s) prompt[s] = shards_[s].all();
    prompt_cnt = token_count_;
    suffix_len = longest_occurring(0, suffix_len + 1, Gallop::down, [&](std::size_t len) {
      const std::uint64_t n = find_all(data + (i + 1 - len) * W, len * W, cont);
      if (n == 0) return false;
      prompt.swap(cont);
      prompt_cnt = n;
      return true;
    });
  }
  return scores;
}

template class Engine::Core<std::uint8_t>;
template class Engine::Core<std::uint16_t>;
template class Engine::Core<std::uint32_t>;

// Engine: checks, then forwards to the core of its token width.

namespace {

void check_shard(const ShardFiles& f, unsigned width) {
  if (f.pointer_width < 1 || f.pointer_width > 8)
    fail("{}: pointer width {} is not between 1 and 8 bytes", f.name, f.pointer_width);
  if (f.tokens.size() % width != 0)
    fail("{}: token data has {} bytes, not a multiple of the token width {}", f.name, f.tokens.size(), width);
  const std::uint64_t n_tokens = f.tokens.size() / width;
  if (f.table.size() != n_tokens * f.pointer_width)
    fail("{}: suffix array has {} bytes, expected {} ({} tokens x {} bytes)", f.name, f.table.size(),
         n_tokens * f.pointer_width, n_tokens, f.pointer_width);
  if (f.offsets.size() % 8 != 0)
    fail("{}: document offsets have {} bytes, not a multiple of 8", f.name, f.offsets.size());
  if (!f.metaoff.empty() && f.metaoff.size() != f.offsets.size())
    fail("{}: {} metadata offsets for {} documents", f.name, f.metaoff.size() / 8, f.offsets.size() / 8);
  if (n_tokens > 0 && f.offsets.empty()) fail("{}: token data but no document offsets", f.name);
  for (unsigned b = 0; b < width && b < f.tokens.size(); ++b)
    if (f.tokens[b] != 0xFF) fail("{}: token data does not start with a document separator", f.name);
}

}  // namespace

Engine::Engine(std::vector<ShardFiles> shards, EngineConfig config) : config_(config) {
  for (const auto& shard : shards) check_shard(shard, config.token_width);
  switch (config.token_width) {
    case 1:
      core_ = std::make_unique<Core<std::uint8_t>>(shards, config);
      break;
    case 2:
      core_ = std::make_unique<Core<std::uint16_t>>(shards, config);
      break;
    case 4:
      core_ = std::make_unique<Core<std::uint32_t>>(shards, config);
      break;
    default:
      fail("token width {} is not supported (1, 2 or 4 bytes)", config.token_width);
  }
  if (config.eos_id && *config.eos_id >= separator_id())
    fail("EOS id {} does not fit {}-byte tokens below the separator", *config.eos_id, config.token_width);
}

Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

std::uint32_t Engine::separator_id() const {
  return config_.token_width == 4 ? std::numeric_limits<std::uint32_t>::max()
                                  : (std::uint32_t{1} << (8 * config_.token_width)) - 1;
}
std::uint32_t Engine::end_of_doc_id() const { return config_.eos_id.value_or(separator_id()); }

std::size_t Engine::shard_count() const {
  return std::visit([](const auto& core) { return core->shard_count(); }, core_);
}
std::uint64_t Engine::token_count() const {
  return std::visit([](const auto& core) { return core->token_count(); }, core_);
}
std::uint64_t Engine::token_count(std::size_t shard) const {
  if (shard >= shard_count()) fail("shard {} does not exist (the index has {})", shard, shard_count());
  return std::visit([&](const auto& core) { return core->shard(shard).size(); }, core_);
}
std::uint64_t Engine::doc_count() const {
  return std::visit([](const auto& core) { return core->doc_count(); }, core_);
}

void Engine::check_ids(std::span<const std::uint32_t> ids, const char* what) const {
  const std::uint32_t sep = separator_id();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == sep) fail("{}: token id {} at position {} is the document separator", what, ids[i], i);
    if (ids[i] > sep)
      fail("{}: token id {} at position {} does not fit {}-byte tokens (at most {})", what, ids[i], i,
           config_.token_width, sep - 1);
  }
}

namespace {

// A continuation may be the separator id only when it stands for the end of a document (no EOS).
void check_cont(const Engine& engine, std::uint32_t cont) {
  if (cont == engine.separator_id() && !engine.eos_id()) return;
  const std::uint32_t one[] = {cont};
  engine.check_ids(one, "continuation");
}

}  // namespace

FindResult Engine::find(std::span<const std::uint32_t> ids) const {
  check_ids(ids, "query");
  return std::visit([&](const auto& core) { return core->find(ids); }, core_);
}

std::uint64_t Engine::count(std::span<const std::uint32_t> ids) const { return find(ids).count; }

ProbResult Engine::prob(std::span<const std::uint32_t> prompt, std::uint32_t cont) const {
  check_ids(prompt, "prompt");
  check_cont(*this, cont);
  return std::visit([&](const auto& core) { return core->prob(prompt, cont); }, core_);
}

NtdResult Engine::ntd(std::span<const std::uint32_t> prompt, std::uint64_t max_support, bool exact) const {
  check_ids(prompt, "prompt");
  if (max_support == 0 && !exact) fail("max_support must be at least 1");
  return std::visit([&](const auto& core) { return core->ntd(prompt, max_support, exact); }, core_);
}

InfgramProbResult Engine::infgram_prob(std::span<const std::uint32_t> prompt, std::uint32_t cont) const {
  check_ids(prompt, "prompt");
  check_cont(*this, cont);
  return std::visit([&](const auto& core) { return core->infgram_prob(prompt, cont); }, core_);
}

InfgramNtdResult Engine::infgram_ntd(std::span<const std::uint32_t> prompt, std::uint64_t max_support,
                                     bool exact) const {
  check_ids(prompt, "prompt");
  if (max_support == 0 && !exact) fail("max_support must be at least 1");
  return std::visit([&](const auto& core) { return core->infgram_ntd(prompt, max_support, exact); }, core_);
}

std::vector<TokenScore> Engine::score(std::span<const std::uint32_t> tokens) const {
  check_ids(tokens, "sequence");
  return std::visit([&](const auto& core) { return core->score(tokens); }, core_);
}

}  // namespace lmkit::ngram
