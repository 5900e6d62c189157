// libFuzzer target for the safetensors reader: any bytes must either parse (and then every tensor
// must be readable within the buffer) or be rejected with lmkit::Error — never crash, hang or read
// out of bounds (run under AddressSanitizer). Built and run briefly by safetensors_fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <span>

#include "lmkit/nn/safetensors.hpp"
#include "lmkit/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto file = lmkit::nn::SafetensorsFile::parse(std::span<const std::uint8_t>(data, size), "fuzz");
    for (const auto& entry : file.entries()) (void)file.read_f32(entry);
  } catch (const lmkit::Error&) {
  }
  return 0;
}
