// lmkit's own sgemm for CPUs with AVX-512 (see gemm.hpp for why): the classic blocked scheme of
// GotoBLAS / BLIS. For a KC-deep slice of K, a panel of B is packed into NR-wide column strips and a
// block of A (scaled by alpha) into MR-tall row strips, both zero-padded at the edges; a register
// micro-kernel then computes each MR × NR tile of C from one A strip and one B strip, keeping the
// whole tile in 24 of the 32 vector registers while it streams the strips. The A block (MC × KC)
// and the B strip being used stay in L2. Every KC slice is one more pass that reads and writes all of
// C, which is what costs most once the kernel itself runs near peak, so slices are deep (KC 512: on a
// 2-core Zen 5, 2048³ went from 0.68 to 0.8 of the FMA peak against KC 256) and each tile's rows of C
// are fetched while its k loop runs.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>
#include <vector>

#include "lmkit/util/thread_pool.hpp"

namespace lmkit::tensor::detail {

namespace {

constexpr std::size_t MR = 12;    // rows of a C tile: 12 × 2 accumulators + 2 B vectors + 1 broadcast
constexpr std::size_t NR = 32;    // columns of a C tile: two 16-float vectors
constexpr std::size_t KC = 512;   // depth of one packed slice: a B strip is KC × NR × 4 = 64 KiB
constexpr std::size_t MC = 144;   // rows of a packed A block (a multiple of MR): 288 KiB at KC = 512
constexpr std::size_t NC = 4096;  // columns of a packed B panel

struct Operand {
  const float* data;
  std::size_t ld;
  bool trans;
  // Element (row, col) of the logical matrix op(X).
  float at(std::size_t row, std::size_t col) const {
    return trans ? data[col * ld + row] : data[row * ld + col];
  }
};

// A block rows [i0, i0 + mc) × depth [p0, p0 + kc) into MR-row strips: strip s, depth k, row r at
// out[s·kc·MR + k·MR + r], times alpha, zero beyond mc.
void pack_a(const Operand& a, std::size_t i0, std::size_t mc, std::size_t p0, std::size_t kc, float alpha,
            float* out) {
  for (std::size_t s = 0; s < mc; s += MR) {
    const std::size_t rows = std::min(MR, mc - s);
    for (std::size_t k = 0; k < kc; ++k) {
      float* dst = out + s * kc + k * MR;
      for (std::size_t r = 0; r < rows; ++r) dst[r] = alpha * a.at(i0 + s + r, p0 + k);
      for (std::size_t r = rows; r < MR; ++r) dst[r] = 0.0f;
    }
  }
}

// A panel depth [p0, p0 + kc) × columns [j0, j0 + nc) into NR-column strips: strip s, depth k,
// column c at out[s·kc·NR + k·NR + c], zero beyond nc.
void pack_b(const Operand& b, std::size_t p0, std::size_t kc, std::size_t j0, std::size_t nc, float* out) {
  for (std::size_t s = 0; s < nc; s += NR) {
    const std::size_t cols = std::min(NR, nc - s);
    for (std::size_t k = 0; k < kc; ++k) {
      float* dst = out + s * kc + k * NR;
      if (!b.trans && cols == NR) {
        std::copy_n(b.data + (p0 + k) * b.ld + j0 + s, NR, dst);
        continue;
      }
      for (std::size_t c = 0; c < cols; ++c) dst[c] = b.at(p0 + k, j0 + s + c);
      for (std::size_t c = cols; c < NR; ++c) dst[c] = 0.0f;
    }
  }
}

// C tile (m ≤ MR rows, n ≤ NR columns at c, row stride ldc) = A strip · B strip + beta · C tile.
// beta == 0 never reads C (BLAS semantics: C may hold anything, NaN included).
__attribute__((target("avx512f"))) void micro_kernel(std::size_t kc, const float* a, const float* b, float* c,
                                                     std::size_t ldc, float beta, std::size_t m,
                                                     std::size_t n) {
  // The C tile's rows lie ldc apart, often in different pages and out of cache: fetching them now,
  // for writing, lets the misses resolve while the k loop runs instead of stalling at the end.
  for (std::size_t r = 0; r < m; ++r) {
    __builtin_prefetch(c + r * ldc, 1, 3);  // a 32-float row spans up to three cache lines
    __builtin_prefetch(c + r * ldc + std::min<std::size_t>(16, n - 1), 1, 3);
    __builtin_prefetch(c + r * ldc + n - 1, 1, 3);
  }
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (std::size_t r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (std::size_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (std::size_t r = 0; r < MR; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += MR;
    b += NR;
  }
  const __mmask16 mask0 = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 mask1 = n >= 32  ? __mmask16(0xFFFF)
                          : n > 16 ? __mmask16((1u << (n - 16)) - 1)
                                   : __mmask16(0);
  const __m512 vbeta = _mm512_set1_ps(beta);
  for (std::size_t r = 0; r < m; ++r) {
    float* row = c + r * ldc;
    __m512 lo = acc[r][0], hi = acc[r][1];
    if (beta != 0.0f) {
      lo = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask0, row), vbeta, lo);
      hi = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask1, row + 16), vbeta, hi);
    }
    _mm512_mask_storeu_ps(row, mask0, lo);
    _mm512_mask_storeu_ps(row + 16, mask1, hi);
  }
}

// C rows [r0, r1) × columns [c0, c1), on the calling thread with its own packing buffers.
void gemm_part(const Operand& a, const Operand& b, std::size_t K, float alpha, float beta, float* C,
               std::size_t ldc, std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1) {
  thread_local std::vector<float> packed_a, packed_b;
  packed_a.resize(MC * KC);
  packed_b.resize(NC * KC);
  for (std::size_t jc = c0; jc < c1; jc += NC) {
    const std::size_t nc = std::min(NC, c1 - jc);
    for (std::size_t pc = 0; pc < K; pc += KC) {
      const std::size_t kc = std::min(KC, K - pc);
      pack_b(b, pc, kc, jc, nc, packed_b.data());
      const float beta_here = pc == 0 ? beta : 1.0f;  // later slices add to what the first wrote
      for (std::size_t ic = r0; ic < r1; ic += MC) {
        const std::size_t mc = std::min(MC, r1 - ic);
        pack_a(a, ic, mc, pc, kc, alpha, packed_a.data());
        for (std::size_t jr = 0; jr < nc; jr += NR)
          for (std::size_t ir = 0; ir < mc; ir += MR)
            micro_kernel(kc, packed_a.data() + ir * kc, packed_b.data() + jr * kc,
                         C + (ic + ir) * ldc + jc + jr, ldc, beta_here, std::min(MR, mc - ir),
                         std::min(NR, nc - jr));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Products with few rows: decoding a batch runs every projection with M = the batch. Packing B costs
// more than such a product (each element of B is read, reordered and written for M multiply-adds),
// so these read B where it lies, once.

constexpr std::size_t kSmallM = 16;  // at most this many rows take the unpacked kernels
constexpr std::size_t kSmallMB = 8;  // rows per register block

// Vectors per tile row (B as is) or B rows per tile (B transposed), for a block of MB rows: as many
// as keep the MB × that accumulators within 24 registers.
constexpr std::size_t small_nv(std::size_t mb) { return std::min<std::size_t>(4, 24 / mb); }
constexpr std::size_t small_nb(std::size_t mb) { return std::min<std::size_t>(8, 24 / mb); }

// The sum of v's 16 lanes. (Masked forms with a full mask throughout: GCC 12's unmasked ones, and its
// _mm512_reduce_add_ps, trip -Wmaybe-uninitialized on their undefined pass-through operand.)
__attribute__((target("avx512f"))) inline float lane_sum(__m512 v) {
  const __mmask16 all = 0xFFFF;
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(all, v, v, 0x4E));  // 256-bit halves
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(all, v, v, 0xB1));  // 128-bit quarters
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(all, v, 0x4E));        // 64-bit pairs
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(all, v, 0xB1));        // neighbours
  return _mm512_cvtss_f32(v);
}

// C rows [row0, row0 + MB) × columns [j, j + n), n ≤ 16·NV (Whole: n = 16·NV), with B (K, N) as is:
// each step of k broadcasts one element of each A row against NV vectors of B's row k.
template <std::size_t MB, std::size_t NV, bool Whole>
__attribute__((target("avx512f"))) void small_tile_b_rows(const Operand& a, std::size_t row0,
                                                          const Operand& b, std::size_t K, std::size_t j,
                                                          std::size_t n, float alpha, float beta, float* C,
                                                          std::size_t ldc) {
  __m512 acc[MB][NV];
  for (auto& row : acc)
    for (auto& x : row) x = _mm512_setzero_ps();
  __mmask16 mask[NV];
  for (std::size_t v = 0; v < NV; ++v) {
    const std::size_t cols = n > 16 * v ? std::min<std::size_t>(16, n - 16 * v) : 0;
    mask[v] = cols == 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
  }
  const std::size_t a_step = a.trans ? a.ld : 1;  // along k
  const std::size_t a_row = a.trans ? 1 : a.ld;   // between rows
  const float* a0 = a.data + row0 * a_row;
  for (std::size_t k = 0; k < K; ++k) {
    const float* brow = b.data + k * b.ld + j;
    __m512 bv[NV];
    for (std::size_t v = 0; v < NV; ++v)  // masked loads only where needed: they stream B slower
      bv[v] = Whole ? _mm512_loadu_ps(brow + 16 * v) : _mm512_maskz_loadu_ps(mask[v], brow + 16 * v);
    for (std::size_t r = 0; r < MB; ++r) {
      const __m512 ar = _mm512_set1_ps(a0[r * a_row + k * a_step]);
      for (std::size_t v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
    }
  }
  // Unrolled, so that every accumulator is named by a constant: one indexed by a variable would put
  // them all in memory, stored on every step of the loop above.
  const __m512 valpha = _mm512_set1_ps(alpha), vbeta = _mm512_set1_ps(beta);
#pragma GCC unroll 32
  for (std::size_t r = 0; r < MB; ++r) {
    float* crow = C + (row0 + r) * ldc + j;
#pragma GCC unroll 32
    for (std::size_t v = 0; v < NV; ++v) {
      __m512 x = _mm512_mul_ps(acc[r][v], valpha);
      if (beta != 0.0f) x = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask[v], crow + 16 * v), vbeta, x);
      _mm512_mask_storeu_ps(crow + 16 * v, mask[v], x);
    }
  }
}

// The same with B transposed, (N, K), and A as is: C[r][c] is the dot product of A's row r and B's
// row c, both contiguous in k, summed in 16 lanes and reduced at the end; n ≤ NB rows of B.
template <std::size_t MB, std::size_t NB>
__attribute__((target("avx512f"))) void small_tile_b_cols(const Operand& a, std::size_t row0,
                                                          const Operand& b, std::size_t K, std::size_t j,
                                                          std::size_t n, float alpha, float beta, float* C,
                                                          std::size_t ldc) {
  __m512 acc[MB][NB];
  for (auto& row : acc)
    for (auto& x : row) x = _mm512_setzero_ps();
  const float* brow[NB];
  for (std::size_t c = 0; c < NB; ++c)
    brow[c] = b.data + (j + std::min(c, n - 1)) * b.ld;  // past n: a repeat
  const float* a0 = a.data + row0 * a.ld;
  // Whole steps with plain loads (masked ones, even with a full mask, streamed B a fifth slower from
  // memory), then a masked one for the rest of k. Written out twice: as one lambda called twice, the
  // larger tiles kept their accumulators in memory too, stored on every step. A software prefetch
  // 512 bytes ahead helps several rows (batched decoding, weights often in L2: ~10% of an
  // encoder-decoder's batch-8 generation) but slowed a single row streaming B from memory.
  std::size_t k = 0;
  for (; k + 16 <= K; k += 16) {
    __m512 bv[NB];
    for (std::size_t c = 0; c < NB; ++c) {
      if (MB > 1) _mm_prefetch(reinterpret_cast<const char*>(brow[c] + k + 128), _MM_HINT_T0);
      bv[c] = _mm512_loadu_ps(brow[c] + k);
    }
    for (std::size_t r = 0; r < MB; ++r) {
      const __m512 ar = _mm512_loadu_ps(a0 + r * a.ld + k);
      for (std::size_t c = 0; c < NB; ++c) acc[r][c] = _mm512_fmadd_ps(ar, bv[c], acc[r][c]);
    }
  }
  if (k < K) {
    const __mmask16 mask = __mmask16((1u << (K - k)) - 1);
    __m512 bv[NB];
    for (std::size_t c = 0; c < NB; ++c) bv[c] = _mm512_maskz_loadu_ps(mask, brow[c] + k);
    for (std::size_t r = 0; r < MB; ++r) {
      const __m512 ar = _mm512_maskz_loadu_ps(mask, a0 + r * a.ld + k);
      for (std::size_t c = 0; c < NB; ++c) acc[r][c] = _mm512_fmadd_ps(ar, bv[c], acc[r][c]);
    }
  }
  // Every accumulator reduced by constant indices (as in small_tile_b_rows), then the first n written.
  float sums[MB][NB];
#pragma GCC unroll 32
  for (std::size_t r = 0; r < MB; ++r)
#pragma GCC unroll 32
    for (std::size_t c = 0; c < NB; ++c) sums[r][c] = alpha * lane_sum(acc[r][c]);
  for (std::size_t r = 0; r < MB; ++r) {
    float* crow = C + (row0 + r) * ldc + j;
    for (std::size_t c = 0; c < n; ++c) crow[c] = beta == 0.0f ? sums[r][c] : sums[r][c] + beta * crow[c];
  }
}

// One row of A against B as is (M = 1: decoding one sequence) is bound by reading B once. sums[0, n)
// += a[k0, k1) · B rows [k0, k1), columns [j0, j0 + n): eight rows of B per pass over the sums (which
// stay in L1), so that the sums are loaded and stored once per eight vectors of B.
__attribute__((target("avx512f"))) void add_row_block(const Operand& a, const Operand& b, std::size_t k0,
                                                      std::size_t k1, std::size_t j0, std::size_t n,
                                                      float* sums) {
  constexpr std::size_t R = 8;
  const std::size_t a_step = a.trans ? a.ld : 1, full = n / 16 * 16;
  const __mmask16 tail = __mmask16((1u << (n - full)) - 1);
  std::size_t k = k0;
  for (; k + R <= k1; k += R) {
    __m512 ak[R];
    const float* bk[R];
    for (std::size_t r = 0; r < R; ++r) {
      ak[r] = _mm512_set1_ps(a.data[(k + r) * a_step]);
      bk[r] = b.data + (k + r) * b.ld + j0;
    }
    auto pass = [&](std::size_t j, __mmask16 mask) __attribute__((target("avx512f"))) {
      __m512 x = _mm512_maskz_loadu_ps(mask, sums + j);
      for (std::size_t r = 0; r < R; ++r)
        x = _mm512_fmadd_ps(ak[r], _mm512_maskz_loadu_ps(mask, bk[r] + j), x);
      _mm512_mask_storeu_ps(sums + j, mask, x);
    };
    for (std::size_t j = 0; j < full; j += 16) pass(j, __mmask16(0xFFFF));
    if (full < n) pass(full, tail);
  }
  for (; k < k1; ++k) {
    const __m512 ak = _mm512_set1_ps(a.data[k * a_step]);
    const float* bk = b.data + k * b.ld + j0;
    for (std::size_t j = 0; j < n; j += 16) {
      const __mmask16 mask = j < full ? __mmask16(0xFFFF) : tail;
      const __m512 x =
          _mm512_fmadd_ps(ak, _mm512_maskz_loadu_ps(mask, bk + j), _mm512_maskz_loadu_ps(mask, sums + j));
      _mm512_mask_storeu_ps(sums + j, mask, x);
    }
  }
}

// c[0, n) = alpha · sums + beta · c (c not read when beta is 0): the single-row kernels' last step.
void write_row(float* c, const float* sums, std::size_t n, float alpha, float beta) {
  for (std::size_t j = 0; j < n; ++j) c[j] = alpha * sums[j] + (beta == 0.0f ? 0.0f : beta * c[j]);
}

// A single row against a B of at most kRowSplitMaxN columns is read in B's own memory order: fixed
// blocks of kRowBlock rows, each thread a contiguous run of blocks, each block summed into its own
// row of partial sums; the rows are then added in block order, so the bits do not depend on the
// thread count. Streaming B straight through this way ran ~1.4× faster than splitting the columns
// (each thread then reads part of every row, a page-sized piece at a time) and reading B's rows
// four at a time (bench/RESULTS.md, 2026-11-29).
constexpr std::size_t kRowBlock = 64;
constexpr std::size_t kRowSplitMaxN = 4096;  // 16 KiB of sums per block

__attribute__((target("avx512f"))) void row_times_narrow_b(const Operand& a, const Operand& b, std::size_t N,
                                                           std::size_t K, float alpha, float beta, float* c,
                                                           std::size_t threads) {
  const std::size_t blocks = (K + kRowBlock - 1) / kRowBlock;
  thread_local std::vector<float> buffer;  // the caller's; the pool's threads write to it through `partial`
  buffer.assign(blocks * N, 0.0f);
  float* const partial = buffer.data();
  auto run_blocks = [&](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i)
      add_row_block(a, b, i * kRowBlock, std::min(K, (i + 1) * kRowBlock), 0, N, partial + i * N);
  };
  threads = std::max<std::size_t>(1, std::min(threads, blocks));
  if (threads == 1)
    run_blocks(0, blocks);
  else
    ThreadPool::global().run(
        threads, [&](std::size_t t) { run_blocks(blocks * t / threads, blocks * (t + 1) / threads); });
  float* total = partial;
  for (std::size_t i = 1; i < blocks; ++i) {
    const float* row = partial + i * N;
    for (std::size_t j = 0; j < N; ++j) total[j] += row[j];
  }
  write_row(c, total, N, alpha, beta);
}

// A single row against a wider B: threads split the columns, each reading spans of 1024 columns
// (4 KiB of sums) of all of B's rows.
void row_times_wide_b(const Operand& a, const Operand& b, std::size_t K, std::size_t c0, std::size_t c1,
                      float alpha, float beta, float* c) {
  constexpr std::size_t span = 1024;
  alignas(64) float sums[span];
  for (std::size_t j0 = c0; j0 < c1; j0 += span) {
    const std::size_t n = std::min(span, c1 - j0);
    std::fill_n(sums, n, 0.0f);
    add_row_block(a, b, 0, K, j0, n, sums);
    write_row(c + j0, sums, n, alpha, beta);
  }
}

// C rows [row0, row0 + MB) × columns [c0, c1), tile after tile.
template <std::size_t MB>
void small_rows(const Operand& a, std::size_t row0, const Operand& b, std::size_t K, std::size_t c0,
                std::size_t c1, float alpha, float beta, float* C, std::size_t ldc) {
  if (!b.trans) {
    constexpr std::size_t width = 16 * small_nv(MB);
    std::size_t j = c0;
    for (; j + width <= c1; j += width)
      small_tile_b_rows<MB, small_nv(MB), true>(a, row0, b, K, j, width, alpha, beta, C, ldc);
    if (j < c1) small_tile_b_rows<MB, small_nv(MB), false>(a, row0, b, K, j, c1 - j, alpha, beta, C, ldc);
  } else {
    constexpr std::size_t width = small_nb(MB);
    for (std::size_t j = c0; j < c1; j += width)
      small_tile_b_cols<MB, small_nb(MB)>(a, row0, b, K, j, std::min(width, c1 - j), alpha, beta, C, ldc);
  }
}

// small_rows<1> … small_rows<kSmallMB>, indexed by the block's rows − 1.
using SmallRowsKernel = void (*)(const Operand&, std::size_t, const Operand&, std::size_t, std::size_t,
                                 std::size_t, float, float, float*, std::size_t);
template <std::size_t... I>
constexpr std::array<SmallRowsKernel, sizeof...(I)> small_rows_kernels(std::index_sequence<I...>) {
  return {&small_rows<I + 1>...};
}
constexpr auto kSmallRows = small_rows_kernels(std::make_index_sequence<kSmallMB>{});

void small_part(const Operand& a, std::size_t M, const Operand& b, std::size_t K, std::size_t c0,
                std::size_t c1, float alpha, float beta, float* C, std::size_t ldc) {
  if (M == 1 && !b.trans) {
    row_times_wide_b(a, b, K, c0, c1, alpha, beta, C);
    return;
  }
  for (std::size_t row0 = 0; row0 < M; row0 += kSmallMB)
    kSmallRows[std::min(kSmallMB, M - row0) - 1](a, row0, b, K, c0, c1, alpha, beta, C, ldc);
}

}  // namespace

bool cpu_has_avx512() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return has;
}

void gemm_avx512(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
                 const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                 std::size_t ldc, std::size_t threads) {
  const Operand a{A, lda, trans_a}, b{B, ldb, trans_b};
  if (K == 0) {  // C = beta · C, and C is not read when beta is 0
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
    return;
  }
  // Threads take whole tiles; a product too small to pay for waking them runs here. Products with
  // few rows are bound by reading B, so for them a second thread pays off once B is 1 MiB.
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const bool few_rows = M <= kSmallM && !(trans_a && trans_b);
  const bool big_b = static_cast<double>(N) * static_cast<double>(K) >= 262144.0;
  if (flops < 4e6 && !(few_rows && big_b)) threads = 1;
  if (M == 1 && !b.trans && N <= kRowSplitMaxN) {
    row_times_narrow_b(a, b, N, K, alpha, beta, C, threads);
    return;
  }
  if (few_rows) {  // B read where it lies; threads split the columns
    constexpr std::size_t unit = 64;
    const std::size_t units = (N + unit - 1) / unit;
    threads = std::max<std::size_t>(1, std::min(threads, units));
    if (threads == 1) {
      small_part(a, M, b, K, 0, N, alpha, beta, C, ldc);
      return;
    }
    ThreadPool::global().run(threads, [&](std::size_t t) {
      const std::size_t begin = std::min(N, units * t / threads * unit);
      const std::size_t end = std::min(N, units * (t + 1) / threads * unit);
      if (begin < end) small_part(a, M, b, K, begin, end, alpha, beta, C, ldc);
    });
    return;
  }
  // Each thread packs the operand it does not split, so split the dimension whose other operand is
  // cheaper to pack twice: columns (each thread repacks A, M·K) or rows (each repacks B, K·N).
  const bool split_columns = M <= N;
  const std::size_t unit = split_columns ? NR : MR, extent = split_columns ? N : M;
  threads = std::max<std::size_t>(1, std::min(threads, (extent + unit - 1) / unit));
  if (threads == 1) {
    gemm_part(a, b, K, alpha, beta, C, ldc, 0, M, 0, N);
    return;
  }
  const std::size_t units = (extent + unit - 1) / unit;
  ThreadPool::global().run(threads, [&](std::size_t t) {
    const std::size_t begin = std::min(extent, units * t / threads * unit);
    const std::size_t end = std::min(extent, units * (t + 1) / threads * unit);
    if (begin >= end) return;
    if (split_columns)
      gemm_part(a, b, K, alpha, beta, C, ldc, 0, M, begin, end);
    else
      gemm_part(a, b, K, alpha, beta, C, ldc, begin, end, 0, N);
  });
}

}  // namespace lmkit::tensor::detail
