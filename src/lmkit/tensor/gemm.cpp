#include "lmkit/tensor/gemm.hpp"

#include <cblas.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "lmkit/util/error.hpp"
#include "lmkit/util/thread_pool.hpp"

namespace lmkit::tensor {

namespace detail {
bool cpu_has_avx512();
void gemm_avx512(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
                 const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                 std::size_t ldc, std::size_t threads);
}  // namespace detail

namespace {

std::atomic<std::size_t> g_gemm_threads{0};  // 0: ThreadPool::default_threads()

bool use_own_kernel() {
  static const bool own = [] {
    const char* choice = std::getenv("LMKIT_GEMM");
    if (choice != nullptr && std::string_view(choice) == "openblas") return false;
    return detail::cpu_has_avx512();
  }();
  return own;
}

blasint checked_int(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<blasint>::max()))
    fail("matrix dimension {} exceeds the BLAS integer range", n);
  return static_cast<blasint>(n);
}

}  // namespace

const char* blas_kernel_name() { return openblas_get_corename(); }

std::string gemm_backend_name() {
  return use_own_kernel() ? "lmkit-avx512" : std::string("openblas-") + blas_kernel_name();
}

void gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
          const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
          std::size_t ldc) {
  if (M == 0 || N == 0) return;
  if (M == 1 && !use_own_kernel()) {
    // One row (batch-1 decoding) on OpenBLAS: a matrix-vector product, which is bound by reading B
    // once; its sgemv streams it better than its sgemm does with M = 1.
    blasint inc_a = trans_a ? checked_int(lda) : 1;
    if (trans_b)  // B is (N, K): c = B · a
      cblas_sgemv(CblasRowMajor, CblasNoTrans, checked_int(N), checked_int(K), alpha, B, checked_int(ldb), A,
                  inc_a, beta, C, 1);
    else  // B is (K, N): c = Bᵀ · a
      cblas_sgemv(CblasRowMajor, CblasTrans, checked_int(K), checked_int(N), alpha, B, checked_int(ldb), A,
                  inc_a, beta, C, 1);
    return;
  }
  if (use_own_kernel()) {
    std::size_t threads = g_gemm_threads.load();
    detail::gemm_avx512(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
                        threads != 0 ? threads : ThreadPool::default_threads());
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              checked_int(M), checked_int(N), checked_int(K), alpha, A, checked_int(lda), B, checked_int(ldb),
              beta, C, checked_int(ldc));
}

void gemm_naive(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha,
                const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                std::size_t ldc) {
  for (std::size_t i = 0; i < M; ++i) {
    for (std::size_t j = 0; j < N; ++j) {
      double sum = 0;
      for (std::size_t k = 0; k < K; ++k) {
        float a = trans_a ? A[k * lda + i] : A[i * lda + k];
        float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
        sum += static_cast<double>(a) * b;
      }
      float& c = C[i * ldc + j];
      c = static_cast<float>(alpha * sum + (beta == 0.0f ? 0.0 : static_cast<double>(beta) * c));
    }
  }
}

void set_gemm_threads(std::size_t n_threads) {
  g_gemm_threads.store(n_threads);
  openblas_set_num_threads(checked_int(n_threads));
}

}  // namespace lmkit::tensor
