#!/usr/bin/python3
"""PyTorch anchor for seq2seq_bench: the same BART-shaped encoder-decoder (post-LN, GELU, 4 + 4
layers, width 256, 4 heads, MLP 1024, vocabulary 2052), generating greedily with PyTorch's best
inference path: the encoder is nn.TransformerEncoder in eval mode under no_grad (its fused fast
path), and the decoder keeps a self-attention KV cache and computes the cross-attention keys and
values once, as Hugging Face's BART does.
  seq2seq_torch.py generate B S T REPS   generated tokens/s, median (min–max) after one warm-up
Run as BENCH.md's fair configuration: OPENBLAS_NUM_THREADS=1, torch.set_num_threads(THREADS)."""
import math
import os
import statistics
import sys
import time

import torch

V, C, H, F, L, P = 2052, 256, 4, 1024, 4, 512
START = 2049
F_ = torch.nn.functional


class DecoderLayer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(C, C) for _ in range(4))
        self.cq, self.ck, self.cv, self.co = (torch.nn.Linear(C, C) for _ in range(4))
        self.ln1, self.ln2, self.ln3 = torch.nn.LayerNorm(C), torch.nn.LayerNorm(C), torch.nn.LayerNorm(C)
        self.fc1, self.fc2 = torch.nn.Linear(C, F), torch.nn.Linear(F, C)

    @staticmethod
    def heads(x):  # (B, T, C) -> (B, H, T, C/H)
        return x.view(x.shape[0], x.shape[1], H, C // H).transpose(1, 2)

    def attend(self, q, k, v, mask=None):
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        if mask is not None:
            att = att.masked_fill(mask, float("-inf"))
        y = torch.softmax(att, dim=-1) @ v
        return y.transpose(1, 2).reshape(q.shape[0], q.shape[2], C)

    def forward(self, x, cache, cross_k, cross_v, src_pad):
        k, v = self.heads(self.k(x)), self.heads(self.v(x))
        if cache:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        cache[:] = [k, v]
        x = self.ln1(x + self.o(self.attend(self.heads(self.q(x)), k, v)))
        x = self.ln2(x + self.co(self.attend(self.heads(self.cq(x)), cross_k, cross_v, src_pad)))
        return self.ln3(x + self.fc2(F_.gelu(self.fc1(x))))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = torch.nn.Embedding(V, C)
        self.enc_pos, self.dec_pos = torch.nn.Embedding(P + 2, C), torch.nn.Embedding(P + 2, C)
        self.enc_ln, self.dec_ln = torch.nn.LayerNorm(C), torch.nn.LayerNorm(C)
        layer = torch.nn.TransformerEncoderLayer(C, H, F, dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, L, enable_nested_tensor=False)
        self.decoder = torch.nn.ModuleList(DecoderLayer() for _ in range(L))
        self.bias = torch.zeros(V)
        self.bias[2050] = -1e4  # no end token: every row runs T steps

    @torch.no_grad()
    def generate(self, src, T):
        B, S = src.shape
        src_pad = torch.zeros(B, S, dtype=torch.bool)
        memory = self.encoder(self.enc_ln(self.shared(src) + self.enc_pos(torch.arange(S) + 2)),
                              src_key_padding_mask=src_pad)
        cross = [(layer.heads(layer.ck(memory)), layer.heads(layer.cv(memory))) for layer in self.decoder]
        caches = [[] for _ in self.decoder]
        mask = src_pad[:, None, None, :]
        token = torch.full((B, 1), START)
        out = []
        for t in range(T):
            x = self.dec_ln(self.shared(token) + self.dec_pos(torch.tensor([t + 2])))
            for layer, cache, (ck, cv) in zip(self.decoder, caches, cross):
                x = layer(x, cache, ck, cv, mask)
            logits = x[:, -1] @ self.shared.weight.T + self.bias
            token = logits.argmax(dim=-1, keepdim=True)
            out.append(token)
        return torch.cat(out, dim=1)


def generate(B, S, T, reps):
    torch.manual_seed(1)
    model = Model().eval()
    src = ((torch.arange(B)[:, None] * 7919 + torch.arange(S)[None, :] * 104729) % 2048)
    rates = []
    for r in range(reps + 1):
        start = time.perf_counter()
        out = model.generate(src, T)
        seconds = time.perf_counter() - start
        assert out.shape == (B, T)
        if r > 0:
            rates.append(B * T / seconds)
    print(f"torch seq2seq generate B={B} S={S} T={T} tokens_per_s median {statistics.median(rates):.0f} "
          f"min {min(rates):.0f} max {max(rates):.0f} threads {torch.get_num_threads()}")


if __name__ == "__main__":
    torch.set_num_threads(int(os.environ.get("LMKIT_THREADS", os.cpu_count())))
    if len(sys.argv) == 6 and sys.argv[1] == "generate":
        generate(*(int(a) for a in sys.argv[2:]))
    else:
        sys.exit(__doc__)
