#include "lmkit/text/bpe_trainer.hpp"

#include <queue>
#include <tuple>

#include "lmkit/text/pretokenizer.hpp"
#include "lmkit/text/utf8.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::text {

namespace {

constexpr std::size_t kBatchBytes = 8 << 20;

std::uint64_t pair_key(std::uint32_t left, std::uint32_t right) {
  return (std::uint64_t{left} << 32) | right;
}

}  // namespace

WordCounts count_words(CorpusReader& reader, const std::string& pattern,
                       const std::function<void(const CorpusReader&)>& on_batch) {
  const Pretokenizer pretokenizer(pattern);
  auto& pool = ThreadPool::global();
  WordCounts total;
  std::vector<Document> batch;
  std::vector<WordCounts> partial(pool.size());
  bool more = true;
  while (more) {
    batch.clear();
    std::size_t bytes = 0;
    Document doc;
    while (bytes < kBatchBytes && (more = reader.next(doc))) {
      bytes += doc.text.size();
      batch.push_back(std::move(doc));
      doc = Document();
    }
    // Each part counts its documents into its own map; the maps are then summed in order.
    pool.run(partial.size(), [&](std::size_t part) {
      std::vector<std::string_view> words;
      for (std::size_t i = part; i < batch.size(); i += partial.size()) {
        words.clear();
        pretokenizer.split(batch[i].text, words);  // CorpusReader yields valid UTF-8 only
        for (auto word : words) ++partial[part][std::string(word)];
      }
    });
    for (auto& counts : partial) {
      for (auto& [word, count] : counts) total[word] += count;
      counts.clear();
    }
    if (on_batch) on_batch(reader);
  }
  return total;
}

void check_bpe_train_options(const BpeTrainOptions& options) {
  for (const auto& special : options.special_tokens)
    if (special.empty() || !is_valid_utf8(special))
      invalid_argument("special_tokens", fmt::format("{:?}", special),
                       "a special token must be non-empty UTF-8");
  const std::uint64_t minimum = 256 + std::uint64_t{options.special_tokens.size()};
  if (options.vocab_size < minimum)
    invalid_argument("vocab_size", options.vocab_size,
                     "must be at least {}: byte-level BPE needs the 256 bytes plus {} special tokens",
                     minimum, options.special_tokens.size());
}

std::unique_ptr<ByteLevelBpe> train_byte_level_bpe(const WordCounts& word_counts,
                                                   const BpeTrainOptions& options, const std::string& spec) {
  check_bpe_train_options(options);
  const std::uint32_t n_specials = static_cast<std::uint32_t>(options.special_tokens.size());
  const std::uint32_t max_tokens = options.vocab_size - n_specials;

  // Token bytes by id: the 256 bytes, then one new token per merge.
  std::vector<std::string> token_bytes;
  token_bytes.reserve(max_tokens);
  for (int b = 0; b < 256; ++b) token_bytes.push_back(std::string(1, static_cast<char>(b)));
  std::unordered_map<std::string, std::uint32_t> id_of_bytes;
  for (std::uint32_t id = 0; id < 256; ++id) id_of_bytes[token_bytes[id]] = id;

  // Words sorted by their bytes, so that training does not depend on hash-map order.
  struct Word {
    std::vector<std::uint32_t> symbols;
    std::uint64_t count;
  };
  std::vector<std::pair<std::string, std::uint64_t>> sorted(word_counts.begin(), word_counts.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<Word> words;
  words.reserve(sorted.size());
  for (const auto& [bytes, count] : sorted) {
    Word word{{}, count};
    for (char c : bytes) word.symbols.push_back(static_cast<std::uint8_t>(c));
    words.push_back(std::move(word));
  }

  std::unordered_map<std::uint64_t, std::int64_t> pair_count;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> words_with_pair;
  auto add_pairs = [&](std::uint32_t w, std::int64_t sign) {
    const auto& symbols = words[w].symbols;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      const std::uint64_t key = pair_key(symbols[i], symbols[i + 1]);
      pair_count[key] += sign * static_cast<std::int64_t>(words[w].count);
      if (sign > 0) words_with_pair[key].push_back(w);
    }
  };
  for (std::uint32_t w = 0; w < words.size(); ++w) add_pairs(w, +1);

  // Max-heap of (count, pair) with lazy deletion: an entry is current when its count still matches.
  // Among equal counts the smaller key (lower left id, then lower right id) comes first.
  using Entry = std::pair<std::int64_t, std::uint64_t>;
  auto lower_priority = [](const Entry& a, const Entry& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  };
  std::priority_queue<Entry, std::vector<Entry>, decltype(lower_priority)> heap(lower_priority);
  for (const auto& [key, count] : pair_count) heap.push({count, key});

  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<std::uint32_t> seen_in_merge(words.size(), UINT32_MAX);
  while (token_bytes.size() < max_tokens && !heap.empty()) {
    const auto [count, key] = heap.top();
    heap.pop();
    auto it = pair_count.find(key);
    if (it == pair_count.end() || it->second != count) continue;  // stale
    if (count < static_cast<std::int64_t>(options.min_frequency) || count <= 0) break;
    const auto left = static_cast<std::uint32_t>(key >> 32), right = static_cast<std::uint32_t>(key);
    const std::string merged_bytes = token_bytes[left] + token_bytes[right];
    std::uint32_t merged;
    if (auto existing = id_of_bytes.find(merged_bytes); existing != id_of_bytes.end()) {
      merged = existing->second;  // the same bytes reached by another pair: one token
    } else {
      merged = static_cast<std::uint32_t>(token_bytes.size());
      token_bytes.push_back(merged_bytes);
      id_of_bytes[merged_bytes] = merged;
    }
    merges.emplace_back(bytes_to_piece(token_bytes[left]), bytes_to_piece(token_bytes[right]));

    // Re-count the pairs of every word holding the pair, merging it there from left to right.
    const auto merge_index = static_cast<std::uint32_t>(merges.size() - 1);
    std::vector<std::uint32_t> affected = std::move(words_with_pair[key]);
    words_with_pair.erase(key);
    std::vector<std::uint64_t> changed;
    for (std::uint32_t w : affected) {
      if (seen_in_merge[w] == merge_index) continue;
      seen_in_merge[w] = merge_index;
      auto& symbols = words[w].symbols;
      bool has_pair = false;
      for (std::size_t i = 0; i + 1 < symbols.size() && !has_pair; ++i)
        has_pair = symbols[i] == left && symbols[i + 1] == right;
      if (!has_pair) continue;
      for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
        changed.push_back(pair_key(symbols[i], symbols[i + 1]));
      add_pairs(w, -1);
      std::vector<std::uint32_t> next;
      for (std::size_t i = 0; i < symbols.size();) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          next.push_back(merged);
          i += 2;
        } else {
          next.push_back(symbols[i++]);
        }
      }
      symbols = std::move(next);
      add_pairs(w, +1);
      for (std::size_t i = 0; i + 1 < symbols.size(); ++i)
        changed.push_back(pair_key(symbols[i], symbols[i + 1]));
    }
    pair_count.erase(key);
    std::sort(changed.begin(), changed.end());
    changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
    for (std::uint64_t changed_key : changed) {
      auto count_it = pair_count.find(changed_key);
      if (count_it == pair_count.end()) continue;
      if (count_it->second <= 0) {
        pair_count.erase(count_it);
        words_with_pair.erase(changed_key);
        continue;
      }
      heap.push({count_it->second, changed_key});
    }
  }

  ByteLevelBpeConfig config;
  config.spec = spec;
  config.source = spec;
  config.pattern = options.pattern;
  for (const auto& bytes : token_bytes) config.pieces.push_back(bytes_to_piece(bytes));
  config.merges = std::move(merges);
  for (const auto& special : options.special_tokens) {
    const auto id = static_cast<std::uint32_t>(config.pieces.size());
    config.pieces.push_back(special);
    config.added_tokens.push_back({special, id, true});
  }
  if (!options.special_tokens.empty()) config.specials.eos = config.added_tokens.front().id;
  return std::make_unique<ByteLevelBpe>(std::move(config));
}

}  // namespace lmkit::text
