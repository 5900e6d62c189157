// Opens an index and prints how often a text occurs in it:  count INDEX_DIR TEXT
#include <cstdio>
#include <exception>

#include "lmkit/api/index.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return std::fprintf(stderr, "usage: count INDEX_DIR TEXT\n"), 2;
  try {
    const auto index = lmkit::api::Index::open(argv[1]);
    std::printf("%llu\n", static_cast<unsigned long long>(index->count(index->tokenize(argv[2]))));
  } catch (const std::exception& e) {
    return std::fprintf(stderr, "count: %s\n", e.what()), 1;
  }
}
