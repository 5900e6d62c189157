#include "lmkit/text/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace lmkit::text {

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::size_t n = text.size();
  const std::uint8_t lead = bytes[i];
  if (lead < 0x80) return 1;
  // Table 3-7 of the Unicode standard: the allowed range of the second byte depends on the lead.
  std::size_t length;
  std::uint8_t second_lo = 0x80, second_hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_lo = 0xA0;  // no overlong forms
    if (lead == 0xED) second_hi = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_lo = 0x90;  // no overlong forms
    if (lead == 0xF4) second_hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > n) return 0;
  if (bytes[i + 1] < second_lo || bytes[i + 1] > second_hi) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if ((bytes[i + k] & 0xC0) != 0x80) return 0;
  return length;
}

std::size_t find_invalid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path: eight bytes at a time while none has its high bit set.
    while (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, bytes + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return i;
    i += length;
  }
  return n;
}

}  // namespace lmkit::text
