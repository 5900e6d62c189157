// Process-wide memory policy for lmkit's programs (the CLI's model commands and the transformer
// benchmarks set it before they start).
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace lmkit {

// Keeps the memory lmkit frees in the process for reuse rather than handing it back to the kernel.
// Model code allocates activation buffers, KV caches and packing space per call (one generate()
// call, one batch); glibc serves blocks of more than 128 KiB-32 MiB with fresh mmap()s and trims
// the heap's top on free, so every call faulted its buffers in anew, a page at a time — a quarter
// of batched encoder-decoder generation's time (bench/RESULTS.md). The cost is that the process's
// resident size stays at its high-water mark. Does nothing outside glibc.
void keep_freed_memory();

// Memory for large arrays that are streamed whole again and again (a model's parameters, its
// gradients and optimizer moments, KV caches): blocks of 4 MiB or more are aligned to 2 MiB and
// marked for transparent huge pages before they are first touched, so that the kernel backs them
// with 2 MiB pages where it can (Linux with THP in "madvise" or "always" mode; elsewhere nothing
// changes). Reading a model's weights once per decoded token crosses ~130,000 4 KiB pages; each
// costs a TLB miss.
void* allocate_streamed(std::size_t bytes);
void free_streamed(void* p) noexcept;

template <typename T>
struct StreamedAllocator {
  using value_type = T;
  StreamedAllocator() = default;
  template <typename U>
  StreamedAllocator(const StreamedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(allocate_streamed(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t) noexcept { free_streamed(p); }
  template <typename U>
  bool operator==(const StreamedAllocator<U>&) const noexcept {
    return true;
  }
};

// A float array in such memory.
using StreamedFloats = std::vector<float, StreamedAllocator<float>>;

}  // namespace lmkit
