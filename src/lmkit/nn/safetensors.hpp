// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
// mapping tensor names to {dtype, shape, data_offsets: [begin, end)} (plus an optional "__metadata__"
// object of strings), then the data buffer, which the tensors must tile exactly. The reader trusts
// nothing: every field is checked, and a bad file is rejected with a message naming the file, the
// tensor and what is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "lmkit/util/mapped_file.hpp"

namespace lmkit::nn {

enum class DType { F32, F16, BF16 };

struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::size_t> shape;
  std::size_t begin = 0;  // byte offsets into the data buffer (after the header)
  std::size_t end = 0;
};

// The largest header the reader accepts (the reference implementation's limit).
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

class SafetensorsFile {
 public:
  // Maps and validates `path`.
  static SafetensorsFile open(const std::string& path);
  // Validates `bytes` (which must outlive the result); `source` names them in messages.
  static SafetensorsFile parse(std::span<const std::uint8_t> bytes, std::string source);

  const std::vector<SafetensorsEntry>& entries() const { return entries_; }  // in file order
  const SafetensorsEntry* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The tensor's values converted to fp32 (F16 and BF16 widen exactly).
  std::vector<float> read_f32(const SafetensorsEntry& entry) const;
  const std::string& source() const { return source_; }

 private:
  MappedFile file_;
  std::span<const std::uint8_t> data_;  // the data buffer
  std::string source_;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

struct NamedTensor {
  std::string name;
  std::vector<std::size_t> shape;
  const float* values;  // shape_size(shape) floats
};

// Writes F32 tensors, in the given order, atomically, with `metadata` (Hugging Face expects
// {"format": "pt"}).
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata);

std::string to_string(DType dtype);
float half_to_float(std::uint16_t bits);
float bfloat16_to_float(std::uint16_t bits);

}  // namespace lmkit::nn
