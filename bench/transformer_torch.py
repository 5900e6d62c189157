#!/usr/bin/python3
"""PyTorch anchor for transformer_bench: the same GPT (pre-LN, GELU-tanh, tied head, AdamW, clipping)
in plain torch ops, same shapes and thread count.
  transformer_torch.py train tiny|small B T STEPS     training tokens/s (median step after one warm-up)
  transformer_torch.py gemm M N K REPS
  transformer_torch.py decode tiny|small CTX N        batch-1 decode tokens/s with a KV cache after a CTX-token prompt
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

    def step(self, x, kc, vc, pos):
        """x (1, t, c): positions pos.. appended to the preallocated caches kc, vc (1, h, n_ctx, hs)."""
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.h, c // self.h).transpose(1, 2) for z in (q, k, v))
        kc[:, :, pos:pos + t], vc[:, :, pos:pos + t] = k, v
        att = (q @ kc[:, :, :pos + t].transpose(-2, -1)) / math.sqrt(c // self.h)
        if t > 1:
            mask = torch.ones(t, pos + t, dtype=torch.bool).tril(diagonal=pos)
            att = att.masked_fill(~mask, float("-inf"))
        y = (torch.softmax(att, dim=-1) @ vc[:, :, :pos + t]).transpose(1, 2).reshape(b, t, c)
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

    def step(self, tokens, pos, caches):
        """Logits of the last of tokens (1, t), run at positions pos.. against the KV caches."""
        x = self.wte(tokens) + self.wpe(torch.arange(pos, pos + tokens.shape[1]))
        for block, (kc, vc) in zip(self.blocks, caches):
            x = block.step(x, kc, vc, pos)
        return self.ln_f(x[:, -1]) @ self.wte.weight.T


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


def decode(name, ctx, n):
    cfg = CONFIGS[name]
    model = Gpt(cfg).eval()
    hs = cfg["n_embd"] // cfg["n_head"]
    caches = [(torch.zeros(1, cfg["n_head"], cfg["n_ctx"], hs), torch.zeros(1, cfg["n_head"], cfg["n_ctx"], hs))
              for _ in range(cfg["n_layer"])]
    rates = []
    with torch.no_grad():
        model.step((torch.arange(ctx) * 31 % 256).view(1, ctx), 0, caches)
        for i in range(n):
            start = time.perf_counter()
            model.step(torch.ones(1, 1, dtype=torch.long), ctx + i, caches)
            rates.append(1 / (time.perf_counter() - start))
    print(f"torch decode {name} ctx={ctx} cached_tokens_per_s median {statistics.median(rates):.2f} "
          f"min {min(rates):.2f} max {max(rates):.2f} threads {torch.get_num_threads()}")


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
    elif sys.argv[1] == "decode":
        decode(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        gemm(*(int(x) for x in sys.argv[2:6]))
