// Writing files so that nothing lmkit writes is ever left half-done on disk. Data goes to a
// temporary name beside the target; commit() flushes, fsyncs and renames it into place (then fsyncs
// the directory). An AtomicFile destroyed without commit() — an exception, an early return —
// removes its temporary file, and a process killed midway leaves only a dot-file with ".partial" in
// its name, never a file under the target name. Each writer holds an OutputLock on its target, so
// two writers of one path fail fast instead of interfering, and registers its temporary with
// util/interrupt.hpp, so SIGINT/SIGTERM/SIGHUP remove it (once install_interrupt_cleanup() ran).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lmkit {

// An exclusive lock on an output path, held by the one writer of that path: flock() on
// ".NAME.lock" beside it. A second writer — in this process or another — fails at once with an
// Error naming the output, instead of racing the first (and deleting its temporaries). The kernel
// releases the lock when the process ends, however it ends; release() and the destructor remove
// the lock file too, so a finished writer leaves nothing behind.
class OutputLock {
 public:
  explicit OutputLock(const std::string& path);
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock() { release(); }

  void release();
  const std::string& lock_path() const { return lock_path_; }

 private:
  std::string lock_path_;
  int fd_ = -1;
  std::uint64_t partial_id_ = 0;  // registered with util/interrupt.hpp, removed if interrupted
};

class AtomicFile {
 public:
  // Creates the temporary file in the directory of `path`. Throws Error when it cannot.
  explicit AtomicFile(std::string path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  void write(const void* data, std::size_t n_bytes);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // Makes the file visible under its final name. Replaces an existing file at that path.
  void commit();

  std::uint64_t bytes_written() const { return bytes_written_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  void flush_buffer();

  std::string path_;
  std::unique_ptr<OutputLock> lock_;  // held from construction to commit() or destruction
  std::string temp_path_;
  std::uint64_t partial_id_ = 0;  // temp_path_'s registration with util/interrupt.hpp
  int fd_ = -1;
  bool committed_ = false;
  std::vector<char> buffer_;
  std::uint64_t bytes_written_ = 0;
};

// Writes `contents` to `path` atomically.
void write_file_atomic(const std::string& path, std::string_view contents);

// A directory built under a temporary name and renamed into place when complete; for outputs made
// of several files (an index, a model directory). Destroyed without commit(), it deletes itself.
// It gets the permissions mkdir would give it (0777 less the umask), and missing parents are created.
// Replacing an existing directory is one renameat2(RENAME_EXCHANGE), so that at every instant the
// path holds the old or the new directory, complete; where the file system cannot exchange, the old
// one is moved aside as ".NAME.partial-XXXXXX.old" first, and a later AtomicDirectory refuses to
// start (naming it) rather than delete it while NAME is missing.
class AtomicDirectory {
 public:
  // Fails if `path` already exists (unless replace_existing) — an existing output is never
  // overwritten by accident. Leftover ".partial" siblings of earlier killed runs are removed.
  explicit AtomicDirectory(std::string path, bool replace_existing = false);
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;
  ~AtomicDirectory();

  // Where to write the files now; becomes `path()` after commit().
  const std::string& temp_path() const { return temp_path_; }
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const;
  void commit();

 private:
  std::string path_;
  std::unique_ptr<OutputLock> lock_;  // held from construction to commit() or destruction
  std::string temp_path_;
  std::uint64_t partial_id_ = 0;  // temp_path_'s registration with util/interrupt.hpp
  bool replace_existing_;
  bool committed_ = false;
};

// fsyncs a directory so that a rename inside it survives a crash.
void fsync_directory(const std::string& path);

}  // namespace lmkit
