#!/usr/bin/python3
"""Reference fixtures for lmkit's GPT implementation, in the style of llm.c's test_gpt2.

Builds a tiny GPT-2 from plain PyTorch ops (no transformers), in GPT-2's Hugging Face layout
(Conv1D weights stored (in, out), lm_head tied to wte), and writes into tests/reference/tiny_gpt2/:

  config.json, model.safetensors   the model as a Hugging Face GPT-2 directory
  reference.safetensors            tokens and targets (B, T) as F32, logits (B, T, V), the loss,
                                   the gradient of every parameter ("grad.<name>"), and the
                                   losses of 10 AdamW steps with gradient clipping ("adamw_losses")

Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_gpt2_reference.py
safetensors files are written by hand (8-byte little-endian header length, JSON, data), since the
safetensors package is not in Debian.
"""
import json
import math
import os

import torch

from safetensors_writer import write_safetensors

B, T = 2, 8
CONFIG = dict(vocab_size=67, n_positions=16, n_embd=32, n_layer=2, n_head=4, layer_norm_epsilon=1e-5)
ADAMW = dict(lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
CLIP = 1.0
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_gpt2")


def make_params(gen):
    V, C, L, P = CONFIG["vocab_size"], CONFIG["n_embd"], CONFIG["n_layer"], CONFIG["n_positions"]

    def normal(*shape, std=0.02, mean=0.0):
        return (torch.randn(*shape, generator=gen) * std + mean).requires_grad_()

    # Norm gains and biases are random too, so that a mix-up between them shows in the test.
    p = {"wte.weight": normal(V, C, std=0.1), "wpe.weight": normal(P, C, std=0.1)}
    for l in range(L):
        h = f"h.{l}."
        p[h + "ln_1.weight"] = normal(C, std=0.1, mean=1.0)
        p[h + "ln_1.bias"] = normal(C, std=0.1)
        p[h + "attn.c_attn.weight"] = normal(C, 3 * C, std=0.2)
        p[h + "attn.c_attn.bias"] = normal(3 * C, std=0.1)
        p[h + "attn.c_proj.weight"] = normal(C, C, std=0.1)
        p[h + "attn.c_proj.bias"] = normal(C, std=0.1)
        p[h + "ln_2.weight"] = normal(C, std=0.1, mean=1.0)
        p[h + "ln_2.bias"] = normal(C, std=0.1)
        p[h + "mlp.c_fc.weight"] = normal(C, 4 * C, std=0.1)
        p[h + "mlp.c_fc.bias"] = normal(4 * C, std=0.1)
        p[h + "mlp.c_proj.weight"] = normal(4 * C, C, std=0.1)
        p[h + "mlp.c_proj.bias"] = normal(C, std=0.1)
    p["ln_f.weight"] = normal(C, std=0.1, mean=1.0)
    p["ln_f.bias"] = normal(C, std=0.1)
    return p


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def forward(p, tokens, targets):
    C, H, eps = CONFIG["n_embd"], CONFIG["n_head"], CONFIG["layer_norm_epsilon"]
    b, t = tokens.shape
    ln = lambda x, w, bias: torch.nn.functional.layer_norm(x, (C,), w, bias, eps)
    x = p["wte.weight"][tokens] + p["wpe.weight"][torch.arange(t)]
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for l in range(CONFIG["n_layer"]):
        h = f"h.{l}."
        qkv = ln(x, p[h + "ln_1.weight"], p[h + "ln_1.bias"]) @ p[h + "attn.c_attn.weight"] + p[h + "attn.c_attn.bias"]
        q, k, v = qkv.split(C, dim=2)
        q, k, v = (z.view(b, t, H, C // H).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        att = torch.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, C)
        x = x + y @ p[h + "attn.c_proj.weight"] + p[h + "attn.c_proj.bias"]
        m = gelu_new(ln(x, p[h + "ln_2.weight"], p[h + "ln_2.bias"]) @ p[h + "mlp.c_fc.weight"] + p[h + "mlp.c_fc.bias"])
        x = x + m @ p[h + "mlp.c_proj.weight"] + p[h + "mlp.c_proj.bias"]
    logits = ln(x, p["ln_f.weight"], p["ln_f.bias"]) @ p["wte.weight"].T
    loss = torch.nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
    return logits, loss


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)
    params = make_params(gen)
    tokens = torch.randint(0, CONFIG["vocab_size"], (B, T), generator=gen)
    targets = torch.randint(0, CONFIG["vocab_size"], (B, T), generator=gen)
    targets[0, 2] = -1  # ignored positions
    targets[1, 5] = -1

    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "model.safetensors"),
                      {"transformer." + k: v for k, v in params.items()}, {"format": "pt"})
    config = dict(architectures=["GPT2LMHeadModel"], model_type="gpt2", n_ctx=CONFIG["n_positions"],
                  n_inner=None, activation_function="gelu_new", tie_word_embeddings=True,
                  resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, **CONFIG)
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    logits, loss = forward(params, tokens, targets)
    loss.backward()
    ref = {"tokens": tokens.float(), "targets": targets.float(), "logits": logits, "loss": loss.reshape(1)}
    for name, value in params.items():
        ref["grad." + name] = value.grad.clone()

    decay = [v for v in params.values() if v.dim() >= 2]
    no_decay = [v for v in params.values() if v.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}], **ADAMW)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        _, step_loss = forward(params, tokens, targets)
        step_loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), CLIP)
        opt.step()
        losses.append(step_loss.item())
    ref["adamw_losses"] = torch.tensor(losses)
    write_safetensors(os.path.join(OUT, "reference.safetensors"), ref,
                      {"adamw": json.dumps(dict(ADAMW, clip=CLIP)), "torch": torch.__version__})
    print(f"loss {loss.item():.6f}; AdamW losses {' '.join(f'{x:.4f}' for x in losses)}")


if __name__ == "__main__":
    main()
