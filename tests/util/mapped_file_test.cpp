#include "lmkit/util/mapped_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"

#include "support/errors.hpp"

namespace fs = std::filesystem;

namespace {

using lmkit::testing::error_of;

fs::path temp_file_path(const std::string& name) {
  return fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
}

}  // namespace

TEST(MappedFile, MapsTheBytesOfAFile) {
  fs::path path = temp_file_path("lmkit-map");
  lmkit::write_file_atomic(path.string(), std::string("\x01\x02\xff", 3));
  auto file = lmkit::MappedFile::open(path.string(), lmkit::AccessHint::random);
  ASSERT_EQ(file.size(), 3u);
  EXPECT_EQ(file.data()[0], 1);
  EXPECT_EQ(file.data()[2], 0xff);
  auto moved = std::move(file);
  EXPECT_EQ(moved.bytes()[1], 2);
  fs::remove(path);
}

TEST(MappedFile, MissingFileErrorNamesThePath) {
  std::string message = error_of([] { lmkit::MappedFile::open("/nonexistent/lmkit/shard.0"); });
  EXPECT_NE(message.find("/nonexistent/lmkit/shard.0"), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(MappedFile, EmptyFileIsAnErrorUnlessAllowed) {
  fs::path path = temp_file_path("lmkit-empty");
  lmkit::write_file_atomic(path.string(), "");
  std::string message = error_of([&] { lmkit::MappedFile::open(path.string()); });
  EXPECT_NE(message.find("is empty"), std::string::npos) << message;
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  auto file = lmkit::MappedFile::open(path.string(), lmkit::AccessHint::normal, /*allow_empty=*/true);
  EXPECT_EQ(file.size(), 0u);
  fs::remove(path);
}

TEST(MappedFile, DirectoryIsRejected) {
  std::string message = error_of([] { lmkit::MappedFile::open(fs::temp_directory_path().string()); });
  EXPECT_NE(message.find("directory"), std::string::npos) << message;
}
