#!/usr/bin/env bash
# Encoder throughput (sequences/s at length 128, forward only) of lmkit against PyTorch's
# nn.TransformerEncoder, side by side, alternating lmkit / torch.
# PyTorch runs in BENCH.md's fair configuration: OPENBLAS_NUM_THREADS=1, torch.set_num_threads(THREADS).
# Usage: bench/encoders.sh [ROUNDS]   (build first: cmake --build --preset release)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
threads=${LMKIT_THREADS:-$(nproc)}
export LMKIT_THREADS=$threads
bench=build/release/bench/encoder_bench
torch=(env OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/encoder_torch.py)
echo "threads $threads"
for r in $(seq "$rounds"); do
  $bench small 8 128 5
  "${torch[@]}" small 8 128 5
done
for r in $(seq "$rounds"); do
  $bench base 4 128 3
  "${torch[@]}" base 4 128 3
done
