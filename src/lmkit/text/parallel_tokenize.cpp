#include "lmkit/text/parallel_tokenize.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "lmkit/util/thread_pool.hpp"

namespace lmkit::text {

namespace {

// Splits items [0, n) with the given sizes into about `n_parts` contiguous ranges of similar total
// size, so one long document does not leave the other threads idle behind a short-document range.
std::vector<std::size_t> balanced_bounds(std::size_t n,
                                         const std::function<std::size_t(std::size_t)>& size_of,
                                         std::size_t n_parts) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) total += size_of(i) + 1;
  std::vector<std::size_t> bounds = {0};
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += size_of(i) + 1;
    if (sum * n_parts >= total * bounds.size() && i + 1 < n) bounds.push_back(i + 1);
  }
  bounds.push_back(n);
  return bounds;
}

// Tokenizes items [0, n) in parallel: encode_one(i) for each.
void run_balanced(std::size_t n, const std::function<std::size_t(std::size_t)>& size_of,
                  const std::function<void(std::size_t)>& encode_one) {
  auto& pool = ThreadPool::global();
  auto bounds = balanced_bounds(n, size_of, pool.size() * 4);
  pool.run(bounds.size() - 1, [&](std::size_t part) {
    for (std::size_t i = bounds[part]; i < bounds[part + 1]; ++i) encode_one(i);
  });
}

// A bounded queue of batches between the reader thread and the tokenizing thread.
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}

  // False when the consumer has stopped (the batch is dropped).
  bool push(TokenizedBatch&& batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queue_.size() < capacity_ || stopped_; });
    if (stopped_) return false;
    queue_.push_back(std::move(batch));
    changed_.notify_all();
    return true;
  }
  // The producer is done (error set when it failed).
  void close(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    closed_ = true;
    error_ = std::move(error);
    changed_.notify_all();
  }
  // False at the end; rethrows the producer's error.
  bool pop(TokenizedBatch& batch) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (!queue_.empty()) {
      batch = std::move(queue_.front());
      queue_.pop_front();
      changed_.notify_all();
      return true;
    }
    if (error_) std::rethrow_exception(error_);
    return false;
  }
  // The consumer gives up (its own error): wakes a blocked producer.
  void stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    changed_.notify_all();
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<TokenizedBatch> queue_;
  bool closed_ = false;
  bool stopped_ = false;
  std::exception_ptr error_;
};

void read_batches(CorpusReader& reader, const TokenizeOptions& options, BatchQueue& queue) {
  try {
    while (true) {
      TokenizedBatch batch;
      Document doc;
      while (batch.documents.size() < options.batch_documents && batch.text_bytes < options.batch_bytes &&
             reader.next(doc)) {
        batch.text_bytes += doc.text.size();
        batch.documents.push_back({std::move(doc), {}});
        doc = Document();
      }
      if (batch.documents.empty()) break;
      batch.raw_bytes_read = reader.raw_bytes_read();
      batch.documents_read = reader.documents_read();
      if (!queue.push(std::move(batch))) break;
    }
    queue.close(nullptr);
  } catch (...) {
    queue.close(std::current_exception());
  }
}

}  // namespace

void tokenize_corpus(CorpusReader& reader, const Tokenizer& tokenizer,
                     const std::function<void(TokenizedBatch& batch)>& sink, TokenizeOptions options) {
  BatchQueue queue(2);
  std::thread reader_thread([&] { read_batches(reader, options, queue); });
  try {
    TokenizedBatch batch;
    while (queue.pop(batch)) {
      auto& docs = batch.documents;
      run_balanced(
          docs.size(), [&](std::size_t i) { return docs[i].document.text.size(); },
          [&](std::size_t i) { docs[i].ids = tokenizer.encode(docs[i].document.text); });
      sink(batch);
    }
  } catch (...) {
    queue.stop();
    reader_thread.join();
    throw;
  }
  reader_thread.join();
}

std::vector<std::vector<std::uint32_t>> encode_parallel(const Tokenizer& tokenizer,
                                                        std::span<const std::string_view> texts) {
  std::vector<std::vector<std::uint32_t>> ids(texts.size());
  run_balanced(
      texts.size(), [&](std::size_t i) { return texts[i].size(); },
      [&](std::size_t i) { ids[i] = tokenizer.encode(texts[i]); });
  return ids;
}

}  // namespace lmkit::text
