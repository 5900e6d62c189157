#include "lmkit/text/bpe_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lmkit/text/data_files.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/json_fields.hpp"

namespace lmkit::text {

namespace fs = std::filesystem;

namespace {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open: {}", path, errno_message(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Pieces by id from a piece → id object; ids must be 0..n-1 without holes.
std::vector<std::string> pieces_from_vocab(const Json& vocab, std::size_t extra_ids,
                                           const std::string& source) {
  if (!vocab.is_object()) fail("{}: the vocabulary is not a JSON object of piece → id", source);
  std::vector<std::string> pieces;
  std::vector<bool> seen;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_unsigned())
      fail("{}: vocabulary entry {:?} has no integer id", source, it.key());
    const auto id = it.value().get<std::uint64_t>();
    if (id >= vocab.size() + extra_ids)
      fail("{}: vocabulary id {} of {:?} leaves holes in the ids", source, id, it.key());
    if (id >= pieces.size()) {
      pieces.resize(id + 1);
      seen.resize(id + 1);
    }
    if (seen[id])
      fail("{}: vocabulary id {} is used twice ({:?} and {:?})", source, id, pieces[id], it.key());
    seen[id] = true;
    pieces[id] = it.key();
  }
  return pieces;
}

SpecialTokens specials_by_name(const ByteLevelBpeConfig& config) {
  SpecialTokens specials;
  for (const auto& token : config.added_tokens) {
    const std::string& name = token.content;
    if (!specials.eos && (name == "<|endoftext|>" || name == "</s>" || name == "<eos>" ||
                          name == "<|end_of_text|>" || name == "<|eot_id|>"))
      specials.eos = token.id;
    if (!specials.bos &&
        (name == "<s>" || name == "<bos>" || name == "<|begin_of_text|>" || name == "<|startoftext|>"))
      specials.bos = token.id;
    if (!specials.pad && (name == "<pad>" || name == "<|padding|>" || name == "[PAD]"))
      specials.pad = token.id;
    if (!specials.unk && (name == "<unk>" || name == "[UNK]")) specials.unk = token.id;
  }
  return specials;
}

// tokenizer_config.json names its specials as strings or as {"content": ...} objects.
std::optional<std::string> config_token_name(const Json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  return std::nullopt;
}

SpecialTokens specials_of(const ByteLevelBpeConfig& config, const std::string& tokenizer_config_path) {
  if (tokenizer_config_path.empty() || !fs::exists(tokenizer_config_path)) return specials_by_name(config);
  const Json tokenizer_config = read_json_file(tokenizer_config_path);
  auto id_of_name = [&](const char* key) -> std::optional<std::uint32_t> {
    auto name = config_token_name(tokenizer_config, key);
    if (!name) return std::nullopt;
    for (const auto& token : config.added_tokens)
      if (token.content == *name) return token.id;
    for (std::uint32_t id = 0; id < config.pieces.size(); ++id)
      if (config.pieces[id] == *name) return id;
    fail("{}: {} {:?} is not in the vocabulary", tokenizer_config_path, key, *name);
  };
  return {id_of_name("eos_token"), id_of_name("bos_token"), id_of_name("pad_token"), id_of_name("unk_token")};
}

// The pre-tokenizer pattern of a tokenizer.json: GPT-2's for ByteLevel(use_regex), or the Split
// pattern of Sequence[Split(Regex, Isolated), ByteLevel(use_regex=false)].
std::string pattern_of(const Json& pre_tokenizer, bool& add_prefix_space, const std::string& source) {
  auto unsupported = [&] {
    fail(
        "{}: unsupported pre_tokenizer {} (lmkit reads ByteLevel, or Split(Regex, Isolated) then "
        "ByteLevel without regex)",
        source, pre_tokenizer.dump());
  };
  if (!pre_tokenizer.is_object()) unsupported();
  const auto type = json_get_or<std::string>(pre_tokenizer, "type", "", source);
  if (type == "ByteLevel") {
    if (!json_get_or<bool>(pre_tokenizer, "use_regex", true, source)) unsupported();
    add_prefix_space = json_get_or<bool>(pre_tokenizer, "add_prefix_space", false, source);
    return std::string(kGpt2Pattern);
  }
  if (type != "Sequence") unsupported();
  const Json steps = json_get<Json>(pre_tokenizer, "pretokenizers", source);
  if (!steps.is_array() || steps.size() != 2) unsupported();
  const auto& split = steps[0];
  const auto& byte_level = steps[1];
  if (json_get_or<std::string>(split, "type", "", source) != "Split" ||
      json_get_or<std::string>(split, "behavior", "", source) != "Isolated" ||
      json_get_or<bool>(split, "invert", false, source) || !split.contains("pattern") ||
      !split["pattern"].contains("Regex") ||
      json_get_or<std::string>(byte_level, "type", "", source) != "ByteLevel" ||
      json_get_or<bool>(byte_level, "use_regex", true, source))
    unsupported();
  add_prefix_space = json_get_or<bool>(byte_level, "add_prefix_space", false, source);
  return json_get<std::string>(split["pattern"], "Regex", source + " pre_tokenizer pattern");
}

}  // namespace

std::string gpt2_files_dir() {
  static const std::vector<std::string> files{"encoder.json", "vocab.bpe"};
  return find_data_dir(data_dirs(), "gpt2", files);
}

std::unique_ptr<ByteLevelBpe> load_gpt2_bpe(const std::string& encoder_json, const std::string& vocab_bpe,
                                            const std::string& spec) {
  ByteLevelBpeConfig config;
  config.source = vocab_bpe;
  config.spec = spec;
  config.pieces = pieces_from_vocab(read_json_file(encoder_json), 0, encoder_json);
  const std::string merges_text = read_text_file(vocab_bpe);
  std::size_t line_number = 0, pos = 0;
  while (pos < merges_text.size()) {
    std::size_t end = merges_text.find('\n', pos);
    if (end == std::string::npos) end = merges_text.size();
    std::string_view line(merges_text.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (line_number == 1 && line.starts_with("#version")) continue;
    if (line.empty()) continue;
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      fail("{}:{}: expected a merge \"left right\", found {:?}", vocab_bpe, line_number, line);
    config.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  // GPT-2's end-of-text token is an ordinary entry of encoder.json; it is special all the same.
  for (std::uint32_t id = 0; id < config.pieces.size(); ++id)
    if (config.pieces[id] == "<|endoftext|>") config.added_tokens.push_back({config.pieces[id], id, true});
  config.specials = specials_by_name(config);
  return std::make_unique<ByteLevelBpe>(std::move(config));
}

std::unique_ptr<ByteLevelBpe> load_hf_byte_level_bpe(const std::string& tokenizer_json,
                                                     const std::string& spec) {
  const Json root = read_json_file(tokenizer_json);
  const std::string& source = tokenizer_json;
  if (!root.is_object() || !root.contains("model")) fail("{}: not a tokenizer.json (no \"model\")", source);
  const Json& model = root["model"];
  const auto type = json_get_or<std::string>(model, "type", "BPE", source);
  if (type != "BPE")
    fail("{}: model type {} is not supported (lmkit reads byte-level BPE tokenizer.json files)", source,
         type);
  if (!json_get_or<Json>(root, "normalizer", Json(), source).is_null())
    fail("{}: normalizers are not supported (found {})", source, root["normalizer"].dump());
  if (!json_get_or<Json>(model, "dropout", Json(), source).is_null())
    fail("{}: BPE dropout is not supported", source);
  if (!json_get_or<std::string>(model, "continuing_subword_prefix", "", source).empty() ||
      !json_get_or<std::string>(model, "end_of_word_suffix", "", source).empty())
    fail("{}: subword prefixes and suffixes are not supported (not a byte-level BPE)", source);
  if (json_get_or<bool>(model, "byte_fallback", false, source))
    fail("{}: byte_fallback BPE (SentencePiece-style) is not a byte-level BPE", source);

  ByteLevelBpeConfig config;
  config.source = source;
  config.spec = spec;
  config.ignore_merges = json_get_or<bool>(model, "ignore_merges", false, source);
  config.pattern =
      pattern_of(json_get_or<Json>(root, "pre_tokenizer", Json(), source), config.add_prefix_space, source);

  const Json added = json_get_or<Json>(root, "added_tokens", Json::array(), source);
  const Json vocab = json_get<Json>(model, "vocab", source);
  config.pieces = pieces_from_vocab(vocab, added.size(), source);
  for (const auto& token : added) {
    // Ids leave no holes, so each is below the vocabulary's size plus the added tokens'.
    AddedToken entry{json_get<std::string>(token, "content", source),
                     static_cast<std::uint32_t>(json_uint(
                         token, "id", source + " added_tokens", 0,
                         std::min<std::uint64_t>(vocab.size() + added.size(), std::uint64_t{1} << 32) - 1)),
                     json_get_or<bool>(token, "special", true, source)};
    if (entry.id >= config.pieces.size()) config.pieces.resize(entry.id + 1);
    if (!config.pieces[entry.id].empty() && config.pieces[entry.id] != entry.content)
      fail("{}: added token {:?} reuses id {} of {:?}", source, entry.content, entry.id,
           config.pieces[entry.id]);
    config.pieces[entry.id] = entry.content;
    config.added_tokens.push_back(std::move(entry));
  }
  for (std::uint32_t id = 0; id < config.pieces.size(); ++id)
    if (config.pieces[id].empty())
      fail("{}: no vocabulary entry has id {} (ids must have no holes)", source, id);

  for (const auto& merge : json_get<Json>(model, "merges", source)) {
    if (merge.is_string()) {  // "left right"
      const auto& text = merge.get_ref<const std::string&>();
      const std::size_t space = text.find(' ');
      if (space == std::string::npos) fail("{}: merge {:?} is not \"left right\"", source, text);
      config.merges.emplace_back(text.substr(0, space), text.substr(space + 1));
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      config.merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
    } else {
      fail("{}: merge {} is neither \"left right\" nor [left, right]", source, merge.dump());
    }
  }
  config.specials =
      specials_of(config, (fs::path(tokenizer_json).parent_path() / "tokenizer_config.json").string());
  return std::make_unique<ByteLevelBpe>(std::move(config));
}

void write_hf_tokenizer_json(const ByteLevelBpe& tokenizer, const std::string& path) {
  // vocabularies.
  Json vocab = Json::object();
  Json added = Json::array();
  for (std::uint32_t id = 0; id < tokenizer.vocab_size(); ++id) vocab[tokenizer.piece(id)] = id;
  for (const auto& token : tokenizer.added_tokens())
    added.push_back({{"id", token.id},
                     {"content", token.content},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", token.special}});
  Json merges = Json::array();
  for (const auto& [left, right] : tokenizer.merges()) merges.push_back(fmt::format("{} {}", left, right));
  Json byte_level = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  Json pre_tokenizer = byte_level;
  if (tokenizer.pattern() != kGpt2Pattern) {
    Json no_regex = byte_level;
    no_regex["use_regex"] = false;
    pre_tokenizer = {{"type", "Sequence"},
                     {"pretokenizers",
                      {{{"type", "Split"},
                        {"pattern", {{"Regex", tokenizer.pattern()}}},
                        {"behavior", "Isolated"},
                        {"invert", false}},
                       no_regex}}};
  }
  Json root = {{"version", "1.0"},
               {"truncation", nullptr},
               {"padding", nullptr},
               {"added_tokens", added},
               {"normalizer", nullptr},
               {"pre_tokenizer", pre_tokenizer},
               {"post_processor", byte_level},
               {"decoder", byte_level},
               {"model",
                {{"type", "BPE"},
                 {"dropout", nullptr},
                 {"unk_token", nullptr},
                 {"continuing_subword_prefix", nullptr},
                 {"end_of_word_suffix", nullptr},
                 {"fuse_unk", false},
                 {"byte_fallback", false},
                 {"ignore_merges", false},
                 {"vocab", vocab},
                 {"merges", merges}}}};
  write_file_atomic(path, root.dump(1) + "\n");
}

}  // namespace lmkit::text
