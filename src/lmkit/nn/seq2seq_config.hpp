// The hyperparameters of an encoder-decoder transformer (Phuong & Hutter, Algorithm 8 EDTransformer):
// a stack of bidirectional encoder layers over the source, a stack of decoder layers (causal
// self-attention, cross-attention over the encoder's output, an MLP) over the target, and an
// unembedding. The switches cover the original Transformer (post-LN, sinusoidal positions, embeddings
// scaled by √C), PyTorch's nn.Transformer (post-LN plus a final norm on each stack) and BART (post-LN,
// learned positions offset by 2, a LayerNorm on the embeddings, exact GELU, final_logits_bias).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lmkit/nn/gpt_config.hpp"

namespace lmkit::nn {

// The MLP's nonlinearity: ReLU (Vaswani, nn.Transformer's default), the exact GELU x·Φ(x) (BART,
// PyTorch's "gelu"), or GPT-2's tanh approximation.
enum class FfnActivation { relu, gelu, gelu_tanh };

struct Seq2SeqConfig {
  std::size_t n_encoder_layer = 0;
  std::size_t n_decoder_layer = 0;
  std::size_t n_head = 0;
  std::size_t n_embd = 0;
  std::size_t n_ffn = 0;  // the MLP's hidden width
  std::size_t n_ctx = 0;  // longest source and longest target sequence
  std::size_t vocab_size = 0;
  bool norm_first = false;  // pre-LN blocks; false is the original post-LN
  PositionKind position = PositionKind::learned;
  std::size_t position_offset =
      0;  // learned tables have n_ctx + offset rows; position p reads row p + offset
  FfnActivation activation = FfnActivation::relu;
  bool shared_embeddings = true;     // one token table for the encoder and the decoder
  bool tied = true;                  // the unembedding is the decoder's token table
  bool scale_embedding = false;      // token embeddings times √C (Vaswani et al.)
  bool layernorm_embedding = false;  // a LayerNorm after token + position embeddings (BART)
  bool final_norm = false;           // a LayerNorm after each stack's last layer (pre-LN, nn.Transformer)
  bool final_logits_bias = false;    // a (1, V) bias added to the logits (BART)
  float norm_eps = 1e-5f;
  // Token ids with a role; mask_id < 0 when the vocabulary has no mask token.
  std::int32_t pad_id = 0;
  std::int32_t bos_id = 0;
  std::int32_t eos_id = 0;
  std::int32_t decoder_start_id = 0;  // the decoder's first input token
  std::int32_t mask_id = -1;

  // Throws Error naming `context` and the field when a value is out of range.
  void validate(const std::string& context) const;
  std::size_t head_size() const { return n_embd / n_head; }
};

// Built-in sizes for `lmkit seq2seq train --config`: "tiny" (2 + 2 layers, 128 wide, ctx 256). The
// vocabulary and special ids are left for the caller to fill. Returns false for an unknown name.
bool seq2seq_config_preset(const std::string& name, Seq2SeqConfig& config);

std::string to_string(FfnActivation kind);
// "relu", "gelu", "gelu_new" / "gelu_pytorch_tanh"; throws Error naming `context` otherwise.
FfnActivation ffn_activation_from_string(const std::string& name, const std::string& context);

}  // namespace lmkit::nn
