#include "lmkit/util/interrupt.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "lmkit/util/error.hpp"

namespace lmkit {

namespace {

struct Registry {
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, std::string> paths;  // id -> path; ids grow, so the order is registration's
};

Registry& registry() {
  static Registry* instance = new Registry;  // never destroyed: the cleanup thread may outlive main()
  return *instance;
}

constexpr int kInterruptSignals[] = {SIGINT, SIGTERM, SIGHUP};

int g_wake_fd = -1;  // the write end of the pipe the handler reports a signal through

// The whole handler: write(2) is async-signal-safe, and nothing else happens in signal context.
void on_interrupt(int signal_number) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(signal_number);
  (void)!::write(g_wake_fd, &byte, 1);
  errno = saved;
}

[[noreturn]] void wait_and_clean_up(int read_fd) {
  unsigned char byte = 0;
  while (::read(read_fd, &byte, 1) != 1) {
  }
  const int signal_number = byte;
  // Held until the process dies: no writer registers a new temporary after this cleanup.
  Registry& r = registry();
  r.mutex.lock();
  for (auto it = r.paths.rbegin(); it != r.paths.rend(); ++it) {
    std::error_code ec;
    std::filesystem::remove_all(it->second, ec);
  }
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(signal_number, &default_action, nullptr);
  sigset_t just_this;
  sigemptyset(&just_this);
  sigaddset(&just_this, signal_number);
  ::pthread_sigmask(SIG_UNBLOCK, &just_this, nullptr);
  ::raise(signal_number);
  ::_exit(128 + signal_number);  // not reached: the default action of all three ends the process
}

}  // namespace

void install_interrupt_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail("cannot create the interrupt pipe: {}", errno_message(errno));
    g_wake_fd = fds[1];
    std::thread(wait_and_clean_up, fds[0]).detach();
    for (int signal_number : kInterruptSignals) {
      struct sigaction current {};
      ::sigaction(signal_number, nullptr, &current);
      // A signal ignored when lmkit started (nohup, a background job) stays ignored.
      if (current.sa_handler == SIG_IGN) continue;
      struct sigaction action {};
      action.sa_handler = on_interrupt;
      sigemptyset(&action.sa_mask);
      action.sa_flags = SA_RESTART;
      if (::sigaction(signal_number, &action, nullptr) != 0)
        fail("cannot install the handler for signal {}: {}", signal_number, errno_message(errno));
    }
  });
}

std::uint64_t register_partial(std::string path) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const std::uint64_t id = r.next_id++;
  r.paths.emplace(id, std::move(path));
  return id;
}

void unregister_partial(std::uint64_t id) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.paths.erase(id);
}

std::vector<std::string> registered_partials() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> paths;
  for (const auto& [id, path] : r.paths) paths.push_back(path);
  return paths;
}

}  // namespace lmkit
