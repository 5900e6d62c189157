#include "lmkit/util/memory.hpp"

#include <cstdlib>  // defines __GLIBC__ where it applies

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace lmkit {

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's upper limit: larger blocks are still mmap()ed
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
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
