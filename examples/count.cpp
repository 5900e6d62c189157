// Opens an index and prints how often a text occurs in it:  count INDEX_DIR TEXT
#include <cstdio>
#include <exception>

#include "lmkit/ngram/open.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return std::fprintf(stderr, "usage: count INDEX_DIR TEXT\n"), 2;
  try {
    auto opened = lmkit::ngram::open_index(argv[1]);
    const auto ids = opened->tokenizer->encode(argv[2]);
    std::printf("%llu\n", static_cast<unsigned long long>(opened->engine->count(ids)));
  } catch (const std::exception& e) {
    return std::fprintf(stderr, "count: %s\n", e.what()), 1;
  }
}
