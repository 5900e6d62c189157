#include "lmkit/util/memory.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>  // defines __GLIBC__ where it applies
#include <fstream>
#include <string>

#include "lmkit/util/error.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <sys/resource.h>

namespace lmkit {

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's upper limit: larger blocks are still mmap()ed
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

MemoryLimit memory_limit() {
  MemoryLimit limit{UINT64_MAX, "no limit known"};
  auto lower = [&](std::uint64_t bytes, const char* source) {
    if (bytes > 0 && bytes < limit.bytes) limit = {bytes, source};
  };
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0)
    lower(static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size), "physical memory");
  for (auto [resource, name] : {std::pair{RLIMIT_AS, "RLIMIT_AS"}, std::pair{RLIMIT_DATA, "RLIMIT_DATA"}}) {
    rlimit r{};
    if (getrlimit(resource, &r) == 0 && r.rlim_cur != RLIM_INFINITY)
      lower(static_cast<std::uint64_t>(r.rlim_cur), name);
  }
  // cgroup v2: "max" or a byte count.
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  std::string text;
  if (cgroup >> text && !text.empty() && std::all_of(text.begin(), text.end(), ::isdigit))
    lower(std::stoull(text), "cgroup memory.max");
  return limit;
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) value /= 1024, ++unit;
  return fmt::format("{:.1f} {}", value, units[unit]);
}

std::uint64_t bytes_of(std::uint64_t count, std::uint64_t width) {
  std::uint64_t bytes = 0;
  return __builtin_mul_overflow(count, width, &bytes) ? UINT64_MAX : bytes;
}

void fail_allocation(std::string_view what, std::uint64_t bytes) {
  const MemoryLimit limit = memory_limit();
  fail("cannot allocate {} for {} ({} bytes): not enough memory (this process may use at most {}, its {})",
       format_bytes(bytes), what, bytes, format_bytes(limit.bytes), limit.source);
}

void* allocate_streamed(std::size_t bytes) {
  constexpr std::size_t huge = std::size_t{2} << 20;
  void* p = nullptr;
  if (bytes >= 2 * huge) {
    const std::size_t rounded = (bytes + huge - 1) / huge * huge;  // aligned_alloc wants a multiple
    p = std::aligned_alloc(huge, rounded);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: a kernel without THP ignores it
#endif
  } else {
    p = std::malloc(bytes == 0 ? 1 : bytes);
  }
  if (!p) throw std::bad_alloc();
  return p;
}

void free_streamed(void* p) noexcept { std::free(p); }

}  // namespace lmkit
