#!/usr/bin/env bash
# Transformer figures: FMA peak and read bandwidth, GEMM, training tokens/s against PyTorch (side by
# side, alternating lmkit / torch), and batch-1 decode with and without the KV cache (beside PyTorch's
# with a KV cache).
# PyTorch runs in BENCH.md's fair configuration: OPENBLAS_NUM_THREADS=1, torch.set_num_threads(THREADS).
# Usage: bench/transformers.sh [ROUNDS]   (build first: cmake --build --preset release)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
threads=${LMKIT_THREADS:-$(nproc)}
export LMKIT_THREADS=$threads
bench=build/release/bench/transformer_bench
torch=(env OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/transformer_torch.py)
echo "threads $threads"
$bench peak
# GEMM as a fraction of the FMA peak, the two measured alternately (per-round and best-to-best
# ratios): lmkit's AVX-512 kernel; OpenBLAS with the kernels the environment pins (this workplace
# sets OPENBLAS_CORETYPE=Haswell, AVX2); OpenBLAS with its own choice for the CPU (Cooperlake's
# AVX-512 kernels on this AMD EPYC, which the workplace does not trust for tests).
for t in 1 2; do
  LMKIT_THREADS=$t $bench gemm-vs-peak 2048 2048 2048 15
  LMKIT_THREADS=$t LMKIT_GEMM=openblas $bench gemm-vs-peak 2048 2048 2048 15
  LMKIT_THREADS=$t LMKIT_GEMM=openblas env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $bench gemm-vs-peak 2048 2048 2048 15
done
for size in "256 2304 768" "256 3072 768" "256 768 3072" "256 50257 768"; do
  $bench gemm-vs-peak $size 9
  LMKIT_GEMM=openblas $bench gemm-vs-peak $size 9
done
# One thread as well: on a shared machine the single-core ratio to the single-core peak is steadier.
for r in $(seq "$rounds"); do LMKIT_THREADS=1 $bench gemm 1024 1024 1024 5; done
for size in "1024 1024 1024" "256 2304 768" "256 3072 768"; do
  for r in $(seq "$rounds"); do
    $bench gemm $size 5
    "${torch[@]}" gemm $size 5
  done
done
for r in $(seq "$rounds"); do
  $bench train tiny 4 64 10
  "${torch[@]}" train tiny 4 64 10
done
for r in $(seq "$rounds"); do
  $bench train small 4 64 3
  "${torch[@]}" train small 4 64 3
done
# Batch-1 decode with the KV cache, lmkit and PyTorch alternately; lmkit's line also gives each
# token's time against a read-bandwidth measurement taken just before it.
for r in $(seq "$rounds"); do
  $bench decode small 512 16
  "${torch[@]}" decode small 512 16
done
LMKIT_THREADS=1 $bench decode small 512 16
$bench peak
