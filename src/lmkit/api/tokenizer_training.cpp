#include "lmkit/api/tokenizer_training.hpp"

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <unordered_map>

#include "lmkit/text/bpe_files.hpp"
#include "lmkit/text/wordpiece.hpp"
#include "lmkit/util/atomic_file.hpp"
#include "lmkit/util/error.hpp"
#include "lmkit/util/progress.hpp"

namespace lmkit::api {

namespace {

// Counts words with a progress bar over the corpus bytes (unless quiet).
template <typename Count>
void with_progress(text::CorpusReader& reader, bool quiet, Count count) {
  std::optional<ProgressBar> bar;
  if (!quiet) bar.emplace("counting words", reader.total_raw_bytes(), "B");
  count([&](const text::CorpusReader& r) {
    if (!bar) return;
    bar->set(r.raw_bytes_read());
    bar->set_note(fmt::format("{} docs", r.documents_read()));
  });
}

void train_wordpiece(const TokenizerTrainOptions& options, text::CorpusReader& reader, AtomicDirectory& out,
                     TokenizerTrainResult& result) {
  text::WordPieceTrainOptions train;
  train.vocab_size = options.vocab_size;
  train.min_frequency = options.min_frequency;
  train.tokenizer.lowercase = train.tokenizer.strip_accents = !options.cased;
  std::unordered_map<std::string, std::uint64_t> words;
  with_progress(reader, options.quiet, [&](const auto& on_document) {
    for (text::Document doc; reader.next(doc); on_document(reader))
      for (auto& word : text::bert_basic_tokenize(doc.text, train.tokenizer)) ++words[word];
  });
  if (words.empty()) fail("{}: the corpus has no text", options.corpus.front());
  text::WordPieceTokenizer tokenizer(text::train_wordpiece_vocab(words, train), train.tokenizer, options.out);
  text::write_wordpiece_files(tokenizer, out.temp_path(), 512);
  result.vocab_size = static_cast<std::uint32_t>(tokenizer.vocab_size());
  result.distinct_words = words.size();
}

void train_bpe(const TokenizerTrainOptions& options, const text::BpeTrainOptions& train,
               text::CorpusReader& reader, AtomicDirectory& out, TokenizerTrainResult& result) {
  text::WordCounts words;
  with_progress(reader, options.quiet,
                [&](const auto& on_batch) { words = text::count_words(reader, train.pattern, on_batch); });
  if (words.empty()) fail("{}: the corpus has no text", options.corpus.front());
  auto tokenizer = text::train_byte_level_bpe(words, train, options.out);
  text::write_hf_tokenizer_json(*tokenizer, out.file("tokenizer.json"));
  Json config = {{"tokenizer_class", "GPT2TokenizerFast"}, {"model_max_length", 1024}};
  if (!train.special_tokens.empty()) {
    config["eos_token"] = train.special_tokens.front();
    config["bos_token"] = train.special_tokens.front();
  }
  write_json_file(out.file("tokenizer_config.json"), config);
  result.vocab_size = tokenizer->vocab_size();
  result.merges = tokenizer->merges().size();
  result.distinct_words = words.size();
}

}  // namespace

TokenizerType parse_tokenizer_type(const std::string& name) {
  if (name == "bpe") return TokenizerType::bpe;
  if (name == "wordpiece") return TokenizerType::wordpiece;
  invalid_argument("type", name, "must be bpe or wordpiece");
}

Json TokenizerTrainResult::to_json() const {
  Json j = {{"out", out},
            {"type", type == TokenizerType::bpe ? "bpe" : "wordpiece"},
            {"vocab_size", vocab_size},
            {"documents", documents},
            {"skipped", skipped},
            {"distinct_words", distinct_words},
            {"seconds", seconds}};
  if (type == TokenizerType::bpe) j["merges"] = merges;
  return j;
}

TokenizerTrainResult train_tokenizer(const TokenizerTrainOptions& options) {
  if (options.corpus.empty()) invalid_argument("corpus", "", "training a tokenizer needs a corpus");
  if (options.out.empty()) invalid_argument("out", "", "names the tokenizer directory to write");
  const text::BpeTrainOptions bpe{.vocab_size = options.vocab_size,
                                  .min_frequency = options.min_frequency,
                                  .special_tokens = options.special_tokens};
  if (options.type == TokenizerType::wordpiece) {
    if (options.vocab_size <= text::bert_special_tokens.size())
      invalid_argument("vocab_size", options.vocab_size, "must be more than WordPiece's {} special tokens",
                       text::bert_special_tokens.size());
  } else {
    text::check_bpe_train_options(bpe);
  }
  const auto start = std::chrono::steady_clock::now();
  AtomicDirectory out(options.out, options.replace);
  text::CorpusReader reader(options.corpus, options.corpus_options);
  TokenizerTrainResult result;
  result.out = options.out;
  result.type = options.type;
  if (options.type == TokenizerType::wordpiece) {
    train_wordpiece(options, reader, out, result);
  } else {
    train_bpe(options, bpe, reader, out, result);
  }
  out.commit();
  result.documents = reader.documents_read();
  result.skipped = reader.skipped();
  result.skipped_examples = reader.skipped_examples();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace lmkit::api
