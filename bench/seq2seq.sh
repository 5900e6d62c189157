#!/usr/bin/env bash
# Encoder-decoder generation tokens/s against PyTorch, side by side (alternating lmkit / torch), for
# batch 1 and a padded-free batch of 8, 64-token sources, 64 greedy tokens each.
# PyTorch runs in BENCH.md's fair configuration: OPENBLAS_NUM_THREADS=1, torch.set_num_threads(THREADS).
# Usage: bench/seq2seq.sh [ROUNDS]   (build first: cmake --build --preset release)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
threads=${LMKIT_THREADS:-$(nproc)}
export LMKIT_THREADS=$threads
bench=build/release/bench/seq2seq_bench
torch=(env OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/seq2seq_torch.py)
echo "threads $threads"
for batch in 1 8; do
  for r in $(seq "$rounds"); do
    $bench generate "$batch" 64 64 3
    "${torch[@]}" generate "$batch" 64 64 3
  done
done
