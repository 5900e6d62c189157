#include "lmkit/index/builder.hpp"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "lmkit/index/checksum.hpp"
#include "lmkit/index/index.hpp"
#include "lmkit/index/suffix_array.hpp"
#include "lmkit/text/tokenizer_files.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::index {

static_assert(std::endian::native == std::endian::little,
              "the index layout is little-endian, as is this host");

namespace {

// A file in the build directory with its CRC-32 and size, for the manifest.
class ChecksummedFile {
 public:
  explicit ChecksummedFile(std::string path) : file_(std::move(path)) {}
  void write(const void* data, std::size_t n_bytes) {
    crc_.update(data, n_bytes);
    file_.write(data, n_bytes);
  }
  void write_u64(std::uint64_t value) { write(&value, sizeof value); }
  std::uint64_t size() const { return file_.bytes_written(); }
  std::string checksum() const { return crc_.hex(); }
  void commit() { file_.commit(); }

 private:
  AtomicFile file_;
  Crc32 crc_;
};

std::uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0
             ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size)
             : std::uint64_t{8} << 30;
}

constexpr std::size_t kWriteChunkEntries = std::size_t{1} << 16;
constexpr std::uint64_t kInitialReserve = std::uint64_t{1} << 30;

}  // namespace

int token_width_for_vocab(std::uint64_t vocab_size) {
  if (vocab_size == 0) fail("the tokenizer has an empty vocabulary");
  if (vocab_size <= 256) return 1;
  if (vocab_size <= 65536) return 2;
  if (vocab_size <= 0xFFFFFFFFull) return 4;
  fail("a vocabulary of {} ids does not fit 4-byte tokens (at most {} ids, the last being reserved)",
       vocab_size, 0xFFFFFFFFull);
}

std::uint64_t BuildSummary::tokens() const {
  std::uint64_t total = 0;
  for (const auto& shard : shards) total += shard.tokens;
  return total;
}

std::uint64_t BuildSummary::documents() const {
  std::uint64_t total = 0;
  for (const auto& shard : shards) total += shard.documents;
  return total;
}

// One shard being filled: its token array in memory (aligned for in-place ranking), its document
// offsets and metadata streamed to files as documents arrive.
class IndexBuilder::ShardWriter {
 public:
  ShardWriter(const AtomicDirectory& directory, std::uint64_t id, int token_width, bool write_metadata,
              std::uint64_t capacity)
      : id_(id), token_width_(token_width), directory_(directory), offsets_(file("offset")) {
    // Reserved, not touched: no copying while the shard fills, up to 1 GiB; beyond, it doubles.
    words_.reserve(
        std::min<std::uint64_t>(capacity * static_cast<std::uint64_t>(token_width), kInitialReserve) / 8 + 1);
    if (write_metadata) {
      metadata_.emplace(file("metadata"));
      metaoff_.emplace(file("metaoff"));
    }
  }

  std::uint64_t id() const { return id_; }
  std::uint64_t positions() const { return n_bytes_ / static_cast<std::uint64_t>(token_width_); }
  std::uint64_t documents() const { return documents_; }

  void add(std::span<const std::uint32_t> ids, std::uint32_t separator, std::string_view metadata) {
    offsets_.write_u64(n_bytes_);
    const std::uint64_t width = static_cast<std::uint64_t>(token_width_);
    const std::uint64_t new_size = n_bytes_ + (ids.size() + 1) * width;
    if (new_size > words_.size() * 8) words_.resize((new_size + 7) / 8);  // capacity grows geometrically
    std::uint8_t* out = bytes() + n_bytes_;
    std::memcpy(out, &separator, width);
    out += width;
    if (token_width_ == 4) {
      std::memcpy(out, ids.data(), ids.size() * 4);
    } else if (token_width_ == 2) {
      for (std::uint32_t id : ids) {
        const auto narrow = static_cast<std::uint16_t>(id);
        std::memcpy(out, &narrow, 2);
        out += 2;
      }
    } else {
      for (std::uint32_t id : ids) *out++ = static_cast<std::uint8_t>(id);
    }
    n_bytes_ = new_size;
    if (metadata_) {
      metaoff_->write_u64(metadata_->size());
      metadata_->write(metadata.data(), metadata.size());
      metadata_->write("\n", 1);
    }
    ++documents_;
  }

  // Sorts the suffixes and writes every file of the shard; returns its manifest entry.
  Json write(ShardSummary& summary) {
    const std::uint64_t n = positions();
    const int pointer_width = pointer_width_for(n_bytes_);
    Json bytes_by_file = Json::object(), checksums = Json::object();
    auto record = [&](const std::string& kind, ChecksummedFile& out) {
      out.commit();
      bytes_by_file[name(kind)] = out.size();
      checksums[name(kind)] = out.checksum();
    };

    {
      ChecksummedFile tokenized(file("tokenized"));
      ProgressBar bar(fmt::format("shard {}: write tokens", id_), n_bytes_, "B");
      for (std::uint64_t begin = 0; begin < n_bytes_; begin += kWriteChunkEntries * 64) {
        const std::uint64_t length = std::min<std::uint64_t>(kWriteChunkEntries * 64, n_bytes_ - begin);
        tokenized.write(bytes() + begin, length);
        bar.add(length);
      }
      bar.finish();
      record("tokenized", tokenized);
    }

    std::vector<std::uint32_t> sa(n);
    {
      ProgressBar bar(fmt::format("shard {}: sort suffixes", id_), n, "tok");
      const auto start = std::chrono::steady_clock::now();
      sort_suffixes({bytes(), n_bytes_}, token_width_, sa);
      summary.sort_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      bar.set(n);
      bar.finish();
    }
    words_ = {};  // the text is on disk now; free it before the table is encoded

    {
      ChecksummedFile table(file("table"));
      ProgressBar bar(fmt::format("shard {}: write suffix array", id_), n, "tok");
      std::vector<std::uint8_t> chunk(kWriteChunkEntries * static_cast<std::size_t>(pointer_width));
      const auto width = static_cast<std::uint64_t>(token_width_);
      for (std::uint64_t begin = 0; begin < n; begin += kWriteChunkEntries) {
        const std::uint64_t end = std::min<std::uint64_t>(n, begin + kWriteChunkEntries);
        std::uint8_t* out = chunk.data();
        for (std::uint64_t r = begin; r < end; ++r) {
          const std::uint64_t offset = sa[r] * width;
          std::memcpy(out, &offset, static_cast<std::size_t>(pointer_width));
          out += pointer_width;
        }
        table.write(chunk.data(), static_cast<std::size_t>(out - chunk.data()));
        bar.add(end - begin);
      }
      bar.finish();
      record("table", table);
    }
    record("offset", offsets_);
    if (metadata_) {
      record("metadata", *metadata_);
      record("metaoff", *metaoff_);
    }

    summary.id = id_;
    summary.positions = n;
    summary.tokens = n - documents_;
    summary.documents = documents_;
    summary.pointer_width = pointer_width;
    return Json{{"id", id_},
                {"tokens", summary.tokens},
                {"positions", n},
                {"documents", documents_},
                {"pointer_width", pointer_width},
                {"bytes", bytes_by_file},
                {"checksums", checksums}};
  }

 private:
  std::string name(const std::string& kind) const { return fmt::format("{}.{}", kind, id_); }
  std::string file(const std::string& kind) const { return directory_.file(name(kind)); }
  std::uint8_t* bytes() { return reinterpret_cast<std::uint8_t*>(words_.data()); }

  std::uint64_t id_;
  int token_width_;
  const AtomicDirectory& directory_;
  std::vector<std::uint64_t> words_;  // the token array, 8-byte aligned for in-place ranking
  std::uint64_t n_bytes_ = 0;
  std::uint64_t documents_ = 0;
  ChecksummedFile offsets_;
  std::optional<ChecksummedFile> metadata_, metaoff_;
};

IndexBuilder::IndexBuilder(std::string out_dir, BuildOptions options)
    : out_dir_(std::move(out_dir)), options_(std::move(options)) {
  const int vocab_width = token_width_for_vocab(options_.vocab_size);
  token_width_ = options_.token_width == 0 ? vocab_width : options_.token_width;
  if (token_width_ != 1 && token_width_ != 2 && token_width_ != 4)
    invalid_argument("token_width", token_width_, "must be 1, 2 or 4 bytes");
  if (token_width_ < vocab_width)
    invalid_argument("token_width", token_width_,
                     "the vocabulary of {} ({} ids) needs more (at most {} ids fit)", options_.tokenizer_spec,
                     options_.vocab_size, std::uint64_t{1} << (8 * token_width_));
  separator_ = token_width_ == 4 ? 0xFFFFFFFFu : (1u << (8 * token_width_)) - 1;
  // The budget's field is "mem", the name every front-end gives it (GiB).
  if (!(options_.mem_gib >= 0) || !std::isfinite(options_.mem_gib))
    invalid_argument("mem", options_.mem_gib, "must be a finite number of GiB, at least 0");

  const double budget_bytes = options_.mem_gib > 0 ? options_.mem_gib * double(std::uint64_t{1} << 30)
                                                   : 0.75 * static_cast<double>(physical_memory_bytes());
  shard_capacity_ = static_cast<std::uint64_t>(
      budget_bytes / static_cast<double>(static_cast<std::uint64_t>(token_width_) + kSortBytesPerPosition));
  // 32-bit suffix-array entries while sorting (their top bit is a mark): below 2^31 - 1 positions.
  shard_capacity_ =
      std::min<std::uint64_t>(shard_capacity_, (std::numeric_limits<std::uint32_t>::max() >> 1) - 1);
  if (options_.max_shard_tokens > 0) shard_capacity_ = std::min(shard_capacity_, options_.max_shard_tokens);
  if (shard_capacity_ < 2) {
    if (options_.max_shard_tokens > 0 && options_.max_shard_tokens < 2)
      invalid_argument("max_shard_tokens", options_.max_shard_tokens,
                       "a shard needs at least 2 token positions to hold a document");
    invalid_argument("mem", options_.mem_gib, "a shard of {} token positions cannot hold a document",
                     shard_capacity_);
  }

  directory_ = std::make_unique<AtomicDirectory>(out_dir_);
  shard_ =
      std::make_unique<ShardWriter>(*directory_, 0, token_width_, options_.write_metadata, shard_capacity_);
  summary_.path = out_dir_;
  summary_.token_width = token_width_;
}

IndexBuilder::~IndexBuilder() = default;

void IndexBuilder::add_document(std::span<const std::uint32_t> ids, std::string_view metadata,
                                std::string_view source) {
  const std::uint64_t limit = token_width_ == 4 ? 0xFFFFFFFFull : std::uint64_t{1} << (8 * token_width_);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == separator_)
      fail("{}: token {} has id {} (0x{:X}), which collides with the document separator of {}-byte tokens",
           source, i, ids[i], ids[i], token_width_);
    if (ids[i] >= limit)
      fail("{}: token {} has id {}, too large for {}-byte tokens", source, i, ids[i], token_width_);
  }
  const std::uint64_t needed = ids.size() + 1;
  if (needed > shard_capacity_)
    fail(
        "{}: the document has {} tokens, but a shard holds at most {} token positions (raise the memory "
        "budget or the shard size)",
        source, ids.size(), shard_capacity_);
  if (shard_->positions() + needed > shard_capacity_) write_shard();
  shard_->add(ids, separator_, metadata);
}

void IndexBuilder::write_shard() {
  ShardSummary summary;
  manifest_shards_.push_back(shard_->write(summary));
  summary_.shards.push_back(summary);
  const std::uint64_t next_id = shard_->id() + 1;
  shard_.reset();
  shard_ = std::make_unique<ShardWriter>(*directory_, next_id, token_width_, options_.write_metadata,
                                         shard_capacity_);
}

BuildSummary IndexBuilder::finish() {
  if (shard_->documents() == 0 && summary_.shards.empty())
    fail("the corpus has no documents; an index needs at least one");
  if (shard_->documents() > 0) {
    ShardSummary summary;
    manifest_shards_.push_back(shard_->write(summary));
    summary_.shards.push_back(summary);
  }
  shard_.reset();  // removes the empty files of a shard that never started

  Json build = options_.build_info;
  build["suffix_sort"] = "sa-is";
  build["max_shard_tokens"] = options_.max_shard_tokens;
  build["mem_gib"] = options_.mem_gib;
  build["shard_capacity"] = shard_capacity_;
  build["lmkit_version"] = LMKIT_VERSION;
  // The index carries its tokenizer's files (as a model directory does) and records where they are
  // relative to itself, so it opens from any working directory and after being moved.
  std::string tokenizer = options_.tokenizer_spec;
  // A spec lmkit cannot load files for (a name a test or another tool made up) is recorded as given.
  std::vector<text::TokenizerFile> files;
  try {
    if (!tokenizer.empty()) files = text::tokenizer_files(tokenizer);
  } catch (const text::UnknownTokenizer&) {
  }
  if (!files.empty()) {
    const std::string inside = directory_->file(kIndexTokenizerDir);
    std::filesystem::create_directories(inside);
    text::copy_tokenizer_files(tokenizer, inside);
    tokenizer = kIndexTokenizerDir;
  }
  build["tokenizer_source"] = options_.tokenizer_spec;
  Json manifest = {{"format", "lmkit-index"},     {"format_version", 1},
                   {"tokenizer", tokenizer},      {"vocab_size", options_.vocab_size},
                   {"token_width", token_width_}, {"checksum", "crc32"},
                   {"shards", manifest_shards_},  {"build", build}};
  if (options_.eos_token_id) manifest["eos_token_id"] = *options_.eos_token_id;
  write_json_file(directory_->file("lmkit.json"), manifest);
  directory_->commit();
  return summary_;
}

}  // namespace lmkit::index
