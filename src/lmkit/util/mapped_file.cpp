#include "lmkit/util/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "lmkit/util/error.hpp"

namespace lmkit {

namespace {

int madvise_flag(AccessHint hint) {
  switch (hint) {
    case AccessHint::sequential:
      return MADV_SEQUENTIAL;
    case AccessHint::random:
      return MADV_RANDOM;
    case AccessHint::normal:
      break;
  }
  return MADV_NORMAL;
}

// Closes a file descriptor on every path out of open().
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

MappedFile MappedFile::open(const std::string& path, AccessHint hint, bool allow_empty) {
  FdGuard guard{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (guard.fd < 0) fail("cannot open {}: {}", path, errno_message(errno));
  struct stat info {};
  if (::fstat(guard.fd, &info) != 0) fail("cannot stat {}: {}", path, errno_message(errno));
  if (S_ISDIR(info.st_mode)) fail("{} is a directory, expected a file", path);
  if (!S_ISREG(info.st_mode)) fail("{} is not a regular file", path);

  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<std::size_t>(info.st_size);
  if (file.size_ == 0) {
    if (!allow_empty) fail("{} is empty", path);
    return file;
  }
  void* mapping = ::mmap(nullptr, file.size_, PROT_READ, MAP_SHARED, guard.fd, 0);
  if (mapping == MAP_FAILED) fail("cannot map {} ({} bytes): {}", path, file.size_, errno_message(errno));
  file.data_ = static_cast<const std::uint8_t*>(mapping);
  file.advise(hint);
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

MappedFile::~MappedFile() { release(); }

void MappedFile::release() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

void MappedFile::advise(AccessHint hint) const {
  // Advice is only a hint: a kernel that refuses it still serves the mapping correctly.
  if (data_ != nullptr) ::madvise(const_cast<std::uint8_t*>(data_), size_, madvise_flag(hint));
}

}  // namespace lmkit
