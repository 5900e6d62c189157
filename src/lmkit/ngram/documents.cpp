// Documents: search_docs, get_doc_by_rank, get_doc_by_ix, get_doc_by_ptr.
#include <algorithm>

#include "lmkit/ngram/engine_core.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::ngram {

template <typename T>
DocResult Engine::Core<T>::get_doc_by_ptr(std::size_t s, std::uint64_t ptr,
                                          std::uint64_t max_disp_len) const {
  const Shard& shard = shards_[s];
  const auto doc = shard.doc_of(ptr);
  // A rank may point at a document's separator; its window then starts with the document.
  const std::uint64_t needle = std::max(ptr, doc.begin);
  if (needle > doc.end)
    fail(
        "{}: byte offset {} lies in no document (document {} ends at byte {}): the document offsets are "
        "corrupt",
        shard.name(), ptr, doc.local_ix, doc.end);
  const std::uint64_t before = (max_disp_len / 2) * W, after = ((max_disp_len + 1) / 2) * W;
  const std::uint64_t disp_begin = needle - doc.begin > before ? needle - before : doc.begin;
  const std::uint64_t disp_end = std::max(disp_begin, std::min(doc.end, needle + after));

  DocResult result;
  result.doc_ix = doc_base_[s] + doc.local_ix;
  result.doc_len = (doc.end - doc.begin) / W;
  result.disp_len = (disp_end - disp_begin) / W;
  result.needle_offset = (needle - disp_begin) / W;
  result.shard = s;
  result.metadata = shard.doc_metadata(doc.local_ix);
  result.token_ids.reserve(result.disp_len);
  for (std::uint64_t at = disp_begin; at < disp_end; at += W)
    result.token_ids.push_back(shard.token_at_byte(at));
  return result;
}

template <typename T>
DocResult Engine::Core<T>::get_doc_by_rank(std::size_t s, std::uint64_t rank,
                                           std::uint64_t max_disp_len) const {
  return get_doc_by_ptr(s, shards_[s].pointer(rank), max_disp_len);
}

template <typename T>
DocResult Engine::Core<T>::get_doc_by_ix(std::uint64_t doc_ix, std::uint64_t max_disp_len) const {
  const std::size_t s = static_cast<std::size_t>(
      std::upper_bound(doc_base_.begin(), doc_base_.end(), doc_ix) - doc_base_.begin() - 1);
  const Shard& shard = shards_[s];
  const auto doc = shard.doc_span(doc_ix - doc_base_[s]);
  const std::uint64_t disp_end = std::min(doc.end, doc.begin + max_disp_len * W);
  DocResult result;
  result.doc_ix = doc_ix;
  result.doc_len = (doc.end - doc.begin) / W;
  result.disp_len = (disp_end - doc.begin) / W;
  result.shard = s;
  result.metadata = shard.doc_metadata(doc.local_ix);
  for (std::uint64_t at = doc.begin; at < disp_end; at += W)
    result.token_ids.push_back(shard.token_at_byte(at));
  return result;
}

template <typename T>
SearchDocsResult Engine::Core<T>::search_docs(std::span<const std::uint32_t> ids, std::size_t maxnum,
                                              std::uint64_t max_disp_len) const {
  const auto found = find(ids);
  SearchDocsResult result;
  result.cnt = found.count;
  const std::uint64_t shown = std::min<std::uint64_t>(maxnum, found.count);
  for (std::uint64_t j = 0; j < shown; ++j) {
    // Evenly spaced over all matches, in shard then rank order.
    // floor(j * count / shown) without overflow.
    const std::uint64_t idx = j * (found.count / shown) + j * (found.count % shown) / shown;
    std::uint64_t rest = idx;
    std::size_t s = 0;
    while (rest >= found.segment_by_shard[s].size()) rest -= found.segment_by_shard[s++].size();
    result.idxs.push_back(idx);
    result.docs.push_back(get_doc_by_rank(s, found.segment_by_shard[s].begin + rest, max_disp_len));
  }
  return result;
}

SearchDocsResult Engine::search_docs(std::span<const std::uint32_t> ids, std::size_t maxnum,
                                     std::uint64_t max_disp_len) const {
  check_ids(ids, "query");
  return std::visit([&](const auto& core) { return core->search_docs(ids, maxnum, max_disp_len); }, core_);
}

DocResult Engine::get_doc_by_rank(std::size_t shard, std::uint64_t rank, std::uint64_t max_disp_len) const {
  const std::uint64_t n = token_count(shard);
  if (rank >= n) fail("rank {} is out of range: shard {} has {} suffixes", rank, shard, n);
  return std::visit([&](const auto& core) { return core->get_doc_by_rank(shard, rank, max_disp_len); },
                    core_);
}

DocResult Engine::get_doc_by_ix(std::uint64_t doc_ix, std::uint64_t max_disp_len) const {
  if (doc_ix >= doc_count())
    fail("doc_ix {} is out of range: the index has {} documents", doc_ix, doc_count());
  return std::visit([&](const auto& core) { return core->get_doc_by_ix(doc_ix, max_disp_len); }, core_);
}

DocResult Engine::get_doc_by_ptr(std::size_t shard, std::uint64_t ptr, std::uint64_t max_disp_len) const {
  const std::uint64_t bytes = token_count(shard) * token_width();
  if (ptr >= bytes || ptr % token_width() != 0)
    fail("ptr {} is not a token position of shard {}: expected a multiple of {} below {}", ptr, shard,
         token_width(), bytes);
  return std::visit([&](const auto& core) { return core->get_doc_by_ptr(shard, ptr, max_disp_len); }, core_);
}

// The class itself is instantiated in engine.cpp; these members are defined here.
#define LMKIT_NGRAM_DOC_MEMBERS(T)                                                                      \
  template DocResult Engine::Core<T>::get_doc_by_ptr(std::size_t, std::uint64_t, std::uint64_t) const;  \
  template DocResult Engine::Core<T>::get_doc_by_rank(std::size_t, std::uint64_t, std::uint64_t) const; \
  template DocResult Engine::Core<T>::get_doc_by_ix(std::uint64_t, std::uint64_t) const;                \
  template SearchDocsResult Engine::Core<T>::search_docs(std::span<const std::uint32_t>, std::size_t,   \
                                                         std::uint64_t) const;
LMKIT_NGRAM_DOC_MEMBERS(std::uint8_t)
LMKIT_NGRAM_DOC_MEMBERS(std::uint16_t)
LMKIT_NGRAM_DOC_MEMBERS(std::uint32_t)
#undef LMKIT_NGRAM_DOC_MEMBERS

}  // namespace lmkit::ngram
