// `lmkit query`'s request lines through ngram::QueryService over a tiny index built once at start-up:
// whatever the line, the reply is one line of valid JSON (an answer or {"error": ...}); the target
// aborts when it is not, or when answer_line lets any exception out.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "lmkit/index/builder.hpp"
#include "lmkit/ngram/open.hpp"
#include "lmkit/ngram/query_api.hpp"
#include "lmkit/text/tokenizer.hpp"

namespace {

struct Fixture {
  std::unique_ptr<lmkit::ngram::OpenedIndex> index;
  lmkit::text::BytesTokenizer bytes;
  std::unique_ptr<lmkit::ngram::QueryService> service;
  std::unique_ptr<lmkit::ngram::QueryService> ids_only;
};

Fixture& fixture() {
  // Built in place: the services keep pointers to the tokenizer and the engine.
  static const std::unique_ptr<Fixture> f = [] {
    const auto dir = (lmkit::fuzz::scratch_dir() / "index").string();
    lmkit::index::BuildOptions options;
    options.tokenizer_spec = "bytes";
    options.vocab_size = 256;
    options.max_shard_tokens = 24;  // two shards
    lmkit::index::IndexBuilder builder(dir, options);
    const std::vector<std::string> docs = {"abcab", "the cat sat", "cab", "abab", "a cat and a hat"};
    for (std::size_t i = 0; i < docs.size(); ++i) {
      std::vector<std::uint32_t> ids(docs[i].begin(), docs[i].end());
      builder.add_document(ids, "{\"id\": " + std::to_string(i) + "}", "fuzz");
    }
    builder.finish();
    auto out = std::make_unique<Fixture>();
    out->index = lmkit::ngram::open_index(dir);
    out->service = std::make_unique<lmkit::ngram::QueryService>(*out->index->engine, &out->bytes);
    out->ids_only = std::make_unique<lmkit::ngram::QueryService>(*out->index->engine, nullptr);
    return out;
  }();
  return *f;
}

void check_reply(const std::string& reply) {
  if (reply.find('\n') != std::string::npos || !nlohmann::json::accept(reply)) {
    std::fprintf(stderr, "fuzz: the reply is not one line of valid JSON: %s\n", reply.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto& f = fixture();
  // answer_line is the service's outer wall: nothing may escape it, lmkit::Error included.
  try {
    check_reply(f.service->answer_line(line));
    check_reply(f.ids_only->answer_line(line));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: answer_line threw: %s\n", e.what());
    std::abort();
  }
  return 0;
}
