// gemm (lmkit's AVX-512 kernel where the CPU has it, else OpenBLAS) against the naive triple loop, for
// every transpose combination, row strides wider than the matrices, beta accumulation, and shapes on
// both sides of the packed kernel's tile (12 × 32) and block (K 512, rows 144, columns 4096) edges,
// and the few-rows kernels' (M ≤ 16) tile edges.
#include "lmkit/tensor/gemm.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <limits>
#include <vector>

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

TEST(Gemm, MatchesNaiveForAllTransposesStridesAndBeta) {
  check_against_naive(13, 17, 29);
  check_against_naive(29, 17, 13);
}

TEST(Gemm, MatchesNaiveAcrossTileAndBlockEdges) {
  std::printf("gemm backend: %s\n", gemm_backend_name().c_str());
  // More than 16 rows: the packed kernel.
  for (auto [M, N, K] : {std::array<std::size_t, 3>{17, 1, 1},
                         {24, 32, 512},
                         {23, 31, 511},
                         {25, 33, 513},
                         {145, 65, 513},
                         {37, 33, 1025},
                         {24, 4099, 3},
                         {17, 7, 600}})
    check_against_naive(M, N, K);
}

TEST(Gemm, FewRowsMatchNaiveAcrossTheirTileEdges) {
  // 1-16 rows: B read in place, row blocks of 8, 48-64 columns per tile (B as is) or 3-8 rows of B
  // per tile (B transposed), k in steps of 16.
  for (std::size_t M : {1, 2, 3, 5, 7, 8, 9, 13, 16})
    for (auto [N, K] : {std::array<std::size_t, 2>{1, 1}, {47, 15}, {49, 17}, {65, 33}, {130, 300}})
      check_against_naive(M, N, K);
  // One row, B as is: up to 4096 columns, B's rows in blocks of 64 summed apart, eight rows at a time
  // (K = 7: none whole; K = 300: four blocks and one of 44, split between threads); wider, spans of
  // 1024 columns.
  check_against_naive(1, 1100, 7);
  check_against_naive(1, 1000, 300);
  check_against_naive(1, 4100, 70);
}

TEST(Gemm, BetaZeroIgnoresWhatCHolds) {
  const std::size_t M = 20, N = 40, K = 30;
  auto A = testing::random_values(M * K, 1), B = testing::random_values(K * N, 2);
  std::vector<float> C(M * N, std::numeric_limits<float>::quiet_NaN()), C_ref(M * N, 0.0f);
  gemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C.data(), N);
  gemm_naive(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C_ref.data(), N);
  for (std::size_t i = 0; i < M * N; ++i) EXPECT_NEAR(C[i], C_ref[i], 1e-4f * (1 + std::abs(C_ref[i])));
}

// lmkit's kernel splits C into whole tiles, each summed in the same order whatever the thread count.
// (OpenBLAS splits K as well, so it makes no such promise.)
TEST(Gemm, OneThreadAndTwoGiveTheSameBits) {
  if (gemm_backend_name() != "lmkit-avx512") GTEST_SKIP() << "OpenBLAS backend: no bitwise promise";
  // The packed kernel, the few-rows ones and the single-row ones (narrow and wide B).
  for (auto [M, N] : {std::array<std::size_t, 2>{200, 3000}, {8, 3000}, {1, 3000}, {1, 5000}}) {
    const std::size_t K = 260;
    auto A = testing::random_values(M * K, 4), B = testing::random_values(N * K, 5);
    for (bool tb : {false, true}) {
      std::vector<float> one(M * N), two(M * N);
      set_gemm_threads(1);
      gemm(false, tb, M, N, K, 1.0f, A.data(), K, B.data(), tb ? K : N, 0.0f, one.data(), N);
      set_gemm_threads(2);
      gemm(false, tb, M, N, K, 1.0f, A.data(), K, B.data(), tb ? K : N, 0.0f, two.data(), N);
      set_gemm_threads(0);
      EXPECT_EQ(one, two) << "M=" << M << " trans_b=" << tb;
    }
  }
}

// M = 1: lmkit's row kernel on AVX-512 CPUs, OpenBLAS's sgemv elsewhere.
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
