#include "lmkit/text/wordpiece.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "lmkit/text/utf8.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::text {

namespace {

// ---------------------------------------------------------------------------------------------------
// Character classes, as BERT's tokenization.py defines them

bool is_whitespace(utf8proc_int32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
  return utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

bool is_control(utf8proc_int32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  auto category = utf8proc_category(cp);
  return category == UTF8PROC_CATEGORY_CC || category == UTF8PROC_CATEGORY_CF;
}

bool is_punctuation(utf8proc_int32_t cp) {
  // All non-letter, non-digit ASCII symbols count, as in BERT ("$", "^", "`" are not Unicode P*).
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

// The CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana, which are written with spaces).
bool is_cjk(utf8proc_int32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

void append_utf8(std::string& out, utf8proc_int32_t cp) {
  utf8proc_uint8_t buffer[4];
  auto n = utf8proc_encode_char(cp, buffer);
  out.append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
}

// The code points of valid UTF-8 `text`.
std::vector<utf8proc_int32_t> code_points(std::string_view text) {
  std::vector<utf8proc_int32_t> out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  std::size_t i = 0;
  while (i < text.size()) {
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(text.size() - i), &cp);
    if (n <= 0) fail("text is not valid UTF-8 at byte {}", i);
    out.push_back(cp);
    i += static_cast<std::size_t>(n);
  }
  return out;
}

// Lowercase and / or strip accents of one word's code points.
std::vector<utf8proc_int32_t> normalize_word(const std::vector<utf8proc_int32_t>& word,
                                             const WordPieceOptions& options) {
  std::vector<utf8proc_int32_t> out;
  out.reserve(word.size());
  for (auto cp : word) {
    if (options.lowercase) cp = utf8proc_tolower(cp);
    if (!options.strip_accents) {
      out.push_back(cp);
      continue;
    }
    utf8proc_int32_t decomposed[16];
    utf8proc_int32_t boundclass = 0;
    auto n = utf8proc_decompose_char(cp, decomposed, 16, UTF8PROC_DECOMPOSE, &boundclass);
    if (n < 0 || n > 16) {
      out.push_back(cp);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k)
      if (utf8proc_category(decomposed[k]) != UTF8PROC_CATEGORY_MN) out.push_back(decomposed[k]);
  }
  return out;
}

std::string strip_prefix(const std::string& piece, const std::string& prefix) {
  return piece.starts_with(prefix) ? piece.substr(prefix.size()) : piece;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// The basic tokenizer

std::vector<std::string> bert_basic_tokenize(std::string_view text, const WordPieceOptions& options) {
  if (std::size_t bad = find_invalid_utf8(text); bad != text.size())
    fail("text is not valid UTF-8 at byte {}", bad);
  // Whitespace words (CJK ideographs each one on its own), after dropping control characters.
  std::vector<std::vector<utf8proc_int32_t>> coarse;
  std::vector<utf8proc_int32_t> current;
  auto flush = [&] {
    if (!current.empty()) coarse.push_back(std::move(current));
    current.clear();
  };
  for (auto cp : code_points(text)) {
    if (cp == 0 || cp == 0xFFFD || is_control(cp)) continue;
    if (is_whitespace(cp)) {
      flush();
    } else if (options.split_cjk && is_cjk(cp)) {
      flush();
      coarse.push_back({cp});
    } else {
      current.push_back(cp);
    }
  }
  flush();
  // Normalize each, then split punctuation off as words of its own.
  std::vector<std::string> words;
  for (const auto& word : coarse) {
    std::string piece;
    for (auto cp : normalize_word(word, options)) {
      if (is_punctuation(cp)) {
        if (!piece.empty()) words.push_back(std::move(piece));
        piece.clear();
        words.emplace_back();
        append_utf8(words.back(), cp);
      } else {
        append_utf8(piece, cp);
      }
    }
    if (!piece.empty()) words.push_back(std::move(piece));
  }
  return words;
}

// ---------------------------------------------------------------------------------------------------
// WordPiece

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options,
                                       std::string spec)
    : vocab_(std::move(vocab)), options_(std::move(options)), spec_(std::move(spec)) {
  for (std::size_t i = 0; i < vocab_.size(); ++i) {
    if (!ids_.emplace(vocab_[i], static_cast<std::uint32_t>(i)).second)
      fail("{}: piece \"{}\" appears twice in the vocabulary (ids {} and {})", spec_, vocab_[i],
           ids_[vocab_[i]], i);
  }
  auto unk = ids_.find(options_.unk_token);
  if (unk == ids_.end()) fail("{}: the vocabulary lacks the unknown token \"{}\"", spec_, options_.unk_token);
  unk_id_ = unk->second;
}

void WordPieceTokenizer::encode_word(std::string_view word, std::vector<std::uint32_t>& ids) const {
  // Byte offsets of the code point boundaries.
  std::vector<std::size_t> bounds;
  for (std::size_t i = 0; i < word.size();) {
    bounds.push_back(i);
    std::size_t n = utf8_sequence_length(word, i);
    i += n ? n : 1;
  }
  const std::size_t n_chars = bounds.size();
  bounds.push_back(word.size());
  if (n_chars > options_.max_input_chars_per_word) {
    ids.push_back(unk_id_);
    return;
  }
  const std::size_t first = ids.size();
  std::string candidate;
  for (std::size_t start = 0; start < n_chars;) {
    std::size_t end = n_chars;
    std::optional<std::uint32_t> found;
    for (; end > start; --end) {
      candidate.assign(start > 0 ? options_.continuing_prefix : std::string());
      candidate.append(word.substr(bounds[start], bounds[end] - bounds[start]));
      if (auto it = ids_.find(candidate); it != ids_.end()) {
        found = it->second;
        break;
      }
    }
    if (!found) {  // the whole word is unknown, not just its rest
      ids.resize(first);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(*found);
    start = end;
  }
}

std::vector<std::uint32_t> WordPieceTokenizer::encode(std::string_view text) const {
  std::vector<std::uint32_t> ids;
  for (const auto& word : bert_basic_tokenize(text, options_)) encode_word(word, ids);
  return ids;
}

std::vector<std::uint32_t> WordPieceTokenizer::encode_with_specials(std::string_view text) const {
  std::vector<std::uint32_t> ids;
  std::size_t done = 0;
  while (done < text.size()) {
    // The earliest special (the longest at a tie) at or after `done`.
    std::size_t at = std::string_view::npos, length = 0;
    std::uint32_t special_id = 0;
    for (const auto& special : bert_special_tokens) {
      auto it = ids_.find(special);
      if (it == ids_.end()) continue;
      std::size_t pos = text.find(special, done);
      if (pos < at || (pos == at && pos != std::string_view::npos && special.size() > length)) {
        at = pos, length = special.size(), special_id = it->second;
      }
    }
    auto segment = text.substr(done, at == std::string_view::npos ? std::string_view::npos : at - done);
    for (const auto& word : bert_basic_tokenize(segment, options_)) encode_word(word, ids);
    if (at == std::string_view::npos) break;
    ids.push_back(special_id);
    done = at + length;
  }
  return ids;
}

std::string WordPieceTokenizer::decode(std::span<const std::uint32_t> ids) const {
  std::string text;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string& p = vocab_.at(ids[i] < vocab_.size() ? ids[i] : 0);
    if (ids[i] >= vocab_.size())
      fail("token id {} at position {} is outside the vocabulary of {}", ids[i], i, vocab_.size());
    if (i > 0 && p.starts_with(options_.continuing_prefix) && p.size() > options_.continuing_prefix.size()) {
      text += p.substr(options_.continuing_prefix.size());
    } else {
      if (i > 0) text += ' ';
      text += p;
    }
  }
  return text;
}

std::string WordPieceTokenizer::piece(std::uint32_t id) const {
  if (id >= vocab_.size()) fail("token id {} is outside the vocabulary of {}", id, vocab_.size());
  return vocab_[id];
}

std::optional<std::uint32_t> WordPieceTokenizer::id_of(std::string_view piece) const {
  auto it = ids_.find(std::string(piece));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::uint32_t WordPieceTokenizer::required_id(std::string_view piece) const {
  auto id = id_of(piece);
  if (!id) fail("{}: the vocabulary lacks \"{}\"", spec_, piece);
  return *id;
}

SpecialTokens WordPieceTokenizer::specials() const {
  return {.eos = id_of("[SEP]"), .bos = id_of("[CLS]"), .pad = id_of("[PAD]"), .unk = unk_id_};
}

// ---------------------------------------------------------------------------------------------------
// Files

std::unique_ptr<WordPieceTokenizer> load_wordpiece_vocab(const std::string& vocab_txt,
                                                         const std::string& spec) {
  std::ifstream in(vocab_txt, std::ios::binary);
  if (!in) fail("{}: {}", vocab_txt, errno_message(errno));
  std::vector<std::string> vocab;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!is_valid_utf8(line)) fail("{}: line {} is not valid UTF-8", vocab_txt, vocab.size() + 1);
    vocab.push_back(line);
  }
  if (vocab.empty()) fail("{}: the vocabulary is empty", vocab_txt);
  WordPieceOptions options;
  const auto config_path = std::filesystem::path(vocab_txt).parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    const std::string where = config_path.string();
    Json config = read_json_file(where);
    options.lowercase = json_get_or<bool>(config, "do_lower_case", true, where);
    options.strip_accents = options.lowercase;
    if (config.contains("strip_accents") && !config["strip_accents"].is_null())
      options.strip_accents = json_get<bool>(config, "strip_accents", where);
    options.split_cjk = json_get_or<bool>(config, "tokenize_chinese_chars", true, where);
    options.unk_token = json_get_or<std::string>(config, "unk_token", "[UNK]", where);
  }
  return std::make_unique<WordPieceTokenizer>(std::move(vocab), options, spec);
}

bool is_wordpiece_tokenizer_json(const std::string& tokenizer_json) {
  Json json = read_json_file(tokenizer_json);
  return json.contains("model") && json["model"].is_object() && json["model"].contains("type") &&
         json["model"]["type"] == "WordPiece";
}

std::unique_ptr<WordPieceTokenizer> load_hf_wordpiece(const std::string& path, const std::string& spec) {
  Json json = read_json_file(path);
  if (!json.contains("model") || !json["model"].is_object()) fail("{}: no \"model\" object", path);
  const Json& model = json["model"];
  const std::string model_where = path + " model";
  if (json_get<std::string>(model, "type", model_where) != "WordPiece")
    fail("{}: model type is not WordPiece", path);
  WordPieceOptions options;
  options.unk_token = json_get_or<std::string>(model, "unk_token", "[UNK]", model_where);
  options.continuing_prefix = json_get_or<std::string>(model, "continuing_subword_prefix", "##", model_where);
  options.max_input_chars_per_word =
      json_get_or<std::size_t>(model, "max_input_chars_per_word", 100, model_where);
  if (!model.contains("vocab") || !model["vocab"].is_object()) fail("{}: model has no vocab object", path);
  const Json& vocab_json = model["vocab"];
  std::vector<std::string> vocab(vocab_json.size());
  std::vector<bool> seen(vocab.size(), false);
  for (const auto& [piece, id_json] : vocab_json.items()) {
    if (!id_json.is_number_unsigned() || id_json.get<std::uint64_t>() >= vocab.size())
      fail("{}: vocab id of \"{}\" is not an integer in [0, {})", path, piece, vocab.size());
    auto id = id_json.get<std::size_t>();
    if (seen[id]) fail("{}: vocab id {} is given twice", path, id);
    seen[id] = true;
    vocab[id] = piece;
  }
  const Json normalizer = json.value("normalizer", Json());
  if (normalizer.is_null()) {
    options.lowercase = options.strip_accents = options.split_cjk = false;
  } else {
    const std::string where = path + " normalizer";
    std::string type = json_get<std::string>(normalizer, "type", where);
    if (type != "BertNormalizer")
      fail("{}: normalizer \"{}\" is not supported with WordPiece (BertNormalizer or none)", path, type);
    options.lowercase = json_get_or<bool>(normalizer, "lowercase", true, where);
    options.strip_accents = options.lowercase;
    if (normalizer.contains("strip_accents") && !normalizer["strip_accents"].is_null())
      options.strip_accents = json_get<bool>(normalizer, "strip_accents", where);
    options.split_cjk = json_get_or<bool>(normalizer, "handle_chinese_chars", true, where);
  }
  const Json pre = json.value("pre_tokenizer", Json());
  if (pre.is_null() || json_get<std::string>(pre, "type", path + " pre_tokenizer") != "BertPreTokenizer")
    fail("{}: WordPiece needs the BertPreTokenizer pre_tokenizer", path);
  if (json.contains("added_tokens") && json["added_tokens"].is_array()) {
    for (const auto& added : json["added_tokens"]) {
      const std::string where = path + " added_tokens";
      auto id = json_get<std::size_t>(added, "id", where);
      auto content = json_get<std::string>(added, "content", where);
      if (id >= vocab.size() || vocab[id] != content)
        fail("{}: added token \"{}\" (id {}) is not the vocabulary's piece of that id", path, content, id);
    }
  }
  return std::make_unique<WordPieceTokenizer>(std::move(vocab), options, spec);
}

void write_wordpiece_vocab(const WordPieceTokenizer& tokenizer, const std::string& path) {
  std::string contents;
  for (const auto& piece : tokenizer.vocab()) {
    if (piece.find('\n') != std::string::npos) fail("{}: piece \"{}\" contains a newline", path, piece);
    contents += piece;
    contents += '\n';
  }
  write_file_atomic(path, contents);
}

void write_wordpiece_files(const WordPieceTokenizer& tokenizer, const std::string& dir,
                           std::size_t model_max_length) {
  write_wordpiece_vocab(tokenizer, dir + "/vocab.txt");
  write_hf_wordpiece_json(tokenizer, dir + "/tokenizer.json");
  const WordPieceOptions& o = tokenizer.options();
  Json config = {{"tokenizer_class", "BertTokenizerFast"},
                 {"do_lower_case", o.lowercase},
                 {"strip_accents", o.strip_accents},
                 {"tokenize_chinese_chars", o.split_cjk},
                 {"unk_token", o.unk_token},
                 {"sep_token", "[SEP]"},
                 {"pad_token", "[PAD]"},
                 {"cls_token", "[CLS]"},
                 {"mask_token", "[MASK]"}};
  if (model_max_length != 0) config["model_max_length"] = model_max_length;
  write_json_file(dir + "/tokenizer_config.json", config);
}

void write_hf_wordpiece_json(const WordPieceTokenizer& tokenizer, const std::string& path) {
  const WordPieceOptions& o = tokenizer.options();
  Json vocab = Json::object();
  for (std::size_t i = 0; i < tokenizer.vocab().size(); ++i) vocab[tokenizer.vocab()[i]] = i;
  Json added = Json::array();
  for (const auto& special : bert_special_tokens) {
    if (auto id = tokenizer.id_of(special))
      added.push_back({{"id", *id},
                       {"content", special},
                       {"single_word", false},
                       {"lstrip", false},
                       {"rstrip", false},
                       {"normalized", false},
                       {"special", true}});
  }
  Json post = nullptr;
  auto cls = tokenizer.id_of("[CLS]"), sep = tokenizer.id_of("[SEP]");
  if (cls && sep) {
    post = {{"type", "TemplateProcessing"},
            {"single",
             {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
              {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}}}},
            {"pair",
             {{{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}},
              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
              {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 0}}}},
              {{"Sequence", {{"id", "B"}, {"type_id", 1}}}},
              {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 1}}}}}},
            {"special_tokens",
             {{"[CLS]", {{"id", "[CLS]"}, {"ids", {*cls}}, {"tokens", {"[CLS]"}}}},
              {"[SEP]", {{"id", "[SEP]"}, {"ids", {*sep}}, {"tokens", {"[SEP]"}}}}}}};
  }
  Json json = {{"version", "1.0"},
               {"truncation", nullptr},
               {"padding", nullptr},
               {"added_tokens", added},
               {"normalizer",
                {{"type", "BertNormalizer"},
                 {"clean_text", true},
                 {"handle_chinese_chars", o.split_cjk},
                 {"strip_accents", o.strip_accents},
                 {"lowercase", o.lowercase}}},
               {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
               {"post_processor", post},
               {"decoder", {{"type", "WordPiece"}, {"prefix", o.continuing_prefix}, {"cleanup", true}}},
               {"model",
                {{"type", "WordPiece"},
                 {"unk_token", o.unk_token},
                 {"continuing_subword_prefix", o.continuing_prefix},
                 {"max_input_chars_per_word", o.max_input_chars_per_word},
                 {"vocab", vocab}}}};
  write_json_file(path, json);
}

// ---------------------------------------------------------------------------------------------------
// Training

std::vector<std::string> train_wordpiece_vocab(const std::unordered_map<std::string, std::uint64_t>& words,
                                               const WordPieceTrainOptions& options) {
  const std::string& prefix = options.tokenizer.continuing_prefix;
  // Symbols: every piece string gets an id; words are sequences of symbol ids.
  std::vector<std::string> symbols;
  std::unordered_map<std::string, std::uint32_t> symbol_ids;
  auto symbol_of = [&](const std::string& s) {
    auto [it, inserted] = symbol_ids.emplace(s, static_cast<std::uint32_t>(symbols.size()));
    if (inserted) symbols.push_back(s);
    return it->second;
  };
  std::vector<std::pair<std::string, std::uint64_t>> sorted(words.begin(), words.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<std::uint32_t>> split;  // per word, its current pieces
  std::vector<std::uint64_t> counts;
  for (const auto& [word, count] : sorted) {
    std::vector<std::uint32_t> pieces;
    for (std::size_t i = 0; i < word.size();) {
      std::size_t n = utf8_sequence_length(word, i);
      if (n == 0) fail("training word \"{}\" is not valid UTF-8", word);
      pieces.push_back(symbol_of((i > 0 ? prefix : std::string()) + word.substr(i, n)));
      i += n;
    }
    split.push_back(std::move(pieces));
    counts.push_back(count);
  }
  std::vector<std::string> vocab = bert_special_tokens;
  std::unordered_map<std::string, bool> in_vocab;
  for (const auto& s : vocab) in_vocab[s] = true;
  std::vector<std::string> alphabet = symbols;
  std::sort(alphabet.begin(), alphabet.end());
  for (const auto& s : alphabet)
    if (in_vocab.emplace(s, true).second) vocab.push_back(s);

  auto key = [](std::uint32_t a, std::uint32_t b) { return (static_cast<std::uint64_t>(a) << 32) | b; };
  std::unordered_map<std::uint64_t, std::uint64_t> pair_counts;
  auto add_pairs = [&](const std::vector<std::uint32_t>& pieces, std::uint64_t count, bool add) {
    for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
      auto k = key(pieces[i], pieces[i + 1]);
      if (add) {
        pair_counts[k] += count;
      } else if ((pair_counts[k] -= count) == 0) {
        pair_counts.erase(k);
      }
    }
  };
  for (std::size_t w = 0; w < split.size(); ++w) add_pairs(split[w], counts[w], true);

  while (vocab.size() < options.vocab_size && !pair_counts.empty()) {
    std::uint64_t best_key = 0, best_count = 0;
    for (const auto& [k, count] : pair_counts) {
      if (count < best_count) continue;
      if (count == best_count) {
        auto a = symbols[k >> 32], b = symbols[k & 0xffffffffu];
        auto ba = symbols[best_key >> 32], bb = symbols[best_key & 0xffffffffu];
        if (std::tie(a, b) >= std::tie(ba, bb)) continue;
      }
      best_key = k, best_count = count;
    }
    if (best_count < std::max<std::uint64_t>(1, options.min_frequency)) break;
    const std::uint32_t left = static_cast<std::uint32_t>(best_key >> 32);
    const std::uint32_t right = static_cast<std::uint32_t>(best_key & 0xffffffffu);
    const std::string merged = symbols[left] + strip_prefix(symbols[right], prefix);
    const std::uint32_t merged_id = symbol_of(merged);
    if (in_vocab.emplace(merged, true).second) vocab.push_back(merged);
    for (std::size_t w = 0; w < split.size(); ++w) {
      auto& pieces = split[w];
      bool has = false;
      for (std::size_t i = 0; i + 1 < pieces.size() && !has; ++i)
        has = pieces[i] == left && pieces[i + 1] == right;
      if (!has) continue;
      add_pairs(pieces, counts[w], false);
      std::vector<std::uint32_t> next;
      for (std::size_t i = 0; i < pieces.size(); ++i) {
        if (i + 1 < pieces.size() && pieces[i] == left && pieces[i + 1] == right) {
          next.push_back(merged_id);
          ++i;
        } else {
          next.push_back(pieces[i]);
        }
      }
      pieces = std::move(next);
      add_pairs(pieces, counts[w], true);
    }
  }
  return vocab;
}

}  // namespace lmkit::text
