#include "lmkit/util/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "lmkit/util/error.hpp"
#include "lmkit/util/interrupt.hpp"

namespace lmkit {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

std::string parent_of(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// ".NAME.partial-XXXXXX" beside `path`: hidden, and recognisable as debris of an unfinished write.
std::string temp_template(const std::string& path) {
  fs::path p(path);
  return (fs::path(parent_of(path)) / ("." + p.filename().string() + ".partial-XXXXXX")).string();
}

// The process's umask (umask() can only be read by setting it; this sets it back at once).
mode_t current_umask() {
  const mode_t mask = ::umask(022);
  ::umask(mask);
  return mask;
}

// Swaps two paths atomically: at every instant each name holds one of the two complete entries.
// False where the file system cannot (EINVAL: no RENAME_EXCHANGE there, ENOSYS: an old kernel).
bool exchange_paths(const std::string& a, const std::string& b) {
#ifdef RENAME_EXCHANGE
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) return true;
  if (errno != EINVAL && errno != ENOSYS) fail("cannot replace {} with {}: {}", b, a, errno_message(errno));
#endif
  return false;
}

// The suffix of the previous complete directory, moved aside by a replacement without RENAME_EXCHANGE.
constexpr std::string_view kOldSuffix = ".old";

}  // namespace

OutputLock::OutputLock(const std::string& path)
    : lock_path_(
          (fs::path(parent_of(path)) / ("." + fs::path(path).filename().string() + ".lock")).string()) {
  for (;;) {
    fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0) fail("cannot create the lock file {} for {}: {}", lock_path_, path, errno_message(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int saved = errno;
      ::close(fd_);
      fd_ = -1;
      if (saved == EWOULDBLOCK) fail("another lmkit process is writing {} (it holds {})", path, lock_path_);
      fail("cannot lock {} for {}: {}", lock_path_, path, errno_message(saved));
    }
    // The holder before us removes the file before it unlocks; if it did so between our open() and
    // flock(), we locked a file no one else will ever see: start again on the current one.
    struct stat held {
    }, current{};
    if (::fstat(fd_, &held) == 0 && ::stat(lock_path_.c_str(), &current) == 0 &&
        held.st_dev == current.st_dev && held.st_ino == current.st_ino)
      break;
    ::close(fd_);
    fd_ = -1;
  }
  partial_id_ = register_partial(lock_path_);
}

void OutputLock::release() {
  if (fd_ < 0) return;
  unregister_partial(partial_id_);
  ::unlink(lock_path_.c_str());  // while still locked: see the constructor
  ::close(fd_);
  fd_ = -1;
}

void fsync_directory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory {} to sync it: {}", path, errno_message(errno));
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0) fail("cannot sync directory {}: {}", path, errno_message(saved));
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) fail("cannot write a file with an empty name");
  if (fs::is_directory(path_)) fail("cannot write {}: it is a directory", path_);
  lock_ = std::make_unique<OutputLock>(path_);
  std::string name = temp_template(path_);
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0) fail("cannot create a temporary file for {}: {}", path_, errno_message(errno));
  temp_path_ = name;
  partial_id_ = register_partial(temp_path_);
  ::fchmod(fd_, 0666 & ~current_umask());  // as open(O_CREAT) would have made it
  buffer_.reserve(kBufferBytes);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    unregister_partial(partial_id_);
  }
}

void AtomicFile::write(const void* data, std::size_t n_bytes) {
  if (committed_) fail("{}: write after commit", path_);
  const char* bytes = static_cast<const char*>(data);
  if (buffer_.size() + n_bytes > kBufferBytes) flush_buffer();
  if (n_bytes >= kBufferBytes) {
    // Large writes skip the buffer.
    while (n_bytes > 0) {
      ssize_t n = ::write(fd_, bytes, n_bytes);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("cannot write {}: {}", path_, errno_message(errno));
      bytes += n;
      n_bytes -= static_cast<std::size_t>(n);
      bytes_written_ += static_cast<std::uint64_t>(n);
    }
    return;
  }
  buffer_.insert(buffer_.end(), bytes, bytes + n_bytes);
  bytes_written_ += n_bytes;
}

void AtomicFile::flush_buffer() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write {}: {}", path_, errno_message(errno));
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void AtomicFile::commit() {
  if (committed_) return;
  flush_buffer();
  if (::fsync(fd_) != 0) fail("cannot sync {}: {}", path_, errno_message(errno));
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail("cannot close {}: {}", path_, errno_message(errno));
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    fail("cannot rename {} to {}: {}", temp_path_, path_, errno_message(errno));
  committed_ = true;
  unregister_partial(partial_id_);
  lock_->release();
  fsync_directory(parent_of(path_));
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  AtomicFile file(path);
  file.write(contents);
  file.commit();
}

AtomicDirectory::AtomicDirectory(std::string path, bool replace_existing)
    : path_(std::move(path)), replace_existing_(replace_existing) {
  while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
  if (path_.empty()) fail("cannot create a directory with an empty name");
  std::error_code ec;
  if (fs::exists(path_, ec) && !replace_existing_)
    fail("{} already exists; remove it or choose another output path", path_);
  std::string parent = parent_of(path_);
  // Missing parents are created now, before any work, as `mkdir -p` would.
  fs::create_directories(parent, ec);
  if (!fs::is_directory(parent))
    fail("cannot create {}: cannot create its parent directory {}{}", path_, parent,
         ec ? ": " + ec.message() : std::string());
  // Before anything is removed: a second writer of `path_` stops here, leaving the first's work alone.
  lock_ = std::make_unique<OutputLock>(path_);

  // Clean up after earlier runs that were killed before they could remove their own temporaries —
  // but a previous complete output moved aside by a replacement that was killed is never deleted.
  std::string prefix = "." + fs::path(path_).filename().string() + ".partial-";
  const bool output_exists = fs::exists(path_, ec);
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const bool old_output = name.size() > kOldSuffix.size() && name.ends_with(kOldSuffix);
    if (old_output && !output_exists)
      fail(
          "{} is missing, but its previous complete version is at {} (a replacement was interrupted): "
          "move it back to {} or delete it",
          path_, entry.path().string(), path_);
    fs::remove_all(entry.path(), ec);
  }

  std::string name = temp_template(path_);
  if (::mkdtemp(name.data()) == nullptr)
    fail("cannot create a temporary directory for {}: {}", path_, errno_message(errno));
  temp_path_ = name;
  partial_id_ = register_partial(temp_path_);
  // mkdtemp makes it 0700; the output gets the permissions mkdir would give it.
  ::chmod(temp_path_.c_str(), 0777 & ~current_umask());
}

AtomicDirectory::~AtomicDirectory() {
  if (!committed_ && !temp_path_.empty()) {
    std::error_code ec;
    fs::remove_all(temp_path_, ec);
    unregister_partial(partial_id_);
  }
}

std::string AtomicDirectory::file(std::string_view name) const {
  return (fs::path(temp_path_) / std::string(name)).string();
}

void AtomicDirectory::commit() {
  if (committed_) return;
  fsync_directory(temp_path_);
  std::error_code ec;
  if (fs::exists(path_, ec)) {
    if (!replace_existing_) fail("{} appeared while it was being built; not overwriting it", path_);
    if (exchange_paths(temp_path_, path_)) {
      // `path_` went from the old complete directory to the new one in one step; the old one is
      // now at temp_path_ (debris the next run removes if a kill comes before this does).
      committed_ = true;
      fsync_directory(parent_of(path_));
      fs::remove_all(temp_path_, ec);  // the old directory; still registered until it is gone
      unregister_partial(partial_id_);
      lock_->release();
      return;
    }
    // No RENAME_EXCHANGE on this file system: move the old one aside under a name that marks it as a
    // complete previous version, which the constructor never deletes while `path_` is missing.
    std::string old = temp_path_ + std::string(kOldSuffix);
    if (::rename(path_.c_str(), old.c_str()) != 0)
      fail("cannot move the old {} aside: {}", path_, errno_message(errno));
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      const int saved = errno;
      ::rename(old.c_str(), path_.c_str());
      fail("cannot rename {} to {}: {}", temp_path_, path_, errno_message(saved));
    }
    fs::remove_all(old, ec);
  } else if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    fail("cannot rename {} to {}: {}", temp_path_, path_, errno_message(errno));
  }
  committed_ = true;
  unregister_partial(partial_id_);
  lock_->release();
  fsync_directory(parent_of(path_));
}

}  // namespace lmkit
