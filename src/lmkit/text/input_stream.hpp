// A file read front to back in bounded memory, decompressed on the fly. Compression is recognised by
// the data's magic bytes, not by the file name, so it works on stdin too: gzip (1f 8b, concatenated
// members allowed) through zlib, zstd (28 b5 2f fd, several frames allowed) through libzstd, and
// anything else is read as it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lmkit::text {

enum class Compression { none, gzip, zstd };

class InputStream {
 public:
  // Opens `path` ("-" is stdin). Throws Error naming the path when it cannot be opened or read.
  explicit InputStream(std::string path);
  InputStream(const InputStream&) = delete;
  InputStream& operator=(const InputStream&) = delete;
  ~InputStream();

  // Reads the next line into `line` without its '\n'. Returns false at the end of the data (a last
  // line without '\n' is still returned). Throws Error on corrupt or truncated compressed data.
  // A line longer than `max_bytes` is returned cut to max_bytes + 1 bytes, the rest left unread, so
  // that a caller can tell and refuse it without one endless line (/dev/zero) filling the memory.
  bool read_line(std::string& line, std::size_t max_bytes = kNoLimit);
  // Appends everything that is left to `out`, or stops once `out` holds more than max_bytes bytes.
  void read_all(std::string& out, std::size_t max_bytes = kNoLimit);

  static constexpr std::size_t kNoLimit = static_cast<std::size_t>(-1);

  // The name used in messages: the path, or "<stdin>".
  const std::string& name() const { return name_; }
  Compression compression() const { return compression_; }
  // Bytes consumed from the file itself (compressed bytes for compressed data): for progress.
  std::uint64_t raw_bytes_read() const { return raw_bytes_read_; }

 private:
  // Refills the decoded buffer; false at the end of the data.
  bool fill();
  bool fill_raw();

  struct Decoder;
  std::string path_;
  std::string name_;
  int fd_ = -1;
  Compression compression_ = Compression::none;
  std::unique_ptr<Decoder> decoder_;
  std::string raw_;  // compressed input: raw_[raw_pos_, raw_.size()) not yet consumed
  std::size_t raw_pos_ = 0;
  bool raw_eof_ = false;
  std::string decoded_;  // decoded data: decoded_[decoded_pos_, decoded_.size()) not yet returned
  std::size_t decoded_pos_ = 0;
  std::uint64_t raw_bytes_read_ = 0;
};

}  // namespace lmkit::text
