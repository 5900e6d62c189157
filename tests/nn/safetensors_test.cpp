// The safetensors reader on good files (round trip, F16 / BF16 widening) and on every kind of bad
// file, each rejected with a message that says what is wrong.
#include "lmkit/nn/safetensors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "lmkit/util/error.hpp"

namespace lmkit::nn {
namespace {

std::vector<std::uint8_t> make_file(const std::string& header, std::size_t data_bytes,
                                    std::uint64_t length_override = 0) {
  std::uint64_t n = length_override ? length_override : header.size();
  std::vector<std::uint8_t> bytes(8 + header.size() + data_bytes, 0);
  std::memcpy(bytes.data(), &n, 8);
  std::memcpy(bytes.data() + 8, header.data(), header.size());
  return bytes;
}

std::string error_of(const std::vector<std::uint8_t>& bytes) {
  try {
    SafetensorsFile::parse(bytes, "x.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Safetensors, WriteThenReadRoundTrips) {
  auto dir = std::filesystem::temp_directory_path() / ("lmkit_st_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {-0.5f};
  std::string path = (dir / "t.safetensors").string();
  write_safetensors(path, {{"a", {2, 3}, a.data()}, {"b", {1}, b.data()}}, {{"format", "pt"}});
  auto file = SafetensorsFile::open(path);
  ASSERT_EQ(file.entries().size(), 2u);
  EXPECT_EQ(file.find("a")->shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(file.read_f32(*file.find("a")), a);
  EXPECT_EQ(file.read_f32(*file.find("b")), b);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  std::filesystem::remove_all(dir);
}

TEST(Safetensors, WidensF16AndBf16Exactly) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(half_to_float(0x7c00)));
  EXPECT_EQ(bfloat16_to_float(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16_to_float(0xc0a0), -5.0f);
  // A file holding one F16 and one BF16 tensor.
  std::string header =
      R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"g":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}})";
  auto bytes = make_file(header, 6);
  std::uint16_t values[] = {0x3c00, 0x3800, 0x4040};  // 1, 0.5 | 3
  std::memcpy(bytes.data() + 8 + header.size(), values, 6);
  auto file = SafetensorsFile::parse(bytes, "mem");
  EXPECT_EQ(file.read_f32(*file.find("h")), (std::vector<float>{1.0f, 0.5f}));
  EXPECT_EQ(file.read_f32(*file.find("g")), (std::vector<float>{3.0f}));
}

TEST(Safetensors, RejectsBadFilesWithMessagesThatSayWhy) {
  using ::testing::HasSubstr;
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(error_of(make_file(ok, 8)), "accepted");
  EXPECT_THAT(error_of({1, 2, 3}), HasSubstr("too short"));
  EXPECT_THAT(error_of(make_file(ok, 8, 1ull << 40)), HasSubstr("exceeds the limit"));
  EXPECT_THAT(error_of(make_file(ok, 8, ok.size() + 9)), HasSubstr("runs past the end"));
  EXPECT_THAT(error_of(make_file("[1,2]", 0)), HasSubstr("does not start with a JSON object"));
  EXPECT_THAT(error_of(make_file(R"({"a":)", 0)), HasSubstr("x.safetensors header"));
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8)),
              HasSubstr("dtype \"I64\" is not supported"));
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)),
              HasSubstr("needs 12 bytes"));
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)),
              HasSubstr("non-negative"));
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8)),
              HasSubstr("reversed"));
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"F32","shape":[2]}})", 8)), HasSubstr("data_offsets"));
  EXPECT_THAT(error_of(make_file(ok, 12)), HasSubstr("cover 8 bytes but the data section"));
  EXPECT_THAT(error_of(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8)),
              HasSubstr("gap"));
  EXPECT_THAT(
      error_of(make_file(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
          8)),
      HasSubstr("overlap"));
  EXPECT_THAT(error_of(make_file(R"({"__metadata__":{"format":1}})", 0)), HasSubstr("must be a string"));
  EXPECT_THAT(
      error_of(make_file(R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}})", 8)),
      HasSubstr("shape"));
}

TEST(Safetensors, OpenNamesAMissingFile) {
  try {
    SafetensorsFile::open("/nonexistent/model.safetensors");
    FAIL() << "accepted a missing file";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("/nonexistent/model.safetensors"));
  }
}

}  // namespace
}  // namespace lmkit::nn
