#include "lmkit/text/kjv.hpp"

#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json_fields.hpp"

namespace lmkit::text {

namespace fs = std::filesystem;

namespace {

const char* const kSplits[] = {"train", "validation", "test"};

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// Runs a command and returns its standard output; fails when it cannot run or exits nonzero.
std::string run_command(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) fail("cannot run `{}`", command);
  std::string output;
  char buffer[1 << 16];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  int status = ::pclose(pipe);
  if (status != 0)
    fail("`{}` failed (status {}); is Debian's bible-kjv package installed? (scripts/install-deps)", command,
         status);
  return output;
}

}  // namespace

std::vector<KjvChapter> parse_kjv(const std::string& text) {
  static const std::regex header(R"(^(\S.*) (\d+)$)");
  static const std::regex verse(R"(^\s+(\d+) (.*)$)");
  std::vector<std::string> lines;
  {
    std::istringstream stream(text);
    std::string line;
    while (std::getline(stream, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(line);
    }
  }
  std::vector<KjvChapter> chapters;
  bool in_new_testament = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (is_blank(line)) continue;
    std::smatch match;
    bool blank_around =
        (i == 0 || is_blank(lines[i - 1])) && (i + 1 == lines.size() || is_blank(lines[i + 1]));
    if (blank_around && std::regex_match(line, match, header)) {
      KjvChapter chapter;
      chapter.book = match[1];
      chapter.chapter = std::stoi(match[2]);
      if (chapter.book == "Matthew") in_new_testament = true;
      chapter.testament = in_new_testament ? "NT" : "OT";
      chapters.push_back(std::move(chapter));
    } else if (std::regex_match(line, match, verse)) {
      if (chapters.empty()) fail("KJV text line {}: a verse before any chapter header", i + 1);
      chapters.back().verses.push_back(match[2]);
    } else {
      if (chapters.empty() || chapters.back().verses.empty())
        fail("KJV text line {}: unexpected text \"{}\"", i + 1, line);
      chapters.back().verses.back() += " " + line;  // a wrapped verse continues
    }
  }
  return chapters;
}

std::string kjv_split_of(std::size_t index) {
  if (index % 20 == 10) return "validation";
  if (index % 20 == 19) return "test";
  return "train";
}

std::vector<KjvSplitSummary> read_kjv_summary(const std::string& dir) {
  const std::string path = (fs::path(dir) / "kjv.json").string();
  Json manifest = read_json_file(path);
  std::vector<KjvSplitSummary> result;
  for (const auto& split : json_get<Json>(manifest, "splits", path)) {
    KjvSplitSummary summary;
    summary.name = json_get<std::string>(split, "name", path);
    summary.path = (fs::path(dir) / json_get<std::string>(split, "file", path)).string();
    summary.documents = json_uint(split, "documents", path);
    summary.lines = json_uint(split, "lines", path);
    summary.bytes = json_uint(split, "bytes", path);
    result.push_back(summary);
  }
  return result;
}

std::vector<KjvSplitSummary> prepare_kjv(const std::string& dir, bool force) {
  if (!force && fs::exists(fs::path(dir) / "kjv.json")) return read_kjv_summary(dir);

  std::vector<KjvChapter> chapters = parse_kjv(run_command("bible Gen1:1-Rev22:21"));
  if (chapters.size() != 1189)
    fail("`bible Gen1:1-Rev22:21` gave {} chapters, expected 1189; is bible-kjv intact?", chapters.size());

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create {}: {}", dir, ec.message());

  std::map<std::string, KjvSplitSummary> summaries;
  std::map<std::string, std::unique_ptr<AtomicFile>> files;
  for (const char* split : kSplits) {
    std::string file_name = std::string(split) + ".jsonl";
    summaries[split] = {split, (fs::path(dir) / file_name).string(), 0, 0, 0};
    files[split] = std::make_unique<AtomicFile>(summaries[split].path);
  }
  for (std::size_t i = 0; i < chapters.size(); ++i) {
    const KjvChapter& chapter = chapters[i];
    std::string text;
    for (const auto& verse_text : chapter.verses) text += verse_text + "\n";
    Json document = {{"text", text},
                     {"book", chapter.book},
                     {"chapter", chapter.chapter},
                     {"testament", chapter.testament}};
    std::string split = kjv_split_of(i);
    files[split]->write(document.dump() + "\n");
    KjvSplitSummary& summary = summaries[split];
    summary.documents += 1;
    summary.lines += chapter.verses.size();
    summary.bytes += text.size();
  }
  for (auto& [name, file] : files) file->commit();

  Json manifest = {{"source", "Debian package bible-kjv: bible Gen1:1-Rev22:21"},
                   {"split_rule",
                    "chapter index i (0-based, canonical order): i%20==10 validation, "
                    "i%20==19 test, else train"},
                   {"splits", Json::array()}};
  std::vector<KjvSplitSummary> result;
  for (const char* split : kSplits) {
    const KjvSplitSummary& s = summaries[split];
    manifest["splits"].push_back({{"name", s.name},
                                  {"file", fs::path(s.path).filename().string()},
                                  {"documents", s.documents},
                                  {"lines", s.lines},
                                  {"bytes", s.bytes}});
    result.push_back(s);
  }
  write_json_file((fs::path(dir) / "kjv.json").string(), manifest);
  return result;
}

}  // namespace lmkit::text
