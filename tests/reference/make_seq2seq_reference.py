#!/usr/bin/python3
"""Reference fixtures for lmkit's encoder-decoder, from PyTorch's own nn.Transformer.

nn.Transformer (batch_first, dropout 0) is an independent implementation of the blocks: multi-head
attention with key padding masks, the causal target mask, post-LN or pre-LN layers, and a final
LayerNorm after each stack. Around it sit a few lines of embedding and unembedding code. Two tiny
models are written, each as an lmkit seq2seq directory (config.json + model.safetensors, with BART's
tensor names: nn.Transformer's fused in_proj is split into q_proj, k_proj, v_proj):

  tiny_seq2seq_post/  post-LN (as the original), sinusoidal positions, token embeddings scaled by
                      √C, one embedding table shared by encoder, decoder and unembedding, ReLU
  tiny_seq2seq_pre/   pre-LN, learned positions, separate encoder/decoder tables, an untied head, GELU

and next to each, reference.safetensors: padded source and target ids (as F32; pads are pad_id and
ignored targets -1), the logits (B, T, V), the loss, the gradient of every parameter ("grad.<name>")
and the losses of 8 AdamW steps with gradient clipping ("adamw_losses").

Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_seq2seq_reference.py
"""
import json
import math
import os

import torch

from safetensors_writer import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
B, S, T = 3, 7, 6
V, C, H, F, L_ENC, L_DEC, N_CTX = 29, 16, 2, 24, 2, 2, 12
PAD, BOS, EOS = 0, 1, 2
ADAMW = dict(lr=2e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
CLIP = 1.0


def sinusoidal(n, c):
    pe = torch.zeros(n, c)
    p = torch.arange(n, dtype=torch.float64)[:, None]
    i = torch.arange(0, c, 2, dtype=torch.float64)
    angle = p / torch.pow(10000.0, i / c)
    pe[:, 0::2] = torch.sin(angle).float()
    pe[:, 1::2] = torch.cos(angle).float()
    return pe


class Model(torch.nn.Module):
    def __init__(self, variant, gen):
        super().__init__()
        self.variant = variant
        post = variant == "post"
        self.transformer = torch.nn.Transformer(
            d_model=C, nhead=H, num_encoder_layers=L_ENC, num_decoder_layers=L_DEC, dim_feedforward=F,
            dropout=0.0, activation="relu" if post else "gelu", batch_first=True, norm_first=not post)
        # Random norm gains and biases too, so a mix-up between tensors shows in the test.
        with torch.no_grad():
            for name, p in self.transformer.named_parameters():
                if "norm" in name and name.endswith("weight"):
                    p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=gen))
                elif name.endswith("bias"):
                    p.copy_(0.1 * torch.randn(p.shape, generator=gen))
                else:
                    p.copy_(0.3 * torch.randn(p.shape, generator=gen))
        normal = lambda *shape: torch.nn.Parameter(0.5 * torch.randn(*shape, generator=gen))
        if post:
            self.shared = normal(V, C)
        else:
            self.enc_embed, self.dec_embed = normal(V, C), normal(V, C)
            self.enc_pos, self.dec_pos = normal(N_CTX, C), normal(N_CTX, C)
            self.head = normal(V, C)

    def embed(self, ids, side):
        if self.variant == "post":
            return self.shared[ids] * math.sqrt(C) + sinusoidal(ids.shape[1], C)
        table, pos = (self.enc_embed, self.enc_pos) if side == "enc" else (self.dec_embed, self.dec_pos)
        return table[ids] + pos[: ids.shape[1]]

    def forward(self, src, tgt_in, targets):
        src_pad, tgt_pad = src == PAD, tgt_in == PAD
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        y = self.transformer(self.embed(src, "enc"), self.embed(tgt_in, "dec"), tgt_mask=causal,
                             src_key_padding_mask=src_pad, tgt_key_padding_mask=tgt_pad,
                             memory_key_padding_mask=src_pad)
        logits = y @ (self.shared if self.variant == "post" else self.head).T
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    def named_tensors(self, grads=False):
        """The parameters (or their gradients) under lmkit's BART names."""
        get = (lambda p: p.grad.clone()) if grads else (lambda p: p.detach().clone())
        out = {}
        if self.variant == "post":
            out["shared.weight"] = get(self.shared)
        else:
            out["encoder.embed_tokens.weight"] = get(self.enc_embed)
            out["decoder.embed_tokens.weight"] = get(self.dec_embed)
            out["encoder.embed_positions.weight"] = get(self.enc_pos)
            out["decoder.embed_positions.weight"] = get(self.dec_pos)
        t = self.transformer

        def attention(prefix, module):
            w, b = get(module.in_proj_weight), get(module.in_proj_bias)
            for i, name in enumerate(("q", "k", "v")):
                out[f"{prefix}.{name}_proj.weight"] = w[i * C:(i + 1) * C]
                out[f"{prefix}.{name}_proj.bias"] = b[i * C:(i + 1) * C]
            out[f"{prefix}.out_proj.weight"] = get(module.out_proj.weight)
            out[f"{prefix}.out_proj.bias"] = get(module.out_proj.bias)

        def norm(prefix, module):
            out[prefix + ".weight"], out[prefix + ".bias"] = get(module.weight), get(module.bias)

        for i, layer in enumerate(t.encoder.layers):
            p = f"encoder.layers.{i}"
            attention(p + ".self_attn", layer.self_attn)
            norm(p + ".self_attn_layer_norm", layer.norm1)
            norm(p + ".fc1", layer.linear1)
            norm(p + ".fc2", layer.linear2)
            norm(p + ".final_layer_norm", layer.norm2)
        norm("encoder.layer_norm", t.encoder.norm)
        for i, layer in enumerate(t.decoder.layers):
            p = f"decoder.layers.{i}"
            attention(p + ".self_attn", layer.self_attn)
            norm(p + ".self_attn_layer_norm", layer.norm1)
            attention(p + ".encoder_attn", layer.multihead_attn)
            norm(p + ".encoder_attn_layer_norm", layer.norm2)
            norm(p + ".fc1", layer.linear1)
            norm(p + ".fc2", layer.linear2)
            norm(p + ".final_layer_norm", layer.norm3)
        norm("decoder.layer_norm", t.decoder.norm)
        if self.variant != "post":
            out["lm_head.weight"] = get(self.head)
        return out


def config_json(variant):
    post = variant == "post"
    return {
        "architectures": ["BartForConditionalGeneration"], "model_type": "lmkit-seq2seq",
        "vocab_size": V, "d_model": C, "encoder_layers": L_ENC, "decoder_layers": L_DEC,
        "encoder_attention_heads": H, "decoder_attention_heads": H, "encoder_ffn_dim": F, "decoder_ffn_dim": F,
        "max_position_embeddings": N_CTX, "activation_function": "relu" if post else "gelu",
        "scale_embedding": post, "tie_word_embeddings": post, "pad_token_id": PAD, "bos_token_id": BOS,
        "eos_token_id": EOS, "decoder_start_token_id": BOS, "layer_norm_eps": 1e-5,
        "lmkit": {"norm_first": not post, "position": "sinusoidal" if post else "learned", "position_offset": 0,
                  "shared_embeddings": post, "layernorm_embedding": False, "final_norm": True,
                  "final_logits_bias": False},
    }


def batch(gen):
    """Right-padded sources and targets of different lengths; targets are the inputs shifted by one."""
    src_len, tgt_len = [7, 4, 5], [6, 3, 5]  # target lengths include the decoder start token
    src = torch.full((B, S), PAD)
    tgt_in = torch.full((B, T), PAD)
    targets = torch.full((B, T), -1)
    for b in range(B):
        src[b, :src_len[b]] = torch.randint(3, V, (src_len[b],), generator=gen)
        body = torch.randint(3, V, (tgt_len[b],), generator=gen)
        tgt_in[b, 0] = BOS
        tgt_in[b, 1:tgt_len[b]] = body[:tgt_len[b] - 1]
        targets[b, :tgt_len[b] - 1] = body[:tgt_len[b] - 1]
        targets[b, tgt_len[b] - 1] = EOS
    return src, tgt_in, targets


def main():
    torch.manual_seed(0)
    for variant in ("post", "pre"):
        gen = torch.Generator().manual_seed(4321 if variant == "post" else 8765)
        model = Model(variant, gen)
        src, tgt_in, targets = batch(gen)
        out_dir = os.path.join(HERE, f"tiny_seq2seq_{variant}")
        os.makedirs(out_dir, exist_ok=True)
        write_safetensors(os.path.join(out_dir, "model.safetensors"), model.named_tensors(), {"format": "pt"})
        with open(os.path.join(out_dir, "config.json"), "w") as f:
            json.dump(config_json(variant), f, indent=2)

        logits, loss = model(src, tgt_in, targets)
        loss.backward()
        ref = {"src": src.float(), "tgt_in": tgt_in.float(), "targets": targets.float(), "logits": logits,
               "loss": loss.reshape(1)}
        for name, g in model.named_tensors(grads=True).items():
            ref["grad." + name] = g

        params = list(model.parameters())
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}], **ADAMW)
        losses = []
        for _ in range(8):
            opt.zero_grad()
            _, step_loss = model(src, tgt_in, targets)
            step_loss.backward()
            torch.nn.utils.clip_grad_norm_(params, CLIP)
            opt.step()
            losses.append(step_loss.item())
        ref["adamw_losses"] = torch.tensor(losses)
        write_safetensors(os.path.join(out_dir, "reference.safetensors"), ref,
                          {"adamw": json.dumps(dict(ADAMW, clip=CLIP)), "torch": torch.__version__})
        print(f"{variant}: loss {loss.item():.6f}; AdamW losses {' '.join(f'{x:.4f}' for x in losses)}")


if __name__ == "__main__":
    main()
