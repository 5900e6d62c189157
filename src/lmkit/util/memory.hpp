// Process-wide memory policy for lmkit's programs (the CLI's model commands and the transformer
// benchmarks set it before they start).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
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

// The most memory this process may use, and what sets it: the machine's physical memory, or less where
// an address-space or data limit (setrlimit RLIMIT_AS / RLIMIT_DATA, `ulimit -v`) or the cgroup's
// memory.max (containers) is lower. What lmkit compares its own estimates with before it allocates
// buffers whose size comes from outside (a training batch, say).
struct MemoryLimit {
  std::uint64_t bytes = 0;
  std::string source;  // "physical memory", "RLIMIT_AS", "RLIMIT_DATA", "cgroup memory.max"
};
MemoryLimit memory_limit();

// A byte count for messages: "512 B", "12.0 GiB".
std::string format_bytes(std::uint64_t bytes);

// The bytes of count values of `width` bytes each, saturating at UINT64_MAX instead of wrapping.
std::uint64_t bytes_of(std::uint64_t count, std::uint64_t width);

// For buffers whose size comes from outside input (a model's config, a batch, an index): an Error
// naming the buffer and its size ("cannot allocate 12.0 GiB for the KV cache (12884901888 bytes):
// ...") instead of a bare std::bad_alloc.
[[noreturn]] void fail_allocation(std::string_view what, std::uint64_t bytes);
// Runs allocate() (which allocates about `bytes` for `what`) after checking `bytes` against
// memory_limit(); a larger size, or std::bad_alloc from allocate(), is fail_allocation's Error.
template <typename Allocate>
decltype(auto) allocating(std::string_view what, std::uint64_t bytes, Allocate&& allocate) {
  if (bytes > memory_limit().bytes) fail_allocation(what, bytes);
  try {
    return allocate();
  } catch (const std::bad_alloc&) {
    fail_allocation(what, bytes);
  }
}

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
