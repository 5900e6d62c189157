#include "lmkit/nn/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "lmkit/tensor/tensor.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "lmkit/util/memory.hpp"

namespace lmkit::nn {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

std::size_t dtype_bytes(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

DType parse_dtype(const std::string& text, const std::string& where) {
  if (text == "F32") return DType::F32;
  if (text == "F16") return DType::F16;
  if (text == "BF16") return DType::BF16;
  fail("{}: dtype \"{}\" is not supported (lmkit reads F32, F16 and BF16)", where, text);
}

std::size_t non_negative(const Json& value, const std::string& where) {
  if (!value.is_number_integer() && !value.is_number_unsigned())
    fail("{} must be a non-negative integer", where);
  if (value.is_number_integer() && value.get<std::int64_t>() < 0)
    fail("{} must be a non-negative integer", where);
  return value.get<std::size_t>();
}

}  // namespace

std::string to_string(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
  }
  return "?";
}

float half_to_float(std::uint16_t bits) {
  std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000) << 16;
  std::uint32_t exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff, out;
  if (exponent == 0x1f)
    out = sign | 0x7f800000u | (mantissa << 13);  // inf / NaN
  else if (exponent != 0)
    out = sign | ((exponent + 112) << 23) | (mantissa << 13);
  else if (mantissa == 0)
    out = sign;  // ±0
  else {         // subnormal: normalize
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x400) == 0);
    out = sign | (static_cast<std::uint32_t>(112 - e) << 23) | ((mantissa & 0x3ff) << 13);
  }
  return std::bit_cast<float>(out);
}

float bfloat16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  MappedFile file = MappedFile::open(path, AccessHint::sequential, true);
  SafetensorsFile result = parse(file.bytes(), path);
  result.file_ = std::move(file);
  return result;
}

SafetensorsFile SafetensorsFile::parse(std::span<const std::uint8_t> bytes, std::string source) {
  SafetensorsFile result;
  result.source_ = std::move(source);
  const std::string& src = result.source_;
  if (bytes.size() < 8)
    fail("{}: {} bytes is too short for a safetensors file (8-byte header length)", src, bytes.size());
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > max_safetensors_header_bytes)
    fail("{}: header length {} exceeds the limit of {} bytes", src, header_len, max_safetensors_header_bytes);
  if (header_len > bytes.size() - 8)
    fail("{}: header length {} runs past the end of the {}-byte file", src, header_len, bytes.size());
  std::string_view header(reinterpret_cast<const char*>(bytes.data() + 8), header_len);
  if (header.empty() || header.front() != '{') fail("{}: the header does not start with a JSON object", src);
  Json json = parse_json(header, src + " header");
  if (!json.is_object()) fail("{}: the header is not a JSON object", src);
  result.data_ = bytes.subspan(8 + header_len);

  for (const auto& [name, value] : json.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) fail("{}: __metadata__ must be an object of strings", src);
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) fail("{}: __metadata__ field \"{}\" must be a string", src, key);
        result.metadata_[key] = text.get<std::string>();
      }
      continue;
    }
    std::string where = fmt::format("{}: tensor \"{}\"", src, name);
    if (!value.is_object()) fail("{} must be an object", where);
    auto dtype = value.find("dtype");
    auto shape = value.find("shape");
    auto offsets = value.find("data_offsets");
    if (dtype == value.end() || !dtype->is_string()) fail("{}: missing or non-string \"dtype\"", where);
    if (shape == value.end() || !shape->is_array()) fail("{}: missing or non-array \"shape\"", where);
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2)
      fail("{}: \"data_offsets\" must be an array [begin, end]", where);
    SafetensorsEntry entry;
    entry.name = name;
    entry.dtype = parse_dtype(dtype->get<std::string>(), where);
    std::size_t n_elements = 1;
    for (const auto& d : *shape) {
      std::size_t dim = non_negative(d, where + " shape dimension");
      if (dim != 0 && n_elements > std::numeric_limits<std::size_t>::max() / dim)
        fail("{}: shape overflows", where);
      n_elements *= dim;
      entry.shape.push_back(dim);
    }
    entry.begin = non_negative((*offsets)[0], where + " data_offsets[0]");
    entry.end = non_negative((*offsets)[1], where + " data_offsets[1]");
    if (entry.begin > entry.end)
      fail("{}: data_offsets [{}, {}] are reversed", where, entry.begin, entry.end);
    if (n_elements > std::numeric_limits<std::size_t>::max() / 4 ||
        entry.end - entry.begin != n_elements * dtype_bytes(entry.dtype))
      fail("{}: shape {} of {} needs {} bytes but data_offsets [{}, {}] hold {}", where,
           tensor::shape_string(entry.shape), to_string(entry.dtype), n_elements * dtype_bytes(entry.dtype),
           entry.begin, entry.end, entry.end - entry.begin);
    result.entries_.push_back(std::move(entry));
  }

  // The tensors must tile the data buffer: sorted by offset, no gap, no overlap, nothing after.
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& e : result.entries_) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const auto* a, const auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::size_t expected = 0;
  for (const auto* e : by_offset) {
    if (e->begin != expected)
      fail("{}: tensor \"{}\" starts at byte {} of the data but the previous tensor ends at {} ({})", src,
           e->name, e->begin, expected, e->begin < expected ? "overlap" : "gap");
    expected = e->end;
  }
  if (expected != result.data_.size())
    fail("{}: the tensors cover {} bytes but the data section after the header is {} bytes", src, expected,
         result.data_.size());
  std::sort(result.entries_.begin(), result.entries_.end(),
            [](const auto& a, const auto& b) { return a.begin < b.begin; });
  return result;
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<float> SafetensorsFile::read_f32(const SafetensorsEntry& entry) const {
  const std::uint8_t* p = data_.data() + entry.begin;
  std::size_t n = (entry.end - entry.begin) / dtype_bytes(entry.dtype);
  std::vector<float> out = allocating(fmt::format("{}: tensor \"{}\" as fp32", source_, entry.name),
                                      bytes_of(n, sizeof(float)), [&] { return std::vector<float>(n); });
  if (entry.dtype == DType::F32) {
    std::memcpy(out.data(), p, n * 4);
    return out;
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::uint16_t bits;
    std::memcpy(&bits, p + 2 * i, 2);
    out[i] = entry.dtype == DType::F16 ? half_to_float(bits) : bfloat16_to_float(bits);
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const auto& t : tensors) {
    std::size_t bytes = tensor::shape_size(t.shape) * 4;
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // align the data to 8 bytes, as the reference writer does
  std::uint64_t header_len = text.size();
  AtomicFile file(path);
  file.write(&header_len, 8);
  file.write(text);
  for (const auto& t : tensors) file.write(t.values, tensor::shape_size(t.shape) * 4);
  file.commit();
}

}  // namespace lmkit::nn
