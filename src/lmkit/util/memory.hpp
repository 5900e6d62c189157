// Process-wide memory policy for lmkit's programs (the CLI's model commands and the transformer
// benchmarks set it before they start).
#pragma once

namespace lmkit {

// Keeps the memory lmkit frees in the process for reuse rather than handing it back to the kernel.
// Model code allocates activation buffers, KV caches and packing space per call (one generate()
// call, one batch); glibc serves blocks of more than 128 KiB-32 MiB with fresh mmap()s and trims
// the heap's top on free, so every call faulted its buffers in anew, a page at a time — a quarter
// of batched encoder-decoder generation's time (bench/RESULTS.md). The cost is that the process's
// resident size stays at its high-water mark. Does nothing outside glibc.
void keep_freed_memory();

}  // namespace lmkit
