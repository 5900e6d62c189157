// Checking an index on disk: the manifest's sizes and CRC-32s, the structure of every shard
// (document offsets, metadata offsets), and the suffix order of every table.S — fully in linear time
// (each adjacent pair compared by its first token and the ranks of the suffixes one token on, with
// an inverse array of 4 or 8 bytes per position), or on a random sample of adjacent pairs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lmkit::index {

struct VerifyOptions {
  std::uint64_t sample = 0;  // adjacent pairs per shard to check; 0: check the whole suffix array
  std::uint64_t seed = 1;
  std::uint64_t max_problems = 20;  // per check, further ones are counted, not listed
};

struct VerifyReport {
  std::vector<std::string> problems;  // each names the file and exactly what is wrong
  std::uint64_t files_checksummed = 0;
  std::uint64_t shards = 0;
  std::uint64_t pairs_checked = 0;  // adjacent suffix-array entries compared
  bool full = true;                 // the whole suffix order was checked (not a sample)
  bool has_manifest = false;
  bool ok() const { return problems.empty(); }
};

// Never throws for a corrupt index: every finding goes into the report. Throws Error only when
// `dir` is not a directory.
VerifyReport verify_index(const std::string& dir, const VerifyOptions& options = {});

}  // namespace lmkit::index
