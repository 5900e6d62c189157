// CRC-32 (zlib's, the polynomial of gzip and PNG) of index files, recorded in the manifest and
// checked by `lmkit index verify`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace lmkit::index {

class Crc32 {
 public:
  void update(const void* data, std::size_t n_bytes);
  std::uint32_t value() const { return value_; }
  // Eight lowercase hex digits, as written in lmkit.json.
  std::string hex() const;

 private:
  std::uint32_t value_ = 0;
};

std::uint32_t crc32_of(std::span<const std::uint8_t> bytes);
std::string crc32_hex(std::uint32_t value);

}  // namespace lmkit::index
