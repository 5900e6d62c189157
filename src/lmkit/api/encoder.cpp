#include "lmkit/api/encoder.hpp"

#include <algorithm>
#include <numeric>

#include "lmkit/api/bert_data.hpp"
#include "lmkit/nn/hf_bert.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::api {

Encoder::Encoder(nn::BertModel model, std::unique_ptr<text::WordPieceTokenizer> tokenizer)
    : model_(std::move(model)), tokenizer_(std::move(tokenizer)) {}

std::shared_ptr<Encoder> Encoder::load(const std::string& dir) {
  // The heads the directory has are loaded too (a BERT config needs one); embed() runs none of them.
  nn::BertModel model = nn::load_bert_dir(dir);
  const nn::BertConfig& config = model.config();
  auto tokenizer = load_bert_tokenizer(dir);
  if (tokenizer->vocab_size() > config.vocab_size)
    fail("{}: the tokenizer's {} ids do not fit the model's vocab_size {}", dir, tokenizer->vocab_size(),
         config.vocab_size);
  return std::shared_ptr<Encoder>(new Encoder(std::move(model), std::move(tokenizer)));
}

std::vector<std::vector<float>> Encoder::embed(const std::vector<std::string>& texts,
                                               const EmbedOptions& options) {
  const std::size_t max_len = model_.config().max_position_embeddings;
  const std::size_t seq_len = options.seq_len ? options.seq_len : max_len;
  if (seq_len > max_len)
    invalid_argument("seq_len", seq_len, "exceeds the model's max_position_embeddings {}", max_len);
  if (options.batch == 0) invalid_argument("batch", options.batch, "must be at least 1");
  std::vector<Example> examples;
  examples.reserve(texts.size());
  for (const auto& t : texts) examples.push_back({t, ""});
  const auto sequences = encode_examples(*tokenizer_, examples, seq_len);
  const std::size_t C = dimension();
  std::vector<std::vector<float>> out(texts.size(), std::vector<float>(C, 0.0f));
  std::lock_guard lock(mutex_);
  for (std::size_t first = 0; first < sequences.size(); first += options.batch) {
    std::vector<std::size_t> rows(std::min(options.batch, sequences.size() - first));
    std::iota(rows.begin(), rows.end(), first);
    const PaddedBatch b = make_batch(sequences, rows, *tokenizer_);
    model_.forward_encoder(b.tokens.data(), nullptr, b.valid.data(), b.B, b.T);
    const std::span<const float> hidden = model_.hidden_states();  // (B, T, C)
    for (std::size_t i = 0; i < b.B; ++i) {
      std::vector<float>& v = out[first + i];
      const float* row = hidden.data() + i * b.T * C;
      if (options.pooling == Pooling::cls) {
        std::copy(row, row + C, v.begin());
        continue;
      }
      const std::size_t n = sequences[first + i].size();  // real positions come first in a row
      std::vector<double> sum(C, 0.0);
      for (std::size_t t = 0; t < n; ++t)
        for (std::size_t c = 0; c < C; ++c) sum[c] += row[t * C + c];
      for (std::size_t c = 0; c < C; ++c) v[c] = static_cast<float>(sum[c] / static_cast<double>(n));
    }
  }
  return out;
}

}  // namespace lmkit::api
