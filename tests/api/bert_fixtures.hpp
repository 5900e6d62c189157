// Small BERT directories for the API tests: a hand-made WordPiece vocabulary and a randomly
// initialised tiny encoder (optionally with a two-label classifier), written as lmkit writes them.
#pragma once

#include <string>
#include <vector>

#include "lmkit/nn/bert.hpp"
#include "lmkit/nn/hf_bert.hpp"
#include "lmkit/text/wordpiece.hpp"

namespace lmkit::api::testing {

inline text::WordPieceTokenizer fixture_tokenizer() {
  std::vector<std::string> vocab = text::bert_special_tokens;
  for (const char* w :
       {"in",    "the", "beginning", "god", "created", "heaven", "and", "earth", "said", "let",
        "there", "be",  "light",     "a",   "b",       "c",      "##s", "##ed",  ".",    ","})
    vocab.push_back(w);
  return text::WordPieceTokenizer(vocab, {}, "fixture");
}

// A tiny BERT (2 layers, 64 wide) with an MLM head, and a classifier of `labels` when not empty.
inline nn::BertModel write_bert_dir(const std::string& dir, const std::vector<std::string>& labels = {},
                                    std::uint64_t seed = 7) {
  const text::WordPieceTokenizer tokenizer = fixture_tokenizer();
  nn::BertConfig config;
  nn::bert_config_preset("tiny", config);
  config.vocab_size = tokenizer.vocab_size();
  config.num_labels = labels.size();
  nn::BertModel model(config);
  model.init_weights(seed);
  std::filesystem::create_directories(dir);
  nn::save_bert_dir(model, dir, "", labels);
  text::write_wordpiece_files(tokenizer, dir, config.max_position_embeddings);
  return model;
}

// [CLS] pieces [SEP] of `text`, as the API encodes it (no truncation for these short texts).
inline std::vector<std::int32_t> fixture_ids(const std::string& text) {
  const text::WordPieceTokenizer tokenizer = fixture_tokenizer();
  std::vector<std::int32_t> ids{static_cast<std::int32_t>(tokenizer.required_id("[CLS]"))};
  for (std::uint32_t id : tokenizer.encode(text)) ids.push_back(static_cast<std::int32_t>(id));
  ids.push_back(static_cast<std::int32_t>(tokenizer.required_id("[SEP]")));
  return ids;
}

}  // namespace lmkit::api::testing
