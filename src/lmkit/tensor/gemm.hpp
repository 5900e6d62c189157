// Matrix multiplication, the one kernel that dominates transformer time. gemm_naive() is the oracle
// it is tested against (and nothing else uses it).
//
// On CPUs with AVX-512, gemm() runs lmkit's own kernels (gemm_avx512.cpp: a packed, blocked one, and
// for products of at most 16 rows, as in decoding, ones that read B in place); elsewhere OpenBLAS
// (sgemv for single rows). Why: Debian's OpenBLAS 0.3.21 either picks AVX2 kernels
// on recent AVX-512 CPUs, or is pinned to them (OPENBLAS_CORETYPE=Haswell) where its AVX-512
// kernels are not trusted, and AVX2 reaches at most half of such a CPU's FMA peak (bench/RESULTS.md).
// LMKIT_GEMM=openblas in the environment forces OpenBLAS everywhere (for comparisons).
#pragma once

#include <cstddef>
#include <string>

namespace lmkit::tensor {

// C (M, N) = alpha * op(A) * op(B) + beta * C, all row-major. op(A) is (M, K): A itself is (M, K) with
// row stride lda, or (K, M) when trans_a. op(B) is (K, N): B is (K, N) with row stride ldb, or (N, K)
// when trans_b. C has row stride ldc.
void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
          const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
          std::size_t ldc);

// The same product by three loops in double precision.
void gemm_naive(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
                const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                std::size_t ldc);

// The name of the kernel set OpenBLAS runs ("Cooperlake", "SkylakeX", "Haswell", ...): chosen by
// OpenBLAS when it loads, from the CPU or from OPENBLAS_CORETYPE in the environment.
const char* blas_kernel_name();

// "lmkit-avx512" or "openblas-<kernel set>": which implementation gemm() uses for M > 1.
std::string gemm_backend_name();

// gemm()'s thread count (lmkit's kernel runs on ThreadPool::global(); OpenBLAS keeps its own threads) (it
// keeps its own threads; lmkit sets it from --threads).
void set_gemm_threads(std::size_t n_threads);

}  // namespace lmkit::tensor
