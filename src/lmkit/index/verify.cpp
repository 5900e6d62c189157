#include "lmkit/index/verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>

#include "lmkit/index/checksum.hpp"
#include "lmkit/index/index.hpp"
#include "lmkit/index/suffix_array.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/mapped_file.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::index {

namespace {

namespace fs = std::filesystem;

// Collects the problems of one check, listing the first few and counting the rest.
class Findings {
 public:
  Findings(VerifyReport& report, std::string what, std::uint64_t max_listed)
      : report_(report), what_(std::move(what)), max_listed_(max_listed) {}
  ~Findings() {
    if (count_ > max_listed_)
      report_.problems.push_back(fmt::format("{}: {} more problems like these", what_, count_ - max_listed_));
  }
  template <typename... Args>
  void add(fmt::format_string<Args...> format, Args&&... args) {
    if (count_++ < max_listed_)
      report_.problems.push_back(
          fmt::format("{}: {}", what_, fmt::format(format, std::forward<Args>(args)...)));
  }
  std::uint64_t count() const { return count_; }

 private:
  VerifyReport& report_;
  std::string what_;
  std::uint64_t max_listed_;
  std::uint64_t count_ = 0;
};

void check_manifest_files(const std::string& dir, const Json& manifest, const VerifyOptions& options,
                          VerifyReport& report) {
  if (!manifest.contains("shards") || !manifest["shards"].is_array()) {
    report.problems.push_back("lmkit.json: no \"shards\" array");
    return;
  }
  for (const Json& shard : manifest["shards"]) {
    if (!shard.contains("bytes") || !shard.contains("checksums")) {
      report.problems.push_back(fmt::format("lmkit.json: shard {} lists no \"bytes\" or \"checksums\"",
                                            shard.value("id", Json()).dump()));
      continue;
    }
    for (const auto& [name, size] : shard["bytes"].items()) {
      Findings findings(report, name, options.max_problems);
      const std::string path = (fs::path(dir) / name).string();
      if (!fs::exists(path)) {
        findings.add("missing (lmkit.json lists it with {} bytes)", size.dump());
        continue;
      }
      const std::uint64_t actual = fs::file_size(path);
      if (!size.is_number_unsigned() || actual != size.get<std::uint64_t>()) {
        findings.add("size {} bytes, lmkit.json says {}", actual, size.dump());
        continue;
      }
      if (!shard["checksums"].contains(name)) {
        findings.add("lmkit.json has a size but no checksum for it");
        continue;
      }
      const std::string expected = shard["checksums"][name].is_string()
                                       ? shard["checksums"][name].get<std::string>()
                                       : shard["checksums"][name].dump();
      std::string got = crc32_hex(0);
      if (actual > 0) {
        MappedFile file = MappedFile::open(path, AccessHint::sequential);
        got = crc32_hex(crc32_of(file.bytes()));
      }
      ++report.files_checksummed;
      if (got != expected) findings.add("CRC-32 {}, lmkit.json says {}: the contents changed", got, expected);
    }
  }
}

// `vocab_size`: the manifest's (0 when there is none): every token id must be below it.
void check_documents(const Shard& shard, std::uint64_t vocab_size, const VerifyOptions& options,
                     VerifyReport& report) {
  const auto width = static_cast<std::uint64_t>(shard.token_width());
  const std::uint64_t size = shard.tokenized_bytes();
  {
    Findings findings(report, "offset." + shard.name(), options.max_problems);
    if (shard.n_documents() == 0) findings.add("no documents");
    std::uint64_t previous = 0;
    for (std::uint64_t doc = 0; doc < shard.n_documents(); ++doc) {
      const std::uint64_t offset = shard.raw_document_offset(doc);
      if (doc == 0 && offset != 0) findings.add("document 0 starts at byte {}, not 0", offset);
      if (doc > 0 && offset <= previous)
        findings.add("document {} starts at byte {}, not after document {} (byte {})", doc, offset, doc - 1,
                     previous);
      if (offset >= size || offset % width != 0) {
        findings.add("document {} starts at byte {}, not a token position of tokenized.{} ({} bytes)", doc,
                     offset, shard.name(), size);
      } else if (shard.token_at(offset) != shard.separator()) {
        findings.add("document {} starts at byte {}, where tokenized.{} holds id {}, not the separator", doc,
                     offset, shard.name(), shard.token_at(offset));
      }
      previous = offset;
    }
  }
  {
    Findings findings(report, "tokenized." + shard.name(), options.max_problems);
    std::uint64_t separators = 0;
    std::uint32_t max_id = 0;
    for (std::uint64_t offset = 0; offset < size; offset += width) {
      const std::uint32_t id = shard.token_at(offset);
      if (id == shard.separator()) {
        ++separators;
      } else {
        max_id = std::max(max_id, id);
      }
    }
    if (separators != shard.n_documents())
      findings.add("{} document separators, but offset.{} lists {} documents", separators, shard.name(),
                   shard.n_documents());
    if (vocab_size > 0 && max_id >= vocab_size)
      findings.add("holds token id {}, outside the vocabulary of {} ids that lmkit.json states", max_id,
                   vocab_size);
  }
  if (shard.has_metadata()) {
    Findings findings(report, "metaoff." + shard.name(), options.max_problems);
    for (std::uint64_t doc = 0; doc < shard.n_documents(); ++doc) {
      try {
        (void)shard.metadata(doc);
      } catch (const Error& e) {
        findings.add("{}", e.what());
      }
    }
  }
}

// The manifest's counts against the files: per shard its documents, positions, tokens and pointer
// width; the vocabulary size against the token width, and the EOS against the vocabulary. Returns
// the vocabulary size the token ids are then checked against (0 when it is itself wrong).
std::uint64_t check_manifest_counts(const Index& index, VerifyReport& report) {
  const Json& manifest = index.manifest();
  Findings findings(report, "lmkit.json", 100);
  const Json& shards = manifest["shards"];
  for (std::size_t s = 0; s < index.shards().size() && s < shards.size(); ++s) {
    const Shard& shard = index.shards()[s];
    const Json& entry = shards[s];
    auto expect = [&](const char* field, std::uint64_t actual, const std::string& source) {
      if (!entry.contains(field)) return findings.add("shard {} states no \"{}\"", s, field);
      const Json& stated = entry[field];
      if (!stated.is_number_unsigned() || stated.get<std::uint64_t>() != actual)
        findings.add("shard {} states {} {}, but {} has {}", s, field, json_text(stated), source, actual);
    };
    expect("documents", shard.n_documents(), "offset." + shard.name());
    expect("positions", shard.n_positions(), "tokenized." + shard.name());
    expect("tokens", shard.n_tokens(), "tokenized." + shard.name());
    if (shard.pointer_width() != pointer_width_for(shard.tokenized_bytes()))
      findings.add("shard {} states pointer_width {}, but {} bytes of tokens need {}", s,
                   shard.pointer_width(), shard.tokenized_bytes(),
                   pointer_width_for(shard.tokenized_bytes()));
  }
  const std::uint64_t separator = index.shards().front().separator();
  const Json vocab = manifest.value("vocab_size", Json());
  if (!vocab.is_number_unsigned() || vocab.get<std::uint64_t>() == 0 ||
      vocab.get<std::uint64_t>() > separator + 1) {
    findings.add("vocab_size {} is not between 1 and {} (the ids {}-byte tokens hold)", json_text(vocab),
                 separator + 1, index.token_width());
    return 0;
  }
  const std::uint64_t vocab_size = vocab.get<std::uint64_t>();
  if (index.eos_token_id() && *index.eos_token_id() >= vocab_size)
    findings.add("eos_token_id {} is outside the vocabulary of {} ids", *index.eos_token_id(), vocab_size);
  return vocab_size;
}

// Full check: the table is a permutation of the token positions, and for every adjacent pair (a, b)
// either the first token of a sorts before that of b, or they are equal and the suffix one token on
// from a ranks before the one from b (the end of the shard ranking first). Linear time.
template <typename Rank>
void check_order_full(const Shard& shard, const VerifyOptions& options, VerifyReport& report) {
  const std::string what = "table." + shard.name();
  Findings findings(report, what, options.max_problems);
  const std::uint64_t n = shard.n_positions();
  const auto width = static_cast<std::uint64_t>(shard.token_width());
  constexpr Rank kUnset = std::numeric_limits<Rank>::max();
  std::vector<Rank> rank(n, kUnset);  // (n) rank of the suffix at each token position
  ProgressBar bar(fmt::format("verify {}", what), 2 * n, "pos");
  for (std::uint64_t r = 0; r < n; ++r) {
    const std::uint64_t offset = shard.suffix(r);
    if (offset >= shard.tokenized_bytes() || offset % width != 0) {
      findings.add("rank {} holds byte offset {}, not a token position of tokenized.{} ({} bytes)", r, offset,
                   shard.name(), shard.tokenized_bytes());
      continue;
    }
    Rank& slot = rank[offset / width];
    if (slot != kUnset) {
      findings.add("byte offset {} appears twice, at ranks {} and {}", offset, slot, r);
      continue;
    }
    slot = static_cast<Rank>(r);
    if (r % 65536 == 0) bar.set(r);
  }
  if (findings.count() > 0) return;  // not a permutation: the order check would be meaningless
  const std::uint8_t* text = shard.tokenized_data();
  auto next_rank = [&](std::uint64_t position) -> std::int64_t {
    return position + 1 < n ? static_cast<std::int64_t>(rank[position + 1]) : -1;
  };
  for (std::uint64_t r = 0; r + 1 < n; ++r) {
    const std::uint64_t a = shard.suffix(r) / width, b = shard.suffix(r + 1) / width;
    const int first = std::memcmp(text + a * width, text + b * width, width);
    if (first > 0 || (first == 0 && next_rank(a) > next_rank(b)))
      findings.add("ranks {} and {} (byte offsets {} and {}) are out of order", r, r + 1, a * width,
                   b * width);
    if (r % 65536 == 0) bar.set(n + r);
  }
  bar.finish();
  report.pairs_checked += n > 0 ? n - 1 : 0;
}

void check_order_sampled(const Shard& shard, const VerifyOptions& options, VerifyReport& report) {
  const std::string what = "table." + shard.name();
  Findings findings(report, what, options.max_problems);
  const std::uint64_t n = shard.n_positions();
  if (n < 2) return;
  const auto width = static_cast<std::uint64_t>(shard.token_width());
  const TokenText text{{shard.tokenized_data(), shard.tokenized_bytes()}, shard.token_width()};
  std::mt19937_64 rng(options.seed);
  // A sample at least as large as the n - 1 pairs checks each pair once, in order.
  const bool every_pair = options.sample >= n - 1;
  const std::uint64_t pairs = every_pair ? n - 1 : options.sample;
  for (std::uint64_t i = 0; i < pairs; ++i) {
    const std::uint64_t r = every_pair ? i : rng() % (n - 1);
    const std::uint64_t a = shard.suffix(r), b = shard.suffix(r + 1);
    bool valid = true;
    for (auto [rank, offset] : {std::pair{r, a}, std::pair{r + 1, b}}) {
      if (offset >= shard.tokenized_bytes() || offset % width != 0) {
        findings.add("rank {} holds byte offset {}, not a token position of tokenized.{} ({} bytes)", rank,
                     offset, shard.name(), shard.tokenized_bytes());
        valid = false;
      }
    }
    if (valid && compare_suffixes(text, a / width, b / width) >= 0)
      findings.add("ranks {} and {} (byte offsets {} and {}) are out of order", r, r + 1, a, b);
    ++report.pairs_checked;
  }
}

}  // namespace

VerifyReport verify_index(const std::string& dir, const VerifyOptions& options) {
  check_index_directory(dir);
  VerifyReport report;
  report.full = options.sample == 0;
  const std::string manifest_path = (fs::path(dir) / "lmkit.json").string();
  report.has_manifest = fs::exists(manifest_path);
  if (report.has_manifest) {
    try {
      check_manifest_files(dir, read_json_file(manifest_path), options, report);
    } catch (const Error& e) {
      report.problems.push_back(fmt::format("lmkit.json: {}", e.what()));
    }
  }
  Index index;
  try {
    index = Index::open(dir);
  } catch (const Error& e) {
    report.problems.push_back(e.what());
    return report;
  }
  const std::uint64_t vocab_size = index.has_manifest() ? check_manifest_counts(index, report) : 0;
  for (const Shard& shard : index.shards()) {
    ++report.shards;
    check_documents(shard, vocab_size, options, report);
    if (options.sample > 0) {
      check_order_sampled(shard, options, report);
    } else if (shard.n_positions() < std::numeric_limits<std::uint32_t>::max()) {
      check_order_full<std::uint32_t>(shard, options, report);
    } else {
      check_order_full<std::uint64_t>(shard, options, report);
    }
  }
  return report;
}

}  // namespace lmkit::index
