// A read-only memory-mapped file. Index shards and model weights are read through these, so the
// page cache is shared between processes and opening a 100 GB index costs nothing up front.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace lmkit {

// How the mapping will be read; passed to madvise().
enum class AccessHint {
  normal,
  sequential,  // read front to back once (building, checksumming)
  random,      // binary searches over a suffix array: no read-ahead
};

class MappedFile {
 public:
  MappedFile() = default;
  // Maps `path` read-only. Throws Error naming the path when it is missing, unreadable, a
  // directory, or empty (unless allow_empty: an empty file then maps to an empty span).
  static MappedFile open(const std::string& path, AccessHint hint = AccessHint::normal,
                         bool allow_empty = false);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }
  bool is_open() const { return data_ != nullptr || !path_.empty(); }

  // Changes the access hint for the whole mapping (e.g. sequential for a verify pass).
  void advise(AccessHint hint) const;

 private:
  void release();

  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::string path_;
};

}  // namespace lmkit
