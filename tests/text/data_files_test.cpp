// Where lmkit's data files are found (data_files.hpp) and how a tokenizer spec that names a missing path
// is reported: the order of the data directories, the first complete one winning, errors that name every
// place looked, and `gpt2` following $LMKIT_DATA ahead of the source tree.
#include "lmkit/text/data_files.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "lmkit/text/bpe_files.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"
#include "test_files.hpp"

namespace lmkit::text {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using Ids = std::vector<std::uint32_t>;

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_.empty())
      ::unsetenv(name_);
    else
      ::setenv(name_, old_.c_str(), 1);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
};

std::string error_of(auto&& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DataFiles, TheFirstDirectoryWithEveryFileWins) {
  TempDir root;
  const std::vector<std::string> files{"encoder.json", "vocab.bpe"};
  root.write("incomplete/gpt2/encoder.json", "{}");
  root.write("first/gpt2/encoder.json", "{}");
  root.write("first/gpt2/vocab.bpe", "");
  root.write("second/gpt2/encoder.json", "{}");
  root.write("second/gpt2/vocab.bpe", "");
  const std::string base = root.path();
  const std::vector<std::string> dirs{base + "/absent", base + "/incomplete", base + "/first",
                                      base + "/second"};
  EXPECT_EQ(find_data_dir(dirs, "gpt2", files), base + "/first/gpt2");
}

TEST(DataFiles, NothingFoundNamesTheFilesAndEveryPlaceLooked) {
  TempDir root;
  root.write("a/gpt2/encoder.json", "{}");
  const std::string base = root.path();
  const std::vector<std::string> dirs{base + "/a", base + "/b"};
  const std::vector<std::string> files{"encoder.json", "vocab.bpe"};
  const std::string message = error_of([&] { find_data_dir(dirs, "gpt2", files); });
  EXPECT_NE(message.find("encoder.json and vocab.bpe"), std::string::npos) << message;
  EXPECT_NE(message.find(base + "/a/gpt2, " + base + "/b/gpt2"), std::string::npos) << message;
  EXPECT_NE(message.find("LMKIT_DATA"), std::string::npos) << message;
}

TEST(DataFiles, InstalledDirectoriesComeFirstThenLmkitDataThenTheSourceTree) {
  const fs::path executable = fs::read_symlink("/proc/self/exe");
  const std::string beside_executable =
      (executable.parent_path() / ".." / "share" / "lmkit").lexically_normal();
  {
    ScopedEnv env("LMKIT_DATA", "/somewhere/lmkit-data");
    const std::vector<std::string> dirs = data_dirs();
    ASSERT_EQ(dirs.size(), 4u);
    EXPECT_EQ(dirs[0], beside_executable);
    EXPECT_TRUE(dirs[1].ends_with("/share/lmkit")) << dirs[1];  // the configured install prefix's
    EXPECT_EQ(dirs[2], "/somewhere/lmkit-data");
    EXPECT_EQ(dirs[3], std::string(LMKIT_SOURCE_DIR) + "/data");
  }
  ScopedEnv empty("LMKIT_DATA", "");
  const std::vector<std::string> dirs = data_dirs();
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[2], std::string(LMKIT_SOURCE_DIR) + "/data");
}

// A copy of GPT-2's files with the ids of "Hello" and "Ġworld" swapped: the merges are unchanged, so
// "Hello world" splits the same way and its ids tell which copy was loaded.
void write_swapped_gpt2(const fs::path& dir) {
  const std::string original = gpt2_files_dir();
  Json encoder = read_json_file(original + "/encoder.json");
  ASSERT_EQ(encoder["Hello"], 15496);
  ASSERT_EQ(encoder["\u0120world"], 995);
  encoder["Hello"] = 995;
  encoder["\u0120world"] = 15496;
  fs::create_directories(dir);
  write_json_file((dir / "encoder.json").string(), encoder, -1);
  fs::copy_file(original + "/vocab.bpe", dir / "vocab.bpe");
}

TEST(DataFiles, Gpt2FollowsLmkitDataAheadOfTheSourceTree) {
  const std::vector<std::string> dirs = data_dirs();
  for (std::size_t i = 0; i < 2; ++i)
    if (fs::exists(dirs[i] + "/gpt2")) GTEST_SKIP() << "an installed lmkit at " << dirs[i] << " comes first";
  TempDir root;
  write_swapped_gpt2(fs::path(root.path()) / "gpt2");
  EXPECT_EQ(load_tokenizer("gpt2")->encode("Hello world"), (Ids{15496, 995}));  // the source tree's
  ScopedEnv env("LMKIT_DATA", root.path());
  EXPECT_EQ(gpt2_files_dir(), root.path("gpt2"));
  EXPECT_EQ(load_tokenizer("gpt2")->encode("Hello world"), (Ids{995, 15496}));
}

TEST(TokenizerSpec, AMissingPathIsReportedAsAMissingFileNamingIt) {
  TempDir root;
  const std::string file = root.write("plain.txt", "not a directory");
  for (const std::string& spec : {root.path("absent/tokenizer.json"), root.path("absent"),
                                  std::string("tokenizer.model"), file + "/vocab.txt"}) {
    try {
      load_tokenizer(spec);
      ADD_FAILURE() << spec << " loaded";
    } catch (const UsageError& e) {
      ADD_FAILURE() << spec << ": a missing file is a failure, not a usage error: " << e.what();
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                spec + ": no such file or directory (the tokenizer path does not exist)");
    }
  }
}

TEST(TokenizerSpec, ABareWordThatIsNoTokenizerIsAUsageError) {
  try {
    load_tokenizer("no-such-tokenizer");
    ADD_FAILURE() << "loaded";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown tokenizer \"no-such-tokenizer\""), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lmkit::text
