// The safetensors reader: any bytes must either parse (and then every tensor must be readable within
// the buffer) or be rejected with lmkit::Error — never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "lmkit/nn/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return lmkit::fuzz::guarded([&] {
    auto file = lmkit::nn::SafetensorsFile::parse(std::span<const std::uint8_t>(data, size), "fuzz");
    for (const auto& entry : file.entries()) (void)file.read_f32(entry);
  });
}
