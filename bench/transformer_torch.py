#!/usr/bin/python3
"""PyTorch anchor for transformer_bench: the same GPT (pre-LN, GELU-tanh, tied head, AdamW, clipping)
in plain torch ops, same shapes and thread count.
  transformer_torch.py train tiny|small B T STEPS     training tokens/s (median step after one warm-up)
  transformer_torch.py gemm M N K REPS
Run as BENCH.md's fair configuration: OPENBLAS_NUM_THREADS=1, torch.set_num_threads(THREADS)."""
import math
import os
import statistics
import sys
import time

import torch

CONFIGS = {"tiny": dict(n_layer=2, n_head=4, n_embd=128, n_ctx=128, vocab=256),
           "small": dict(n_layer=12, n_head=12, n_embd=768, n_ctx=1024, vocab=50257)}


class Block(torch.nn.Module):
    def __init__(self, c, h):
        super().__init__()
        self.h = h
        self.ln_1, self.ln_2 = torch.nn.LayerNorm(c), torch.nn.LayerNorm(c)
        self.c_attn, self.c_proj = torch.nn.Linear(c, 3 * c), torch.nn.Linear(c, c)
        self.c_fc, self.mlp_proj = torch.nn.Linear(c, 4 * c), torch.nn.Linear(4 * c, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.h, c // self.h).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.h)
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        att = torch.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(torch.nn.functional.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = torch.nn.Embedding(cfg["vocab"], cfg["n_embd"])
        self.wpe = torch.nn.Embedding(cfg["n_ctx"], cfg["n_embd"])
        self.blocks = torch.nn.ModuleList(Block(cfg["n_embd"], cfg["n_head"]) for _ in range(cfg["n_layer"]))
        self.ln_f = torch.nn.LayerNorm(cfg["n_embd"])

    def forward(self, tokens, targets):
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T
        return torch.nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def train(name, B, T, steps):
    cfg = CONFIGS[name]
    model = Gpt(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    i = torch.arange(B * T)
    tokens, targets = ((i * 7919) % 256).view(B, T), ((i * 104729) % 256).view(B, T)
    rates = []
    for s in range(steps + 1):
        start = time.perf_counter()
        loss = model(tokens, targets)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if s > 0:
            rates.append(B * T / (time.perf_counter() - start))
    print(f"torch train {name} B={B} T={T} tokens_per_s median {statistics.median(rates):.0f} "
          f"min {min(rates):.0f} max {max(rates):.0f} threads {torch.get_num_threads()}")


def gemm(M, N, K, reps):
    a, b = torch.full((M, K), 0.5), torch.full((K, N), 0.25)
    a @ b
    rates = []
    for _ in range(reps):
        start = time.perf_counter()
        a @ b
        rates.append(2 * M * N * K / (time.perf_counter() - start) / 1e9)
    print(f"torch gemm {M}x{N}x{K} gflops median {statistics.median(rates):.1f}")


if __name__ == "__main__":
    torch.set_num_threads(int(os.environ.get("LMKIT_THREADS", os.cpu_count())))
    torch.manual_seed(1)
    if sys.argv[1] == "train":
        train(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        gemm(*(int(x) for x in sys.argv[2:6]))
