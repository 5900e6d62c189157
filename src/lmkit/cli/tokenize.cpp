// `lmkit tokenize` and `lmkit detokenize`: text ⇄ token ids with any tokenizer spec (bytes, gpt2, a
// tokenizer.json, an encoder.json + vocab.bpe directory, a SentencePiece .model).
//
//   lmkit tokenize --tokenizer gpt2 "Hello world"          15496 995
//   lmkit tokenize --tokenizer gpt2 --json "Hello world" {"ids":[15496,995],"pieces":["Hello","Ġworld"],...}
//   lmkit tokenize --tokenizer gpt2 --file F.gz --lines    one line of ids per line of F (decompressed)
//   echo Hello | lmkit tokenize --tokenizer gpt2           no text, no --file: stdin
//   lmkit detokenize --tokenizer gpt2 15496 995            Hello world
//   lmkit tokenize --tokenizer gpt2 --json Hi | lmkit detokenize --tokenizer gpt2
#include <cstdio>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "lmkit/cli/command.hpp"
#include "lmkit/text/input_stream.hpp"
#include "lmkit/text/parallel_tokenize.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::cli {

namespace {

struct TokenizeOptions {
  std::string tokenizer;
  std::string text;
  std::string file;
  bool lines = false;
  bool specials = false;
  bool json = false;
};

// Reads a whole file ("-": stdin) as bytes, decompressed when it is gzip or zstd (as every corpus is).
std::string read_input(const std::string& path) {
  text::InputStream in(path);
  std::string contents;
  in.read_all(contents);
  return contents;
}

Json ids_json(const text::Tokenizer& tokenizer, std::string_view input,
              const std::vector<std::uint32_t>& ids) {
  Json pieces = Json::array();
  for (auto id : ids) pieces.push_back(tokenizer.piece(id));
  return {{"ids", ids}, {"pieces", pieces}, {"count", ids.size()}, {"bytes", input.size()}};
}

void run_tokenize(const TokenizeOptions& options) {
  if (!options.text.empty() && !options.file.empty()) usage_fail("give either TEXT or --file F (not both)");
  if (options.lines && !options.text.empty()) usage_fail("--lines reads a file or stdin, not TEXT");
  auto tokenizer = text::load_tokenizer(options.tokenizer);
  const std::string input =
      !options.text.empty() ? options.text : read_input(options.file.empty() ? "-" : options.file);
  auto encode = [&](std::string_view part) {
    return options.specials ? tokenizer->encode_with_specials(part) : tokenizer->encode(part);
  };
  if (!options.lines) {
    const auto ids = encode(input);
    if (options.json) {
      Json out = ids_json(*tokenizer, input, ids);
      out["tokenizer"] = tokenizer->spec();
      fmt::print("{}\n", json_text(out));
    } else {
      fmt::print("{}\n", fmt::join(ids, " "));
    }
    return;
  }
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < input.size();) {
    std::size_t end = input.find('\n', pos);
    if (end == std::string::npos) end = input.size();
    lines.push_back(std::string_view(input).substr(pos, end - pos));
    pos = end + 1;
  }
  std::vector<std::vector<std::uint32_t>> ids;
  if (options.specials) {
    for (auto line : lines) ids.push_back(encode(line));
  } else {
    ids = text::encode_parallel(*tokenizer, lines);
  }
  if (options.json) {
    Json out = {{"tokenizer", tokenizer->spec()}, {"lines", Json::array()}};
    for (std::size_t i = 0; i < lines.size(); ++i)
      out["lines"].push_back(ids_json(*tokenizer, lines[i], ids[i]));
    fmt::print("{}\n", json_text(out));
    return;
  }
  std::string out;
  for (const auto& line_ids : ids) out += fmt::format("{}\n", fmt::join(line_ids, " "));
  std::fwrite(out.data(), 1, out.size(), stdout);
}

struct DetokenizeOptions {
  std::string tokenizer;
  std::vector<std::string> ids;
  std::string file;
  bool lines = false;
  bool json = false;
};

// Decimal token ids separated by white space.
std::vector<std::uint32_t> parse_id_words(const std::string& text, const std::string& source) {
  std::vector<std::uint32_t> ids;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    std::uint64_t value = 0;
    const bool numeric =
        !word.empty() && word.size() <= 10 && word.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) value = std::stoull(word);
    if (!numeric || value > UINT32_MAX) usage_fail("{}: \"{}\" is not a token id", source, word);
    ids.push_back(static_cast<std::uint32_t>(value));
  }
  return ids;
}

// Token ids from what `tokenize` prints: its --json document ({"ids": [...]}, or with --lines
// {"lines": [{"ids": [...]}, ...]}, one sequence per line), a JSON array of ids, or decimal words
// (with `lines`, each line of them one sequence).
std::vector<std::vector<std::uint32_t>> parse_ids(const std::string& text, const std::string& source,
                                                  bool lines) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '[' || text[first] == '{')) {
    const Json doc = parse_json(text, source);
    try {
      if (doc.is_array()) return {doc.get<std::vector<std::uint32_t>>()};
      if (doc.contains("ids")) return {doc.at("ids").get<std::vector<std::uint32_t>>()};
      std::vector<std::vector<std::uint32_t>> out;
      for (const Json& line : doc.at("lines"))
        out.push_back(line.at("ids").get<std::vector<std::uint32_t>>());
      return out;
    } catch (const nlohmann::json::exception&) {
      usage_fail("{}: expected a JSON array of token ids, or what `lmkit tokenize --json` prints", source);
    }
  }
  if (!lines) return {parse_id_words(text, source)};
  std::vector<std::vector<std::uint32_t>> out;
  std::istringstream line_stream(text);
  for (std::string line; std::getline(line_stream, line);) out.push_back(parse_id_words(line, source));
  return out;
}

void run_detokenize(const DetokenizeOptions& options) {
  if (!options.ids.empty() && !options.file.empty()) usage_fail("give either IDS or --file F (not both)");
  std::vector<std::vector<std::uint32_t>> sequences;
  if (!options.ids.empty()) {
    std::string joined;
    for (const auto& id : options.ids) joined += id + " ";
    sequences = parse_ids(joined, "IDS", false);
  } else {
    const std::string file = options.file.empty() ? "-" : options.file;
    sequences = parse_ids(read_input(file), file == "-" ? "<stdin>" : file, options.lines);
  }
  auto tokenizer = text::load_tokenizer(options.tokenizer);
  std::string decoded;
  std::size_t count = 0;
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    decoded += (i > 0 ? "\n" : "") + tokenizer->decode(sequences[i]);
    count += sequences[i].size();
  }
  if (options.json) {
    fmt::print("{}\n", json_text({{"tokenizer", tokenizer->spec()}, {"text", decoded}, {"count", count}}));
  } else {
    std::fwrite(decoded.data(), 1, decoded.size(), stdout);
    std::fputc('\n', stdout);
  }
}

const std::string kSpecHelp =
    "bytes, gpt2, or a path: a tokenizer.json, a directory with encoder.json + vocab.bpe (or tokenizer.json, "
    "or "
    "tokenizer.model), a SentencePiece .model";

const bool registered_tokenize = register_command("tokenize", [](CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  auto* sub = app.add_subcommand("tokenize", "Turn text into token ids");
  sub->add_option("--tokenizer", options->tokenizer, kSpecHelp)->required();
  sub->add_option("text", options->text, "The text to tokenize (none: read --file, or stdin)");
  sub->add_option("--file", options->file,
                  "Tokenize this file's contents instead ('-': stdin; .gz / .zst decompressed)");
  sub->add_flag("--lines", options->lines,
                "Tokenize each line of the input on its own, one line of ids per line");
  sub->add_flag("--specials", options->specials,
                "Turn special tokens written in the text (such as <|endoftext|>) into their ids");
  sub->add_flag("--json", options->json, "Print one JSON document (ids, pieces, counts)");
  sub->callback([options] { run_tokenize(*options); });
});

const bool registered_detokenize = register_command("detokenize", [](CLI::App& app) {
  auto options = std::make_shared<DetokenizeOptions>();
  auto* sub = app.add_subcommand("detokenize", "Turn token ids back into text");
  sub->add_option("--tokenizer", options->tokenizer, kSpecHelp)->required();
  sub->add_option("ids", options->ids,
                  "Token ids (decimal), or one JSON array (none: read --file, or stdin)");
  sub->add_option("--file", options->file,
                  "Read the ids from this file ('-': stdin): decimal words, a JSON array, or what "
                  "`tokenize --json` prints");
  sub->add_flag("--lines", options->lines, "Decimal ids: each line is one sequence, decoded to one line");
  sub->add_flag("--json", options->json, "Print one JSON document");
  sub->callback([options] { run_detokenize(*options); });
});

}  // namespace

}  // namespace lmkit::cli
