// Corpus files through text::CorpusReader (and so text::InputStream's gzip / zstd decoding): the
// first byte picks the file name (plain .txt or .jsonl; compression is recognised by magic bytes)
// and the options (one document per line, skip bad documents); the rest is the file.
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "lmkit/text/corpus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto path = lmkit::fuzz::scratch_dir() / ((mode & 1) ? "corpus.jsonl" : "corpus.txt");
  lmkit::fuzz::write_file(path, bytes);
  lmkit::text::CorpusOptions options;
  options.lines = (mode & 2) != 0;
  options.skip_bad = (mode & 4) != 0;
  const int status = lmkit::fuzz::guarded([&] {
    lmkit::text::CorpusReader reader({path.string()}, options);
    lmkit::text::Document doc;
    while (reader.next(doc)) {
    }
  });
  std::filesystem::remove(path);
  return status;
}
