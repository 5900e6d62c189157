#!/usr/bin/python3
"""Reference fixtures for lmkit's BERT, in the style of make_gpt2_reference.py.

The independent implementation of the encoder blocks is PyTorch's own nn.TransformerEncoderLayer
(post-LN, exact GELU, batch_first, src_key_padding_mask); the embeddings (word + position + token
type, LayerNorm), the masked-LM head (dense, GELU, LayerNorm, decoder tied to the word embeddings,
bias) and the classifier (pooler dense + tanh on the first position, linear) are a few lines of torch
below. The weights are written under Hugging Face's BERT names (in_proj_weight split into
query / key / value), into tests/reference/tiny_bert/:

  config.json, model.safetensors   the model as a Hugging Face BERT directory (both heads)
  reference.safetensors            tokens, token_types, valid (B, T), mlm_targets (B, T) and labels (B)
                                   as F32; mlm_logits (B, T, V) at every position, mlm_loss,
                                   class_logits (B, L), class_loss; the gradient of every parameter
                                   of mlm_loss + class_loss ("grad.<name>"); and the summed losses of
                                   5 AdamW steps ("adamw_losses")

Run with Debian's python3-torch:  /usr/bin/python3 tests/reference/make_bert_reference.py
"""
import json
import os

import torch
import torch.nn.functional as F

from safetensors_writer import write_safetensors

B, T = 2, 7
V, C, H, LAYERS, INNER, P, TYPES, LABELS = 41, 16, 2, 2, 24, 12, 2, 3
EPS = 1e-12
ADAMW = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_bert")


class TinyBert(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.word = torch.nn.Embedding(V, C)
        self.position = torch.nn.Embedding(P, C)
        self.token_type = torch.nn.Embedding(TYPES, C)
        self.emb_norm = torch.nn.LayerNorm(C, eps=EPS)
        self.layers = torch.nn.ModuleList([
            torch.nn.TransformerEncoderLayer(C, H, dim_feedforward=INNER, dropout=0.0, activation="gelu",
                                             layer_norm_eps=EPS, batch_first=True, norm_first=False)
            for _ in range(LAYERS)])
        self.mlm_dense = torch.nn.Linear(C, C)
        self.mlm_norm = torch.nn.LayerNorm(C, eps=EPS)
        self.mlm_bias = torch.nn.Parameter(torch.zeros(V))
        self.pooler = torch.nn.Linear(C, C)
        self.classifier = torch.nn.Linear(C, LABELS)

    def forward(self, tokens, types, valid):
        positions = torch.arange(tokens.shape[1]).unsqueeze(0)
        x = self.emb_norm(self.word(tokens) + self.position(positions) + self.token_type(types))
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=~valid)
        h = self.mlm_norm(F.gelu(self.mlm_dense(x)))
        mlm_logits = h @ self.word.weight.t() + self.mlm_bias
        class_logits = self.classifier(torch.tanh(self.pooler(x[:, 0])))
        return mlm_logits, class_logits

    def hf_tensors(self):
        """(name, tensor) under Hugging Face's BertForMaskedLM / BertForSequenceClassification names."""
        out = {
            "bert.embeddings.word_embeddings.weight": self.word.weight,
            "bert.embeddings.position_embeddings.weight": self.position.weight,
            "bert.embeddings.token_type_embeddings.weight": self.token_type.weight,
            "bert.embeddings.LayerNorm.weight": self.emb_norm.weight,
            "bert.embeddings.LayerNorm.bias": self.emb_norm.bias,
            "cls.predictions.transform.dense.weight": self.mlm_dense.weight,
            "cls.predictions.transform.dense.bias": self.mlm_dense.bias,
            "cls.predictions.transform.LayerNorm.weight": self.mlm_norm.weight,
            "cls.predictions.transform.LayerNorm.bias": self.mlm_norm.bias,
            "cls.predictions.bias": self.mlm_bias,
            "bert.pooler.dense.weight": self.pooler.weight,
            "bert.pooler.dense.bias": self.pooler.bias,
            "classifier.weight": self.classifier.weight,
            "classifier.bias": self.classifier.bias,
        }
        for i, layer in enumerate(self.layers):
            p = f"bert.encoder.layer.{i}."
            for k, part in enumerate(["query", "key", "value"]):
                out[p + f"attention.self.{part}.weight"] = layer.self_attn.in_proj_weight[k * C:(k + 1) * C]
                out[p + f"attention.self.{part}.bias"] = layer.self_attn.in_proj_bias[k * C:(k + 1) * C]
            out[p + "attention.output.dense.weight"] = layer.self_attn.out_proj.weight
            out[p + "attention.output.dense.bias"] = layer.self_attn.out_proj.bias
            out[p + "attention.output.LayerNorm.weight"] = layer.norm1.weight
            out[p + "attention.output.LayerNorm.bias"] = layer.norm1.bias
            out[p + "intermediate.dense.weight"] = layer.linear1.weight
            out[p + "intermediate.dense.bias"] = layer.linear1.bias
            out[p + "output.dense.weight"] = layer.linear2.weight
            out[p + "output.dense.bias"] = layer.linear2.bias
            out[p + "output.LayerNorm.weight"] = layer.norm2.weight
            out[p + "output.LayerNorm.bias"] = layer.norm2.bias
        return out


def losses(model, tokens, types, valid, mlm_targets, labels):
    mlm_logits, class_logits = model(tokens, types, valid)
    mlm_loss = F.cross_entropy(mlm_logits.reshape(-1, V), mlm_targets.reshape(-1), ignore_index=-1)
    class_loss = F.cross_entropy(class_logits, labels)
    return mlm_logits, class_logits, mlm_loss, class_loss


def main():
    torch.manual_seed(1234)
    model = TinyBert()
    # Non-trivial norm gains and biases, so that a mix-up between them shows in the test.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.endswith("bias"):
                p.add_(torch.randn_like(p) * 0.1)
    lengths = [7, 5]
    tokens = torch.randint(5, V, (B, T))
    valid = torch.zeros(B, T, dtype=torch.bool)
    types = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(lengths):
        tokens[b, 0] = 2  # [CLS]
        tokens[b, n - 1] = 3  # [SEP]
        tokens[b, n:] = 0  # [PAD]
        valid[b, :n] = True
    types[0, 4:7] = 1  # a second segment in the first sequence
    mlm_targets = torch.full((B, T), -1, dtype=torch.long)
    for b, t in [(0, 1), (0, 3), (0, 5), (1, 2), (1, 3)]:
        mlm_targets[b, t] = int(torch.randint(5, V, (1,)))
    labels = torch.tensor([2, 0])

    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "model.safetensors"), model.hf_tensors(), {"format": "pt"})
    config = dict(architectures=["BertForMaskedLM", "BertForSequenceClassification"], model_type="bert",
                  vocab_size=V, hidden_size=C, num_hidden_layers=LAYERS, num_attention_heads=H,
                  intermediate_size=INNER, hidden_act="gelu", hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0, max_position_embeddings=P, type_vocab_size=TYPES,
                  layer_norm_eps=EPS, pad_token_id=0, position_embedding_type="absolute",
                  id2label={str(i): f"L{i}" for i in range(LABELS)},
                  label2id={f"L{i}": i for i in range(LABELS)})
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    mlm_logits, class_logits, mlm_loss, class_loss = losses(model, tokens, types, valid, mlm_targets, labels)
    (mlm_loss + class_loss).backward()
    ref = {"tokens": tokens.float(), "token_types": types.float(), "valid": valid.float(),
           "mlm_targets": mlm_targets.float(), "labels": labels.float(), "mlm_logits": mlm_logits,
           "mlm_loss": mlm_loss.reshape(1), "class_logits": class_logits, "class_loss": class_loss.reshape(1)}
    for name, value in model.hf_tensors().items():
        if value.is_leaf:
            ref["grad." + name] = value.grad.clone()
    # query / key / value are row blocks of in_proj_weight and in_proj_bias: the same rows of their grads.
    for i, layer in enumerate(model.layers):
        p = f"bert.encoder.layer.{i}."
        for k, part in enumerate(["query", "key", "value"]):
            ref[f"grad.{p}attention.self.{part}.weight"] = layer.self_attn.in_proj_weight.grad[k * C:(k + 1) * C].clone()
            ref[f"grad.{p}attention.self.{part}.bias"] = layer.self_attn.in_proj_bias.grad[k * C:(k + 1) * C].clone()

    # Decay for matrices and embeddings, not for biases and LayerNorm gains (lmkit's ParameterSpec.decay).
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}], **ADAMW)
    step_losses = []
    for _ in range(5):
        opt.zero_grad()
        _, _, a, b = losses(model, tokens, types, valid, mlm_targets, labels)
        (a + b).backward()
        opt.step()
        step_losses.append((a + b).item())
    ref["adamw_losses"] = torch.tensor(step_losses)
    write_safetensors(os.path.join(OUT, "reference.safetensors"), ref,
                      {"adamw": json.dumps(ADAMW), "torch": torch.__version__})
    print(f"mlm loss {mlm_loss.item():.6f}, class loss {class_loss.item():.6f}; "
          f"AdamW losses {' '.join(f'{x:.4f}' for x in step_losses)}")


if __name__ == "__main__":
    main()
