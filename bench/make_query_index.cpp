// Makes a large index for the query benchmark without the real index builder: a synthetic corpus
// sampled from a word-trigram model of the KJV (so n-gram statistics look like text, at any size),
// 2-byte word tokens, one shard, its suffix array from libdivsufsort over the token bytes (sorting
// every byte suffix and keeping the token-aligned ones gives exactly the token suffixes in byte
// order). Also writes held-out documents from the same model (another seed) for scoring queries.
//
//   make_query_index KJV_TRAIN_JSONL OUT_DIR N_TOKENS
#include <divsufsort.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "lmkit/index/index.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"

namespace {

using lmkit::fail;

struct TrigramModel {
  std::vector<std::string> words;
  std::vector<std::vector<std::uint32_t>> chapters;                    // training text as word ids
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> next;  // (w1, w2) → followers

  static std::uint64_t key(std::uint32_t a, std::uint32_t b) { return (std::uint64_t{a} << 32) | b; }

  // A document of `length` words: starts like a random training chapter, continues by sampling.
  std::vector<std::uint32_t> sample(std::mt19937_64& rng, std::size_t length) const {
    const auto& start = chapters[rng() % chapters.size()];
    std::vector<std::uint32_t> doc(start.begin(), start.begin() + 2);
    while (doc.size() < length) {
      const auto it = next.find(key(doc[doc.size() - 2], doc.back()));
      if (it == next.end()) {  // the chapter's last pair: jump to another chapter's opening
        const auto& other = chapters[rng() % chapters.size()];
        doc.insert(doc.end(), other.begin(), other.begin() + 2);
        continue;
      }
      doc.push_back(it->second[rng() % it->second.size()]);
    }
    doc.resize(length);
    return doc;
  }
};

TrigramModel train(const std::string& jsonl) {
  TrigramModel model;
  std::unordered_map<std::string, std::uint32_t> ids;
  std::ifstream in(jsonl);
  if (!in) fail("{}: cannot read", jsonl);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream text(lmkit::parse_json(line, jsonl)["text"].get<std::string>());
    std::vector<std::uint32_t> chapter;
    for (std::string w; text >> w;) {
      const auto [it, added] = ids.emplace(w, static_cast<std::uint32_t>(model.words.size()));
      if (added) model.words.push_back(w);
      chapter.push_back(it->second);
    }
    if (chapter.size() < 3) continue;
    for (std::size_t i = 2; i < chapter.size(); ++i)
      model.next[TrigramModel::key(chapter[i - 2], chapter[i - 1])].push_back(chapter[i]);
    model.chapters.push_back(std::move(chapter));
  }
  if (model.words.size() >= 0xFFFF)
    fail("{}: {} distinct words do not fit 2-byte tokens", jsonl, model.words.size());
  return model;
}

void write_file(const std::string& path, const void* data, std::size_t bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, 1, bytes, f) != bytes || std::fclose(f) != 0)
    fail("{}: cannot write", path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_query_index KJV_TRAIN_JSONL OUT_DIR N_TOKENS\n");
    return 2;
  }
  try {
    const std::string out = argv[2];
    const std::uint64_t target = std::stoull(argv[3]);
    const auto model = train(argv[1]);
    fmt::print("trigram model: {} words, {} contexts\n", model.words.size(), model.next.size());

    std::mt19937_64 rng(20261128);
    std::vector<std::uint16_t> tokens;
    std::vector<std::uint64_t> offsets;
    tokens.reserve(target + target / 500);
    while (tokens.size() < target) {
      offsets.push_back(tokens.size() * 2);
      tokens.push_back(0xFFFF);
      for (const auto w : model.sample(rng, 200 + rng() % 1600))
        tokens.push_back(static_cast<std::uint16_t>(w));
    }
    const std::uint64_t bytes = tokens.size() * 2;
    if (bytes >= (std::uint64_t{1} << 31)) fail("{} bytes is too many for 32-bit divsufsort", bytes);
    fmt::print("corpus: {} positions, {} documents; sorting {} bytes\n", tokens.size(), offsets.size(),
               bytes);

    std::vector<saidx_t> sa(bytes);
    if (divsufsort(reinterpret_cast<const sauchar_t*>(tokens.data()), sa.data(),
                   static_cast<saidx_t>(bytes)) != 0)
      fail("divsufsort failed");
    const int pointer_width = lmkit::index::pointer_width_for(bytes);
    std::vector<std::uint8_t> table;
    table.reserve(tokens.size() * static_cast<std::size_t>(pointer_width));
    for (const saidx_t p : sa) {
      if (p % 2 != 0) continue;
      for (int b = 0; b < pointer_width; ++b)
        table.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(p) >> (8 * b)));
    }
    sa = {};
    write_file(out + "/tokenized.0", tokens.data(), bytes);
    write_file(out + "/table.0", table.data(), table.size());
    write_file(out + "/offset.0", offsets.data(), offsets.size() * 8);

    // Held-out documents (another seed) as query_ids lines, for prompts and scoring.
    std::mt19937_64 held_out_rng(7);
    std::ofstream held(out + "/held_out.jsonl");
    for (int d = 0; d < 200; ++d)
      held << lmkit::Json{{"query_ids", model.sample(held_out_rng, 1000)}}.dump() << "\n";
    fmt::print("wrote {}: {} tokens, {}-byte pointers\n", out, tokens.size(), pointer_width);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_query_index: %s\n", e.what());
    return 1;
  }
  return 0;
}
