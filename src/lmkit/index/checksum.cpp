#include "lmkit/index/checksum.hpp"

#include <fmt/format.h>
#include <zlib.h>

namespace lmkit::index {

void Crc32::update(const void* data, std::size_t n_bytes) {
  value_ = static_cast<std::uint32_t>(crc32_z(value_, static_cast<const Bytef*>(data), n_bytes));
}

std::string Crc32::hex() const { return crc32_hex(value_); }

std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) {
  Crc32 crc;
  crc.update(bytes.data(), bytes.size());
  return crc.value();
}

std::string crc32_hex(std::uint32_t value) { return fmt::format("{:08x}", value); }

}  // namespace lmkit::index
