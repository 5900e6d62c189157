#include "lmkit/text/byte_level_bpe.hpp"

#include <algorithm>
#include <array>
#include <atomic>

#include "lmkit/text/utf8.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::text {

namespace {

// GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the other 68 bytes for
// code points 256, 257, ... in byte order.
struct ByteAlphabet {
  std::array<std::uint32_t, 256> code_point_of_byte{};
  std::array<std::string, 256> utf8_of_byte;
  std::unordered_map<std::uint32_t, std::uint8_t> byte_of_code_point;

  ByteAlphabet() {
    std::uint32_t next_extra = 256;
    for (std::uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const std::uint32_t cp = printable ? b : next_extra++;
      code_point_of_byte[b] = cp;
      // Every code point here is below 0x800: one or two UTF-8 bytes.
      utf8_of_byte[b] =
          cp < 0x80 ? std::string(1, static_cast<char>(cp))
                    : std::string{static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
      byte_of_code_point[cp] = static_cast<std::uint8_t>(b);
    }
  }
};

const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

std::atomic<std::uint64_t> g_next_cache_owner{1};

// Per-thread cache of word → ids. Entries belong to one tokenizer at a time (cache_owner_); a
// different tokenizer on the same thread starts it afresh. Cleared when it grows past a bound.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct WordCache {
  static constexpr std::size_t kMaxEntries = 1 << 18;
  static constexpr std::size_t kMaxWordBytes = 128;  // longer words are rare and not cached
  std::uint64_t owner = 0;
  std::unordered_map<std::string, std::pair<std::uint32_t, std::uint32_t>, StringHash, std::equal_to<>>
      span_of_word;  // word → (offset, count) in ids
  std::vector<std::uint32_t> ids;
};

WordCache& thread_word_cache(std::uint64_t owner) {
  thread_local WordCache cache;
  if (cache.owner != owner || cache.span_of_word.size() >= WordCache::kMaxEntries) {
    cache.owner = owner;
    cache.span_of_word.clear();
    cache.ids.clear();
  }
  return cache;
}

}  // namespace

std::string byte_to_piece_char(std::uint8_t b) { return byte_alphabet().utf8_of_byte[b]; }

std::string bytes_to_piece(std::string_view bytes) {
  std::string piece;
  piece.reserve(bytes.size() * 2);
  for (char c : bytes) piece += byte_alphabet().utf8_of_byte[static_cast<std::uint8_t>(c)];
  return piece;
}

std::optional<std::string> piece_to_bytes(std::string_view piece) {
  const auto& alphabet = byte_alphabet();
  std::string bytes;
  std::size_t i = 0;
  while (i < piece.size()) {
    const std::size_t length = utf8_sequence_length(piece, i);
    if (length == 0 || length > 2) return std::nullopt;
    const auto b0 = static_cast<std::uint8_t>(piece[i]);
    const std::uint32_t cp =
        length == 1 ? b0 : ((b0 & 0x1Fu) << 6) | (static_cast<std::uint8_t>(piece[i + 1]) & 0x3Fu);
    auto it = alphabet.byte_of_code_point.find(cp);
    if (it == alphabet.byte_of_code_point.end()) return std::nullopt;
    bytes += static_cast<char>(it->second);
    i += length;
  }
  return bytes;
}

ByteLevelBpe::ByteLevelBpe(ByteLevelBpeConfig config)
    : pieces_(std::move(config.pieces)),
      merges_(std::move(config.merges)),
      added_tokens_(std::move(config.added_tokens)),
      pretokenizer_(std::move(config.pattern)),
      add_prefix_space_(config.add_prefix_space),
      ignore_merges_(config.ignore_merges),
      specials_(config.specials),
      spec_(std::move(config.spec)),
      cache_owner_(g_next_cache_owner.fetch_add(1)) {
  const std::string& source = config.source;
  if (pieces_.size() > UINT32_MAX) fail("{}: vocabulary too large", source);
  std::vector<bool> is_added(pieces_.size(), false);
  for (const auto& token : added_tokens_) {
    if (token.id >= pieces_.size())
      fail("{}: added token {:?} has id {} outside the vocabulary", source, token.content, token.id);
    is_added[token.id] = true;
  }
  id_bytes_.resize(pieces_.size());
  piece_ids_.reserve(pieces_.size());
  for (std::uint32_t id = 0; id < pieces_.size(); ++id) {
    piece_ids_.emplace(pieces_[id], id);
    if (is_added[id]) {
      id_bytes_[id] = pieces_[id];  // added tokens decode to their literal text
      continue;
    }
    auto bytes = piece_to_bytes(pieces_[id]);
    if (!bytes)
      fail("{}: vocabulary entry {:?} (id {}) is not written in the byte-level alphabet", source, pieces_[id],
           id);
    id_bytes_[id] = *bytes;
    bytes_ids_.emplace(*bytes, id);
  }
  for (std::uint32_t b = 0; b < 256; ++b) {
    auto it = piece_ids_.find(byte_to_piece_char(static_cast<std::uint8_t>(b)));
    if (it == piece_ids_.end())
      fail("{}: the vocabulary has no token for byte 0x{:02x} ({:?}); byte-level BPE needs all 256", source,
           b, byte_to_piece_char(static_cast<std::uint8_t>(b)));
    byte_ids_[b] = it->second;
  }
  merge_of_pair_.reserve(merges_.size());
  for (std::uint32_t rank = 0; rank < merges_.size(); ++rank) {
    const auto& [left, right] = merges_[rank];
    auto left_id = piece_ids_.find(left), right_id = piece_ids_.find(right),
         merged_id = piece_ids_.find(left + right);
    if (left_id == piece_ids_.end() || right_id == piece_ids_.end() || merged_id == piece_ids_.end())
      fail("{}: merge {} \"{} {}\" uses a piece that is not in the vocabulary", source, rank + 1, left,
           right);
    const std::uint64_t key = (std::uint64_t{left_id->second} << 32) | right_id->second;
    merge_of_pair_.emplace(key, Merge{rank, merged_id->second});  // a repeated pair keeps its first rank
  }
}

ByteLevelBpe::~ByteLevelBpe() = default;

const ByteLevelBpe::Merge* ByteLevelBpe::find_merge(std::uint32_t left, std::uint32_t right) const {
  auto it = merge_of_pair_.find((std::uint64_t{left} << 32) | right);
  return it == merge_of_pair_.end() ? nullptr : &it->second;
}

std::vector<std::uint32_t> ByteLevelBpe::bpe_word(std::string_view word) const {
  if (ignore_merges_) {
    if (auto it = bytes_ids_.find(std::string(word)); it != bytes_ids_.end()) return {it->second};
  }
  // Symbols form a linked list over the word's bytes; candidate merges sit in a min-heap ordered by
  // (rank, position), so equal pairs merge from left to right as in GPT-2's pass over the word.
  struct Symbol {
    std::uint32_t id;
    std::int32_t prev, next;  // -1: none
  };
  struct Candidate {
    std::uint32_t rank, left_pos, left_id, right_id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : left_pos > other.left_pos;
    }
  };
  const auto n = static_cast<std::int32_t>(word.size());
  std::vector<Symbol> symbols(word.size());
  for (std::int32_t i = 0; i < n; ++i)
    symbols[i] = {byte_ids_[static_cast<std::uint8_t>(word[i])], i - 1, i + 1 < n ? i + 1 : -1};
  std::vector<Candidate> heap;
  auto consider = [&](std::int32_t left) {
    if (left < 0) return;
    const std::int32_t right = symbols[left].next;
    if (right < 0) return;
    if (const Merge* merge = find_merge(symbols[left].id, symbols[right].id)) {
      heap.push_back({merge->rank, static_cast<std::uint32_t>(left), symbols[left].id, symbols[right].id});
      std::push_heap(heap.begin(), heap.end(), std::greater<>());
    }
  };
  for (std::int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    const Candidate candidate = heap.back();
    heap.pop_back();
    auto& left = symbols[candidate.left_pos];
    // Stale when either symbol changed since the candidate was pushed (or the left one was merged away).
    if (left.id != candidate.left_id || left.next < 0 || symbols[left.next].id != candidate.right_id)
      continue;
    const std::int32_t right_pos = left.next;
    left.id = find_merge(candidate.left_id, candidate.right_id)->merged_id;
    left.next = symbols[right_pos].next;
    if (left.next >= 0) symbols[left.next].prev = static_cast<std::int32_t>(candidate.left_pos);
    symbols[right_pos].id = UINT32_MAX;  // merged away: never matches a candidate again
    consider(left.prev);
    consider(static_cast<std::int32_t>(candidate.left_pos));
  }
  std::vector<std::uint32_t> ids;
  for (std::int32_t i = 0; i >= 0 && i < n; i = symbols[i].next) ids.push_back(symbols[i].id);
  return ids;
}

std::vector<std::uint32_t> ByteLevelBpe::bpe_word_reference(std::string_view word) const {
  // openai/gpt-2 encoder.py bpe(): find the lowest-ranked pair, merge every occurrence of it from
  // left to right, repeat until no pair has a rank.
  std::vector<std::string> parts;
  for (char c : word) parts.push_back(byte_to_piece_char(static_cast<std::uint8_t>(c)));
  if (ignore_merges_ && piece_ids_.count(bytes_to_piece(word))) parts = {bytes_to_piece(word)};
  while (parts.size() > 1) {
    std::uint32_t best_rank = UINT32_MAX;
    std::pair<std::string, std::string> best;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      auto left = piece_ids_.find(parts[i]), right = piece_ids_.find(parts[i + 1]);
      if (left == piece_ids_.end() || right == piece_ids_.end()) continue;
      const Merge* merge = find_merge(left->second, right->second);
      if (merge && merge->rank < best_rank) {
        best_rank = merge->rank;
        best = {parts[i], parts[i + 1]};
      }
    }
    if (best_rank == UINT32_MAX) break;
    std::vector<std::string> merged;
    for (std::size_t i = 0; i < parts.size();) {
      if (i + 1 < parts.size() && parts[i] == best.first && parts[i + 1] == best.second) {
        merged.push_back(best.first + best.second);
        i += 2;
      } else {
        merged.push_back(parts[i]);
        i += 1;
      }
    }
    parts = std::move(merged);
  }
  std::vector<std::uint32_t> ids;
  ids.reserve(parts.size());
  for (const auto& part : parts) ids.push_back(piece_ids_.at(part));
  return ids;
}

void ByteLevelBpe::encode_word(std::string_view word, std::vector<std::uint32_t>& ids) const {
  if (word.size() == 1) {
    ids.push_back(byte_ids_[static_cast<std::uint8_t>(word[0])]);
    return;
  }
  if (word.size() > WordCache::kMaxWordBytes) {
    auto word_ids = bpe_word(word);
    ids.insert(ids.end(), word_ids.begin(), word_ids.end());
    return;
  }
  WordCache& cache = thread_word_cache(cache_owner_);
  if (auto it = cache.span_of_word.find(word); it != cache.span_of_word.end()) {
    const auto [offset, count] = it->second;
    ids.insert(ids.end(), cache.ids.begin() + offset, cache.ids.begin() + offset + count);
    return;
  }
  auto word_ids = bpe_word(word);
  cache.span_of_word.emplace(std::string(word), std::pair{static_cast<std::uint32_t>(cache.ids.size()),
                                                          static_cast<std::uint32_t>(word_ids.size())});
  cache.ids.insert(cache.ids.end(), word_ids.begin(), word_ids.end());
  ids.insert(ids.end(), word_ids.begin(), word_ids.end());
}

void ByteLevelBpe::encode_valid(std::string_view text, std::vector<std::uint32_t>& ids) const {
  thread_local std::vector<std::string_view> words;
  words.clear();
  pretokenizer_.split(text, words);
  for (auto word : words) encode_word(word, ids);
}

void ByteLevelBpe::encode_text(std::string_view text, std::vector<std::uint32_t>& ids) const {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t bad = pos + find_invalid_utf8(text.substr(pos));
    if (bad > pos) encode_valid(text.substr(pos, bad - pos), ids);
    if (bad == text.size()) break;
    std::size_t end = bad;
    while (end < text.size() && utf8_sequence_length(text, end) == 0) ++end;
    encode_word(text.substr(bad, end - bad), ids);
    pos = end;
  }
}

std::vector<std::uint32_t> ByteLevelBpe::encode(std::string_view text) const {
  std::vector<std::uint32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  if (add_prefix_space_ && (text.empty() || text[0] != ' ')) {
    std::string spaced = " ";
    spaced += text;
    encode_text(spaced, ids);
  } else {
    encode_text(text, ids);
  }
  return ids;
}

std::vector<std::uint32_t> ByteLevelBpe::encode_with_specials(std::string_view text) const {
  std::vector<std::uint32_t> ids;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // The earliest added token in the rest of the text (the longest one when several start there).
    std::size_t found = std::string_view::npos;
    const AddedToken* token = nullptr;
    for (const auto& candidate : added_tokens_) {
      if (candidate.content.empty()) continue;
      const std::size_t at = text.find(candidate.content, pos);
      if (at < found ||
          (at == found && at != std::string_view::npos && candidate.content.size() > token->content.size())) {
        found = at;
        token = &candidate;
      }
    }
    auto part = text.substr(pos, found == std::string_view::npos ? std::string_view::npos : found - pos);
    if (!part.empty()) {
      auto part_ids = encode(part);
      ids.insert(ids.end(), part_ids.begin(), part_ids.end());
    }
    if (!token) break;
    ids.push_back(token->id);
    pos = found + token->content.size();
  }
  return ids;
}

std::string ByteLevelBpe::decode(std::span<const std::uint32_t> ids) const {
  std::string text;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] >= id_bytes_.size())
      fail("token id {} at position {} is outside the vocabulary (size {})", ids[i], i, id_bytes_.size());
    text += id_bytes_[ids[i]];
  }
  return text;
}

std::string ByteLevelBpe::piece(std::uint32_t id) const {
  if (id >= pieces_.size()) fail("token id {} is outside the vocabulary (size {})", id, pieces_.size());
  return pieces_[id];
}

std::optional<std::uint32_t> ByteLevelBpe::id_of(std::string_view piece) const {
  auto it = piece_ids_.find(std::string(piece));
  if (it == piece_ids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace lmkit::text
