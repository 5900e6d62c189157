#include "lmkit/util/atomic_file.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lmkit/util/error.hpp"
#include "lmkit/util/interrupt.hpp"

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using lmkit::AtomicDirectory;
using lmkit::AtomicFile;

namespace {

using lmkit::testing::TempDir;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  return names;
}

}  // namespace

TEST(AtomicFile, CommitMakesTheFileAppearWithAllItsBytes) {
  TempDir dir;
  fs::path target = dir.path / "out.bin";
  std::string payload(3 << 20, 'x');  // larger than the internal buffer
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
  {
    AtomicFile file(target.string());
    file.write("head");
    file.write(payload);
    EXPECT_FALSE(fs::exists(target)) << "visible before commit";
    file.commit();
  }
  EXPECT_EQ(read_all(target), "head" + payload);
  EXPECT_EQ(entries(dir.path), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, AnExceptionMidwayLeavesNoFileAndNoTemporary) {
  TempDir dir;
  fs::path target = dir.path / "out.txt";
  try {
    AtomicFile file(target.string());
    file.write(std::string(5000, 'a'));
    throw std::runtime_error("producer failed halfway");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(entries(dir.path).empty());
}

TEST(AtomicFile, AFailedCommitKeepsTheOldFileIntact) {
  TempDir dir;
  fs::path target = dir.path / "model.json";
  lmkit::write_file_atomic(target.string(), "old contents");
  // A child process whose file size limit is 64 KiB: its writes fail with EFBIG partway through.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {
      64 << 10, 64 << 10
    };
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      AtomicFile file(target.string());
      file.write(std::string(4 << 20, 'n'));
      file.commit();
    } catch (const lmkit::Error& e) {
      bool names_file = std::string(e.what()).find("model.json") != std::string::npos;
      ::_exit(names_file ? 42 : 43);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42) << "the write should fail with an error naming the file";
  EXPECT_EQ(read_all(target), "old contents");
  EXPECT_EQ(entries(dir.path), std::vector<std::string>{"model.json"});
}

TEST(AtomicFile, CannotWriteIntoAMissingDirectory) {
  TempDir dir;
  EXPECT_THROW(AtomicFile((dir.path / "no" / "such" / "file").string()), lmkit::Error);
}

TEST(AtomicDirectory, AppearsOnlyOnCommit) {
  TempDir dir;
  fs::path target = dir.path / "index";
  {
    AtomicDirectory out(target.string());
    lmkit::write_file_atomic(out.file("a.bin"), "a");
    EXPECT_FALSE(fs::exists(target));
    out.commit();
  }
  EXPECT_EQ(read_all(target / "a.bin"), "a");
  EXPECT_EQ(entries(dir.path), std::vector<std::string>{"index"});
}

TEST(AtomicDirectory, AbandonedBuildIsRemovedAndExistingOutputRefused) {
  TempDir dir;
  fs::path target = dir.path / "index";
  {
    AtomicDirectory out(target.string());
    lmkit::write_file_atomic(out.file("a.bin"), "a");
  }
  EXPECT_TRUE(entries(dir.path).empty());
  fs::create_directory(target);
  try {
    AtomicDirectory again(target.string());
    FAIL() << "an existing output directory must be refused";
  } catch (const lmkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
}

TEST(AtomicDirectory, DebrisOfAKilledBuildIsCleanedUpByTheNext) {
  TempDir dir;
  fs::create_directory(dir.path / ".index.partial-abc123");
  lmkit::write_file_atomic((dir.path / ".index.partial-abc123" / "x").string(), "junk");
  AtomicDirectory out((dir.path / "index").string());
  out.commit();
  EXPECT_EQ(entries(dir.path), std::vector<std::string>{"index"});
}

TEST(AtomicDirectory, ReplacingSwapsInTheNewDirectoryAndLeavesNoDebris) {
  TempDir dir;
  fs::path target = dir.path / "checkpoint";
  for (const char* contents : {"first", "second", "third"}) {
    AtomicDirectory out(target.string(), true);
    lmkit::write_file_atomic(out.file("model.bin"), contents);
    out.commit();
    EXPECT_EQ(read_all(target / "model.bin"), contents);
    EXPECT_EQ(entries(dir.path), std::vector<std::string>{"checkpoint"});
  }
}

TEST(AtomicDirectory, APreviousCompleteVersionMovedAsideIsNeverDeleted) {
  // What a replacement killed between its two renames (the fallback without RENAME_EXCHANGE) leaves.
  TempDir dir;
  const fs::path old = dir.path / ".checkpoint.partial-Ab12Cd.old";
  fs::create_directory(old);
  lmkit::write_file_atomic((old / "model.bin").string(), "trained for hours");
  fs::create_directory(dir.path / ".checkpoint.partial-Xy34Zw");  // the new one, incomplete
  try {
    AtomicDirectory out((dir.path / "checkpoint").string(), true);
    FAIL() << "the constructor deleted or ignored the previous checkpoint";
  } catch (const lmkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find(old.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_all(old / "model.bin"), "trained for hours");
}

TEST(AtomicDirectory, GetsTheUmasksPermissionsAndCreatesMissingParents) {
  TempDir dir;
  const mode_t saved = ::umask(027);
  fs::path target = dir.path / "runs" / "a" / "model";
  {
    AtomicDirectory out(target.string());
    lmkit::write_file_atomic(out.file("config.json"), "{}");
    out.commit();
  }
  ::umask(saved);
  struct stat info {};
  ASSERT_EQ(::stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0750u);
  ASSERT_EQ(::stat((target / "config.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640u);
}

TEST(OutputLock, ASecondWriterOfTheSameDirectoryFailsAndLeavesTheFirstsWorkAlone) {
  TempDir dir;
  const std::string out = (dir.path / "idx").string();
  AtomicDirectory first(out);
  { std::ofstream(first.file("data")) << "first"; }
  try {
    AtomicDirectory second(out);
    FAIL() << "a second writer of " << out << " was allowed";
  } catch (const lmkit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("another lmkit process is writing " + out), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(read_all(fs::path(first.temp_path()) / "data"), "first") << "the first writer's work was touched";
  first.commit();
  EXPECT_EQ(read_all(dir.path / "idx" / "data"), "first");
  EXPECT_EQ(entries(dir.path), std::vector<std::string>{"idx"}) << "the lock file was left behind";
  AtomicDirectory third(out, /*replace_existing=*/true);  // released at commit: a later writer may start
}

TEST(OutputLock, ASecondWriterOfTheSameFileFails) {
  TempDir dir;
  const std::string out = (dir.path / "model.bin").string();
  AtomicFile first(out);
  EXPECT_THROW(AtomicFile second(out), lmkit::Error);
  first.write("x");
  first.commit();
  EXPECT_EQ(entries(dir.path), std::vector<std::string>{"model.bin"});
}

TEST(OutputLock, AnotherProcessHoldingTheLockIsRefused) {
  TempDir dir;
  const std::string out = (dir.path / "idx").string();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    AtomicDirectory held(out);
    char byte = 1;
    (void)!::write(ready[1], &byte, 1);
    ::pause();  // killed by the parent
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  EXPECT_THROW(AtomicDirectory second(out), lmkit::Error);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  AtomicDirectory after_death(out);  // the kernel released the dead process's lock
  after_death.commit();
  EXPECT_TRUE(fs::is_directory(out));
}

TEST(InterruptCleanup, WritersRegisterTheirTemporariesUntilCommitOrDestruction) {
  TempDir dir;
  auto registered = [](const std::string& path) {
    auto paths = lmkit::registered_partials();
    return std::find(paths.begin(), paths.end(), path) != paths.end();
  };
  std::string dir_temp, file_temp;
  {
    AtomicDirectory out((dir.path / "idx").string());
    dir_temp = out.temp_path();
    EXPECT_TRUE(registered(dir_temp));
    AtomicFile file((dir.path / "f").string());
    file_temp = file.temp_path();
    EXPECT_TRUE(registered(file_temp));
    file.commit();
    EXPECT_FALSE(registered(file_temp));
  }
  EXPECT_FALSE(registered(dir_temp));
  EXPECT_TRUE(lmkit::registered_partials().empty());
}

TEST(InterruptCleanup, ASignalRemovesTheTemporariesAndEndsTheProcessWithThatSignal) {
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    TempDir dir;
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      lmkit::install_interrupt_cleanup();
      AtomicDirectory out((dir.path / "idx").string());
      { std::ofstream(out.file("data")) << "partial"; }
      AtomicFile file((dir.path / "f").string());
      file.write("partial");
      char byte = 1;
      (void)!::write(ready[1], &byte, 1);
      for (;;) ::pause();
    }
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);
    ::close(ready[0]);
    ::close(ready[1]);
    EXPECT_EQ(entries(dir.path).size(), 4u);  // two temporaries, two lock files
    ::kill(child, signal_number);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "signal " << signal_number << ": status " << status;
    EXPECT_EQ(WTERMSIG(status), signal_number);
    EXPECT_EQ(entries(dir.path), std::vector<std::string>{}) << "debris after signal " << signal_number;
  }
}
