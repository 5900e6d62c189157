#include "lmkit/util/memory.hpp"

#include <cstdlib>  // defines __GLIBC__ where it applies

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace lmkit {

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's upper limit: larger blocks are still mmap()ed
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace lmkit
