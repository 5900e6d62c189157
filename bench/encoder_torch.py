#!/usr/bin/python3
"""PyTorch anchor for encoder_bench: torch.nn.TransformerEncoder of the same shape (post-LN, exact GELU,
batch_first, no dropout), inference (eval mode, torch.no_grad(): the conditions for its fused fast path),
batches of B sequences of T positions, same thread count.
  encoder_torch.py small|base B T REPS
Run as BENCH.md's fair configuration: OPENBLAS_NUM_THREADS=1, torch.set_num_threads(THREADS)."""
import os
import statistics
import sys
import time

import torch

CONFIGS = {"small": dict(layers=4, heads=4, width=256, inner=1024),
           "base": dict(layers=12, heads=12, width=768, inner=3072)}


def main():
    name, B, T, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    threads = int(os.environ.get("LMKIT_THREADS", os.cpu_count()))
    torch.set_num_threads(threads)
    cfg = CONFIGS[name]
    layer = torch.nn.TransformerEncoderLayer(cfg["width"], cfg["heads"], dim_feedforward=cfg["inner"], dropout=0.0,
                                             activation="gelu", layer_norm_eps=1e-12, batch_first=True)
    model = torch.nn.TransformerEncoder(layer, cfg["layers"], enable_nested_tensor=False).eval()
    x = torch.randn(B, T, cfg["width"])
    rates = []
    with torch.no_grad():
        for r in range(reps + 1):
            start = time.perf_counter()
            model(x)
            if r > 0:
                rates.append(B / (time.perf_counter() - start))
    print(f"torch encoder {name} B={B} T={T} sequences_per_s median {statistics.median(rates):.1f} "
          f"min {min(rates):.1f} max {max(rates):.1f} threads {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
