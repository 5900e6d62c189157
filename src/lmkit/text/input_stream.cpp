#include "lmkit/text/input_stream.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lmkit/util/error.hpp"

namespace lmkit::text {

namespace {

constexpr std::size_t kChunk = 1 << 18;  // 256 KiB of raw and of decoded data at a time

}  // namespace

struct InputStream::Decoder {
  z_stream gzip{};
  bool gzip_open = false;
  bool gzip_member_done = true;  // between gzip members (or before the first)
  ZSTD_DStream* zstd = nullptr;
  std::size_t zstd_hint = 0;  // ZSTD_decompressStream's last return: 0 when a frame is complete

  ~Decoder() {
    if (gzip_open) inflateEnd(&gzip);
    if (zstd) ZSTD_freeDStream(zstd);
  }
};

InputStream::InputStream(std::string path) : path_(std::move(path)), decoder_(std::make_unique<Decoder>()) {
  if (path_ == "-") {
    name_ = "<stdin>";
    fd_ = 0;
  } else {
    name_ = path_;
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail("{}: cannot open: {}", name_, errno_message(errno));
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  }
  // Read until at least four bytes (or the end) are there to recognise the compression.
  while (raw_.size() < 4 && fill_raw()) {
  }
  const auto* magic = reinterpret_cast<const unsigned char*>(raw_.data());
  if (raw_.size() >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    compression_ = Compression::gzip;
    if (inflateInit2(&decoder_->gzip, 15 + 16) != Z_OK) fail("{}: cannot initialise zlib", name_);
    decoder_->gzip_open = true;
    decoder_->gzip_member_done = false;
  } else if (raw_.size() >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
             magic[3] == 0xfd) {
    compression_ = Compression::zstd;
    decoder_->zstd = ZSTD_createDStream();
    if (!decoder_->zstd) fail("{}: cannot initialise zstd", name_);
  }
}

InputStream::~InputStream() {
  if (fd_ > 0) ::close(fd_);
}

bool InputStream::fill_raw() {
  if (raw_eof_) return false;
  if (raw_pos_ > 0) {
    raw_.erase(0, raw_pos_);
    raw_pos_ = 0;
  }
  const std::size_t old_size = raw_.size();
  raw_.resize(old_size + kChunk);
  ssize_t got;
  do {
    got = ::read(fd_, raw_.data() + old_size, kChunk);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    int err = errno;
    raw_.resize(old_size);
    fail("{}: read error: {}", name_, errno_message(err));
  }
  raw_.resize(old_size + static_cast<std::size_t>(got));
  raw_bytes_read_ += static_cast<std::uint64_t>(got);
  if (got == 0) raw_eof_ = true;
  return got > 0;
}

bool InputStream::fill() {
  decoded_.erase(0, decoded_pos_);
  decoded_pos_ = 0;
  const std::size_t before = decoded_.size();
  while (decoded_.size() == before) {
    if (raw_pos_ == raw_.size() && !fill_raw()) {
      // End of the file: compressed data must have ended at a frame boundary.
      if (compression_ == Compression::gzip && !decoder_->gzip_member_done)
        fail("{}: truncated gzip data", name_);
      if (compression_ == Compression::zstd && decoder_->zstd_hint != 0)
        fail("{}: truncated zstd data", name_);
      return false;
    }
    const char* in = raw_.data() + raw_pos_;
    const std::size_t in_size = raw_.size() - raw_pos_;
    if (compression_ == Compression::none) {
      decoded_.append(in, in_size);
      raw_pos_ = raw_.size();
      continue;
    }
    const std::size_t out_start = decoded_.size();
    decoded_.resize(out_start + kChunk);
    if (compression_ == Compression::gzip) {
      auto& z = decoder_->gzip;
      if (decoder_->gzip_member_done) {  // another member follows the previous one
        inflateReset(&z);
        decoder_->gzip_member_done = false;
      }
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
      z.avail_in = static_cast<uInt>(in_size);
      z.next_out = reinterpret_cast<Bytef*>(decoded_.data() + out_start);
      z.avail_out = static_cast<uInt>(kChunk);
      int status = inflate(&z, Z_NO_FLUSH);
      if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
        fail("{}: corrupt gzip data ({})", name_, z.msg ? z.msg : "inflate failed");
      if (status == Z_STREAM_END) decoder_->gzip_member_done = true;
      raw_pos_ += in_size - z.avail_in;
      decoded_.resize(out_start + (kChunk - z.avail_out));
      // No progress with input left means zlib needs more than there is: read more or report truncation.
      if (z.avail_in == in_size && z.avail_out == kChunk && !fill_raw())
        fail("{}: truncated gzip data", name_);
    } else {
      ZSTD_inBuffer input{in, in_size, 0};
      ZSTD_outBuffer output{decoded_.data() + out_start, kChunk, 0};
      std::size_t hint = ZSTD_decompressStream(decoder_->zstd, &output, &input);
      if (ZSTD_isError(hint)) fail("{}: corrupt zstd data ({})", name_, ZSTD_getErrorName(hint));
      decoder_->zstd_hint = hint;
      raw_pos_ += input.pos;
      decoded_.resize(out_start + output.pos);
    }
  }
  return true;
}

namespace {

// How many more bytes `text` may take before it holds more than max_bytes (then it holds max_bytes + 1).
std::size_t room_left(const std::string& text, std::size_t max_bytes) {
  if (max_bytes == InputStream::kNoLimit) return InputStream::kNoLimit;
  return text.size() > max_bytes ? 0 : max_bytes + 1 - text.size();
}

}  // namespace

bool InputStream::read_line(std::string& line, std::size_t max_bytes) {
  line.clear();
  while (true) {
    const char* begin = decoded_.data() + decoded_pos_;
    const std::size_t available = decoded_.size() - decoded_pos_;
    const std::size_t room = room_left(line, max_bytes);
    const void* newline = std::memchr(begin, '\n', available);
    if (newline) {
      const std::size_t length = static_cast<const char*>(newline) - begin;
      if (length > room) {
        line.append(begin, room);
        decoded_pos_ += room;
        return true;
      }
      line.append(begin, length);
      decoded_pos_ += length + 1;
      return true;
    }
    const std::size_t taken = std::min(available, room);
    line.append(begin, taken);
    decoded_pos_ += taken;
    if (line.size() > max_bytes) return true;
    if (!fill()) return !line.empty();
  }
}

void InputStream::read_all(std::string& out, std::size_t max_bytes) {
  do {
    const std::size_t taken = std::min(decoded_.size() - decoded_pos_, room_left(out, max_bytes));
    out.append(decoded_, decoded_pos_, taken);
    decoded_pos_ += taken;
    if (out.size() > max_bytes) return;
  } while (fill());
}

}  // namespace lmkit::text
