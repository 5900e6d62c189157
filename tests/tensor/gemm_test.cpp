// gemm (OpenBLAS) against the naive triple loop, for every transpose combination, row strides wider
// than the matrices, and beta accumulation.
#include "lmkit/tensor/gemm.hpp"

#include <gtest/gtest.h>

#include "gradient_check.hpp"

namespace lmkit::tensor {
namespace {

void check_against_naive(std::size_t M, std::size_t N, std::size_t K) {
  const std::size_t pad = 3;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (float beta : {0.0f, 1.0f, 0.5f}) {
        std::size_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
        auto A = testing::random_values((ta ? K : M) * lda, 1);
        auto B = testing::random_values((tb ? N : K) * ldb, 2);
        auto C = testing::random_values(M * ldc, 3);
        auto C_ref = C;
        gemm(ta, tb, M, N, K, 0.75f, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
        gemm_naive(ta, tb, M, N, K, 0.75f, A.data(), lda, B.data(), ldb, beta, C_ref.data(), ldc);
        for (std::size_t i = 0; i < M; ++i)
          for (std::size_t j = 0; j < ldc; ++j)
            EXPECT_NEAR(C[i * ldc + j], C_ref[i * ldc + j], 1e-4f * (1 + std::abs(C_ref[i * ldc + j])))
                << "M=" << M << " ta=" << ta << " tb=" << tb << " beta=" << beta << " at " << i << "," << j;
      }
    }
  }
}

TEST(Gemm, MatchesNaiveForAllTransposesStridesAndBeta) { check_against_naive(13, 17, 29); }

// M = 1 takes the matrix-vector path.
TEST(Gemm, SingleRowMatchesNaive) { check_against_naive(1, 17, 29); }

TEST(Gemm, NaiveComputesAHandCheckedProduct) {
  // (2,3) · (3,2): [[1,2,3],[4,5,6]] · [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
  float A[] = {1, 2, 3, 4, 5, 6}, B[] = {1, 0, 0, 1, 1, 1}, C[4] = {};
  gemm_naive(false, false, 2, 2, 3, 1.0f, A, 3, B, 2, 0.0f, C, 2);
  EXPECT_FLOAT_EQ(C[0], 4);
  EXPECT_FLOAT_EQ(C[1], 5);
  EXPECT_FLOAT_EQ(C[2], 10);
  EXPECT_FLOAT_EQ(C[3], 11);
}

}  // namespace
}  // namespace lmkit::tensor
