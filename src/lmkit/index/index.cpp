#include "lmkit/index/index.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "lmkit/util/error.hpp"
#include "lmkit/util/json_fields.hpp"

namespace lmkit::index {

namespace fs = std::filesystem;

int pointer_width_for(std::uint64_t tokenized_bytes) {
  int width = 1;
  while (width < 8 && (tokenized_bytes - 1) >> (8 * width) != 0) ++width;
  return width;
}

Shard Shard::open(const std::string& dir, const std::string& name, int token_width, int pointer_width) {
  auto path = [&](const char* kind) { return (fs::path(dir) / (std::string(kind) + "." + name)).string(); };
  Shard shard;
  shard.name_ = name;
  shard.tokenized_ = MappedFile::open(path("tokenized"), AccessHint::random);
  shard.table_ = MappedFile::open(path("table"), AccessHint::random);
  shard.offset_ = MappedFile::open(path("offset"), AccessHint::random);
  const std::uint64_t ds_bytes = shard.tokenized_.size();
  const std::uint64_t sa_bytes = shard.table_.size();

  if (pointer_width == 0) pointer_width = pointer_width_for(ds_bytes);
  if (token_width == 0) {
    // sa_bytes = (ds_bytes / token_width) * pointer_width determines the token width.
    if (sa_bytes == 0 || (ds_bytes * static_cast<std::uint64_t>(pointer_width)) % sa_bytes != 0)
      fail("{} ({} bytes) and {} ({} bytes) do not fit any token width with {}-byte pointers",
           path("tokenized"), ds_bytes, path("table"), sa_bytes, pointer_width);
    token_width = static_cast<int>(ds_bytes * static_cast<std::uint64_t>(pointer_width) / sa_bytes);
  }
  if (token_width != 1 && token_width != 2 && token_width != 4)
    fail("{}: token width {} is not 1, 2 or 4 bytes", path("tokenized"), token_width);
  if (ds_bytes % static_cast<std::uint64_t>(token_width) != 0)
    fail("{}: size {} is not a multiple of the token width {}", path("tokenized"), ds_bytes, token_width);
  shard.token_width_ = token_width;
  shard.pointer_width_ = pointer_width;
  shard.n_positions_ = ds_bytes / static_cast<std::uint64_t>(token_width);
  shard.separator_ = token_width == 4 ? 0xFFFFFFFFu : (1u << (8 * token_width)) - 1;
  if (sa_bytes != shard.n_positions_ * static_cast<std::uint64_t>(pointer_width))
    fail("{}: size {} bytes, expected {} positions × {} bytes = {}", path("table"), sa_bytes,
         shard.n_positions_, pointer_width, shard.n_positions_ * static_cast<std::uint64_t>(pointer_width));
  if (shard.offset_.size() % 8 != 0)
    fail("{}: size {} is not a multiple of 8 (u64 document offsets)", path("offset"), shard.offset_.size());
  if (shard.token_at(0) != shard.separator_)
    fail("{}: does not start with a document separator (0x{:X})", path("tokenized"), shard.separator_);

  if (fs::exists(path("metadata")) || fs::exists(path("metaoff"))) {
    shard.metadata_ = MappedFile::open(path("metadata"), AccessHint::random, /*allow_empty=*/true);
    shard.metaoff_ = MappedFile::open(path("metaoff"), AccessHint::random, /*allow_empty=*/true);
    if (shard.metaoff_.size() != shard.offset_.size())
      fail("{}: {} entries, but {} has {} documents", path("metaoff"), shard.metaoff_.size() / 8,
           path("offset"), shard.n_documents());
  }
  return shard;
}

std::uint64_t Shard::document_offset(std::uint64_t doc) const {
  const std::uint64_t offset = raw_document_offset(doc);
  if (offset >= tokenized_.size() || offset % static_cast<std::uint64_t>(token_width_) != 0) [[unlikely]]
    fail(
        "offset.{}: document {} starts at byte {}, not a token position of tokenized.{} ({} bytes): the "
        "index is corrupt",
        name_, doc, offset, name_, tokenized_.size());
  return offset;
}

std::uint64_t Shard::document_end(std::uint64_t doc) const {
  const std::uint64_t end = doc + 1 < n_documents() ? document_offset(doc + 1) : tokenized_.size();
  if (end <= document_offset(doc)) [[unlikely]]
    fail("offset.{}: document {} starts at byte {}, not after document {} (byte {}): the index is corrupt",
         name_, doc + 1, end, doc, document_offset(doc));
  return end;
}

std::uint64_t Shard::document_of(std::uint64_t byte_offset) const {
  // The last document whose separator is at or before byte_offset.
  std::uint64_t lo = 0, hi = n_documents();
  while (hi - lo > 1) {
    std::uint64_t mid = (lo + hi) / 2;
    if (document_offset(mid) <= byte_offset) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::string_view Shard::metadata(std::uint64_t doc) const {
  if (!has_metadata()) return {};
  std::uint64_t begin = read_le(metaoff_.data() + doc * 8, 8);
  std::uint64_t end =
      doc + 1 < n_documents() ? read_le(metaoff_.data() + (doc + 1) * 8, 8) : metadata_.size();
  if (begin > end || end > metadata_.size())
    fail("metaoff.{}: document {} has metadata bytes [{}, {}) outside metadata.{} ({} bytes)", name_, doc,
         begin, end, name_, metadata_.size());
  std::string_view line(reinterpret_cast<const char*>(metadata_.data()) + begin, end - begin);
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  return line;
}

void check_index_directory(const std::string& dir) {
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found)
    fail("{}: no such directory (expected an index directory)", dir);
  if (ec) fail("{}: cannot open: {}", dir, ec.message());
  if (!fs::is_directory(status)) fail("{}: not a directory (expected an index directory)", dir);
}

Index Index::open(const std::string& dir) {
  check_index_directory(dir);
  Index index;
  index.dir_ = dir;
  const std::string manifest_path = (fs::path(dir) / "lmkit.json").string();
  if (fs::exists(manifest_path)) {
    index.manifest_ = read_json_file(manifest_path);
    const Json& m = index.manifest_;
    if (json_get_or<std::string>(m, "format", "", manifest_path) != "lmkit-index")
      fail("{}: not an lmkit index manifest (field \"format\" is not \"lmkit-index\")", manifest_path);
    // Typed, range-checked reads (util/json_fields.hpp): a value of the wrong type or range is named as
    // written, never wrapped or truncated (an eos_token_id of 10^12 is not read as 3567587328).
    const std::uint64_t version = json_uint(m, "format_version", manifest_path);
    if (version != 1)
      fail("{}: format_version {} is not supported (this lmkit reads 1)", manifest_path, version);
    index.token_width_ = static_cast<int>(json_uint(m, "token_width", manifest_path, 1, 4));
    index.tokenizer_spec_ = json_get_or<std::string>(m, "tokenizer", "", manifest_path);
    // A tokenizer inside the index (what lmkit writes) is named relative to the index directory.
    if (!index.tokenizer_spec_.empty() && fs::path(index.tokenizer_spec_).is_relative() &&
        fs::is_directory(fs::path(dir) / index.tokenizer_spec_))
      index.tokenizer_spec_ = (fs::path(dir) / index.tokenizer_spec_).string();
    if (m.contains("eos_token_id") && !m["eos_token_id"].is_null())
      index.eos_token_id_ = static_cast<std::uint32_t>(
          json_uint(m, "eos_token_id", manifest_path, 0, std::numeric_limits<std::uint32_t>::max()));
    index.vocab_size_ = json_uint_or(m, "vocab_size", 0, manifest_path);
    if (index.token_width_ != 1 && index.token_width_ != 2 && index.token_width_ != 4)
      fail("{}: token_width {} is not 1, 2 or 4 bytes", manifest_path, index.token_width_);
    const Json shards = json_get<Json>(m, "shards", manifest_path);
    if (!shards.is_array()) fail("{}: \"shards\" is not an array", manifest_path);
    for (std::size_t s = 0; s < shards.size(); ++s) {
      const Json& shard = shards[s];
      const std::string where = fmt::format("{} shard {}", manifest_path, s);
      if (!shard.is_object()) fail("{}: not an object", where);
      std::string name = shard.contains("id") && shard["id"].is_string()
                             ? shard["id"].get<std::string>()
                             : std::to_string(json_uint(shard, "id", where));
      if (name != std::to_string(s))
        fail("{}: id {} breaks the shard numbering (shards are numbered 0, 1, ... in order)", where, name);
      // A manifest states the pointer width; 0 or anything past 8 bytes is corrupt, not "infer".
      const int pointer_width = static_cast<int>(json_uint(shard, "pointer_width", where, 1, 8));
      index.shards_.push_back(Shard::open(dir, name, index.token_width_, pointer_width));
    }
  } else {
    // An Infini-gram index: every tokenized.S with its table.S and offset.S, in numeric order of S.
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::string file = entry.path().filename().string();
      if (file.rfind("tokenized.", 0) == 0) names.push_back(file.substr(10));
    }
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    // Infini-gram numbers shards 0, 1, ...: a gap means a missing shard, whose documents every
    // count would silently miss.
    for (std::size_t s = 0; s < names.size(); ++s) {
      if (names[s].empty() || names[s].find_first_not_of("0123456789") != std::string::npos)
        fail("{}: tokenized.{} is not a shard file (shards are tokenized.0, tokenized.1, ...)", dir,
             names[s]);
      if (names[s] != std::to_string(s))
        fail("{}: shard {} is missing (no tokenized.{}; found tokenized.{})", dir, s, s, names[s]);
    }
    for (const auto& name : names) index.shards_.push_back(Shard::open(dir, name));
    if (!index.shards_.empty()) index.token_width_ = index.shards_.front().token_width();
  }
  if (index.shards_.empty()) fail("{}: no shards (no tokenized.S files and no lmkit.json)", dir);
  for (const Shard& shard : index.shards_) {
    if (shard.token_width() != index.token_width_)
      fail("{}: shard {} has {}-byte tokens but shard {} has {}-byte tokens", dir, shard.name(),
           shard.token_width(), index.shards_.front().name(), index.token_width_);
  }
  if (index.vocab_size_ == 0) index.vocab_size_ = index.shards_.front().separator();
  return index;
}

std::uint64_t Index::n_tokens() const {
  std::uint64_t total = 0;
  for (const Shard& shard : shards_) total += shard.n_tokens();
  return total;
}

std::uint64_t Index::n_documents() const {
  std::uint64_t total = 0;
  for (const Shard& shard : shards_) total += shard.n_documents();
  return total;
}

}  // namespace lmkit::index
