#include "lmkit/util/progress.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace {

std::string drain(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

// A pseudo-terminal pair: the bar sees a terminal on `terminal`, the test reads from `reader`.
struct Pty {
  int reader = -1;
  int terminal = -1;
  Pty() {
    reader = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (reader < 0 || ::grantpt(reader) != 0 || ::unlockpt(reader) != 0) return;
    terminal = ::open(::ptsname(reader), O_RDWR | O_NOCTTY);
  }
  ~Pty() {
    if (terminal >= 0) ::close(terminal);
    if (reader >= 0) ::close(reader);
  }
};

}  // namespace

TEST(ProgressBar, WritesNothingWhenNotATerminal) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    lmkit::ProgressBar bar("tokenize", 100, "docs", fds[1]);
    EXPECT_FALSE(bar.enabled());
    for (int i = 0; i < 100; ++i) bar.add(1);
  }
  ::close(fds[1]);
  EXPECT_EQ(drain(fds[0]), "");
  ::close(fds[0]);
}

TEST(ProgressBar, DrawsCountAndRateOnATerminal) {
  Pty pty;
  ASSERT_GE(pty.terminal, 0) << "no pseudo-terminal available";
  {
    lmkit::ProgressBar bar("index", 2000, "tokens", pty.terminal);
    ASSERT_TRUE(bar.enabled());
    bar.add(1500);
    bar.finish();
  }
  ::fcntl(pty.reader, F_SETFL, O_NONBLOCK);
  std::string out = drain(pty.reader);
  EXPECT_NE(out.find("index"), std::string::npos) << out;
  EXPECT_NE(out.find("75%"), std::string::npos) << out;
  EXPECT_NE(out.find("1.5 ktokens/2 ktokens"), std::string::npos) << out;
  EXPECT_NE(out.find("tokens/s"), std::string::npos) << out;
}

TEST(ProgressBar, QuietSilencesEvenATerminal) {
  Pty pty;
  ASSERT_GE(pty.terminal, 0);
  lmkit::ProgressBar::set_quiet(true);
  lmkit::ProgressBar bar("index", 10, "", pty.terminal);
  lmkit::ProgressBar::set_quiet(false);
  EXPECT_FALSE(bar.enabled());
}

TEST(HumanFormat, CountsAndDurations) {
  EXPECT_EQ(lmkit::human_count(999, "docs"), "999 docs");
  EXPECT_EQ(lmkit::human_count(1536, "B"), "1.5 KiB");
  EXPECT_EQ(lmkit::human_count(2'500'000, ""), "2.5 M");
  EXPECT_EQ(lmkit::human_duration(65), "1:05");
  EXPECT_EQ(lmkit::human_duration(3725), "1:02:05");
}
