// Text embeddings from a BERT-like encoder (an `lmkit mlm train` or `classify train` directory, or a
// Hugging Face BERT): each text is WordPiece-encoded as [CLS] pieces [SEP], run through the encoder
// (no head), and pooled into one vector of hidden_size floats.
//
//   auto encoder = lmkit::api::Encoder::load("kjv-bert");
//   auto vectors = encoder->embed({"In the beginning", "And God said"}, {.pooling =
//   lmkit::api::Pooling::mean});
//
// The BERT model keeps its activations in itself, so calls on one Encoder are serialized by a lock.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lmkit/nn/bert.hpp"
#include "lmkit/text/wordpiece.hpp"

namespace lmkit::api {

enum class Pooling {
  cls,   // the [CLS] position's final hidden state (BERT's sentence representation before the pooler)
  mean,  // the mean of the final hidden states over the real positions ([CLS] and [SEP] included, no padding)
};

struct EmbedOptions {
  Pooling pooling = Pooling::cls;
  std::size_t seq_len = 0;  // longest sequence with [CLS] and [SEP], >= 3; 0: max_position_embeddings
  std::size_t batch = 32;   // sequences per forward (padded to the longest), >= 1
};

class Encoder {
 public:
  // A BERT directory (config.json, model.safetensors, its WordPiece files); embed() runs none of
  // the heads it carries.
  static std::shared_ptr<Encoder> load(const std::string& dir);

  std::size_t dimension() const { return model_.config().hidden_size; }
  const text::WordPieceTokenizer& tokenizer() const { return *tokenizer_; }

  // One vector of dimension() floats per text. InvalidArgument ("seq_len", "batch") out of domain.
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts,
                                        const EmbedOptions& options = {});

 private:
  Encoder(nn::BertModel model, std::unique_ptr<text::WordPieceTokenizer> tokenizer);

  std::mutex mutex_;
  nn::BertModel model_;
  std::unique_ptr<text::WordPieceTokenizer> tokenizer_;
};

}  // namespace lmkit::api
