// An index directory's lmkit.json manifest together with the sizes of its files: a tiny two-shard
// index is built once at start-up; each input is the manifest text, a line "----", then one byte per
// index file (in sorted name order) — below 128 keeps the file, 128 + k cuts it to k/128 of its size.
// The fuzzed directory is opened (ngram::open_index) and queried: a count, a document, a next-token
// distribution.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "lmkit/index/builder.hpp"
#include "lmkit/ngram/open.hpp"

namespace {

struct IndexFile {
  std::string name;
  std::string bytes;
};

const std::vector<IndexFile>& base_files() {
  static const std::vector<IndexFile> files = [] {
    const auto dir = lmkit::fuzz::scratch_dir() / "base";
    lmkit::index::BuildOptions options;
    options.tokenizer_spec = "bytes";
    options.vocab_size = 256;
    options.max_shard_tokens = 16;
    lmkit::index::IndexBuilder builder(dir.string(), options);
    for (const std::string doc : {"abcab", "the cat", "cab", "abab"}) {
      std::vector<std::uint32_t> ids(doc.begin(), doc.end());
      builder.add_document(ids, "{\"d\": 1}", "fuzz");
    }
    builder.finish();
    // fuzz/corpus/index_manifest's seeds start from this manifest: LMKIT_FUZZ_PRINT_MANIFEST=1 prints it.
    if (std::getenv("LMKIT_FUZZ_PRINT_MANIFEST")) {
      std::ifstream manifest(dir / "lmkit.json");
      std::fputs(
          std::string((std::istreambuf_iterator<char>(manifest)), std::istreambuf_iterator<char>()).c_str(),
          stdout);
    }
    std::vector<IndexFile> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().filename() == "lmkit.json") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      out.push_back({entry.path().filename().string(),
                     std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }();
  return files;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& files = base_files();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto [manifest, sizes] = lmkit::fuzz::split_input(input, "\n----\n");
  const auto dir = lmkit::fuzz::scratch_dir() / "index";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  lmkit::fuzz::write_file(dir / "lmkit.json", manifest);
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::string_view bytes = files[i].bytes;
    if (i < sizes.size() && static_cast<unsigned char>(sizes[i]) >= 128)
      bytes = bytes.substr(0, bytes.size() * (static_cast<unsigned char>(sizes[i]) - 128) / 128);
    lmkit::fuzz::write_file(dir / files[i].name, bytes);
  }
  return lmkit::fuzz::guarded([&] {
    const auto index = lmkit::ngram::open_index(dir.string());
    const std::vector<std::uint32_t> query = {'a', 'b'};
    (void)index->engine->count(query);
    (void)index->engine->token_count();
    (void)index->engine->doc_count();
  });
}
