#include "lmkit/api/bert_data.hpp"

#include <algorithm>

#include "lmkit/text/corpus.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::api {

std::vector<Example> read_examples(const std::vector<std::string>& paths, bool lines,
                                   const std::string& label_field, const text::CorpusOptions& corpus,
                                   std::uint64_t* skipped) {
  text::CorpusReader reader(paths, corpus);
  std::vector<Example> examples;
  std::uint64_t unlabelled = 0;
  text::Document doc;
  while (reader.next(doc)) {
    std::string label;
    if (!label_field.empty()) {
      if (!doc.metadata.is_object() || !doc.metadata.contains(label_field)) {
        if (corpus.skip_bad) {
          ++unlabelled;
          continue;
        }
        fail("{}:{}: the document has no field \"{}\" (the label field)", doc.source, doc.line, label_field);
      }
      const Json& value = doc.metadata[label_field];
      label = value.is_string() ? value.get<std::string>() : value.dump();
    }
    if (!lines) {
      examples.push_back({doc.text, label});
      continue;
    }
    std::size_t start = 0;
    while (start <= doc.text.size()) {
      std::size_t end = doc.text.find('\n', start);
      if (end == std::string::npos) end = doc.text.size();
      std::string line = doc.text.substr(start, end - start);
      if (line.find_first_not_of(" \t\r") != std::string::npos) examples.push_back({line, label});
      start = end + 1;
    }
  }
  if (skipped) *skipped += reader.skipped() + unlabelled;
  return examples;
}

std::unique_ptr<text::WordPieceTokenizer> load_bert_tokenizer(const std::string& spec) {
  auto tokenizer = text::load_tokenizer(spec);
  auto* wordpiece = dynamic_cast<text::WordPieceTokenizer*>(tokenizer.get());
  if (!wordpiece)
    usage_fail(
        "{}: BERT models need a WordPiece tokenizer (vocab.txt, or a tokenizer.json with a WordPiece model)",
        spec);
  for (const char* special : {"[CLS]", "[SEP]", "[PAD]", "[MASK]"})
    if (!wordpiece->id_of(special)) usage_fail("{}: the WordPiece vocabulary lacks {}", spec, special);
  return std::unique_ptr<text::WordPieceTokenizer>(
      static_cast<text::WordPieceTokenizer*>(tokenizer.release()));
}

std::vector<std::vector<std::int32_t>> encode_examples(const text::WordPieceTokenizer& tokenizer,
                                                       const std::vector<Example>& examples,
                                                       std::size_t seq_len) {
  if (seq_len < 3) invalid_argument("seq_len", seq_len, "must be at least 3 ([CLS], a piece, [SEP])");
  const auto cls = static_cast<std::int32_t>(tokenizer.required_id("[CLS]"));
  const auto sep = static_cast<std::int32_t>(tokenizer.required_id("[SEP]"));
  std::vector<std::vector<std::int32_t>> out;
  out.reserve(examples.size());
  for (const auto& e : examples) {
    auto ids = tokenizer.encode(e.text);
    std::vector<std::int32_t> row{cls};
    for (std::size_t i = 0; i < ids.size() && row.size() + 1 < seq_len; ++i)
      row.push_back(static_cast<std::int32_t>(ids[i]));
    row.push_back(sep);
    out.push_back(std::move(row));
  }
  return out;
}

PaddedBatch make_batch(const std::vector<std::vector<std::int32_t>>& sequences,
                       const std::vector<std::size_t>& rows, const text::WordPieceTokenizer& tokenizer) {
  const auto pad = static_cast<std::int32_t>(tokenizer.required_id("[PAD]"));
  const auto cls = static_cast<std::int32_t>(tokenizer.required_id("[CLS]"));
  const auto sep = static_cast<std::int32_t>(tokenizer.required_id("[SEP]"));
  PaddedBatch b;
  b.B = rows.size();
  for (auto r : rows) b.T = std::max(b.T, sequences[r].size());
  b.tokens.assign(b.B * b.T, pad);
  b.valid.assign(b.B * b.T, 0);
  b.maskable.assign(b.B * b.T, 0);
  for (std::size_t i = 0; i < b.B; ++i) {
    const auto& s = sequences[rows[i]];
    for (std::size_t t = 0; t < s.size(); ++t) {
      b.tokens[i * b.T + t] = s[t];
      b.valid[i * b.T + t] = 1;
      b.maskable[i * b.T + t] = s[t] != cls && s[t] != sep;
    }
  }
  return b;
}

}  // namespace lmkit::api
