// The JSON request/response format shared by `lmkit query`, the Python module and the server, with
// Infini-gram's API field names (see docs/query-api.md for every query type and field).
//
//   {"query_type": "count", "query": "in the beginning"}
//     → {"query_type": "count", "count": 12, "approx": false, "token_ids": [...], "latency": 0.02}
//   {"query_type": "prob", "query_ids": [10, 20, 30]}      (the last token is the continuation)
//     → {"prompt_cnt": ..., "cont_cnt": ..., "prob": 0.25}  (prob null when the prompt never occurs)
//
// A bad request gets {"error": "<what is wrong>"}; it never ends the process serving requests.
#pragma once

#include <string>
#include <string_view>

#include "lmkit/ngram/engine.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::ngram {

struct QueryLimits {
  std::size_t max_clauses = 4;   // CNF clauses (Infini-gram's API limit)
  std::size_t max_terms = 4;     // terms per CNF clause
  std::size_t max_maxnum = 100;  // documents per search
  std::uint64_t max_disp_len = 100000;
  std::uint64_t max_support = 1000000;
};

class QueryService {
 public:
  // `tokenizer` may be null: text queries are then refused and query_ids must be sent.
  QueryService(const Engine& engine, const text::Tokenizer* tokenizer, QueryLimits limits = {});

  // Answers one request. Throws Error naming the problem (field, id, position) on a bad request.
  Json answer(const Json& request) const;
  // Answers one line of text holding a JSON request; never throws: problems become {"error": ...}.
  std::string answer_line(std::string_view line) const;

 private:
  std::vector<std::uint32_t> query_tokens(const Json& request, bool need_one) const;
  Cnf query_cnf(const Json& request) const;
  Json doc_json(const DocResult& doc) const;
  Json ntd_json(const NtdResult& ntd) const;

  const Engine& engine_;
  const text::Tokenizer* tokenizer_;
  QueryLimits limits_;
};

}  // namespace lmkit::ngram
