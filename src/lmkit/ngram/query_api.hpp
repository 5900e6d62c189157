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

#include <cstdio>
#include <string>
#include <string_view>

#include "lmkit/ngram/engine.hpp"
#include "lmkit/text/tokenizer.hpp"
#include "lmkit/util/json.hpp"

namespace lmkit::ngram {

// What one request may ask for. Requests are untrusted input: each limit bounds the memory and time
// one request can take, and a request beyond one gets an error naming it.
struct QueryLimits {
  std::size_t max_request_bytes = std::size_t{1} << 20;  // one request line: 1 MiB
  std::size_t max_query_tokens = 65536;                  // tokens of a query (of each CNF term)
  std::size_t max_clauses = 4;                           // CNF clauses (Infini-gram's API limit)
  std::size_t max_terms = 4;                             // terms per CNF clause
  std::size_t max_maxnum = 100;                          // documents per search
  std::uint64_t max_disp_len = 100000;
  std::uint64_t max_support = 1000000;
};

// Reads one request line from `in` (without its '\n') in at most max_bytes of memory: a longer line
// is consumed to its end but not kept. `end` at the end of the input (a last line without '\n' is
// still returned first); `too_long` with `bytes` the line's full length. Throws Error when `in`
// cannot be read.
// A token's bytes for people, as a double-quoted string: well-formed UTF-8 kept as it is, quotes,
// backslashes and control characters escaped, and every byte that is not part of a well-formed UTF-8
// character (a piece that ends inside a character) shown as \xNN, so nothing is lost or garbled.
std::string quote_token(std::string_view bytes);

struct RequestLine {
  enum Status { ok, too_long, end } status = end;
  std::uint64_t bytes = 0;
};
RequestLine read_request_line(std::FILE* in, std::size_t max_bytes, std::string& line);

class QueryService {
 public:
  // `tokenizer` may be null: text queries are then refused and query_ids must be sent.
  QueryService(const Engine& engine, const text::Tokenizer* tokenizer, QueryLimits limits = {});

  // Answers one request. Throws Error naming the problem (field, id, position) on a bad request.
  Json answer(const Json& request) const;
  // Answers one line of text holding a JSON request; never throws: problems become {"error": ...}.
  // Every reply is valid JSON (bytes of the request that are not UTF-8 are never echoed raw).
  std::string answer_line(std::string_view line) const;
  // The reply to a line of `bytes` bytes over limits().max_request_bytes.
  std::string too_long_reply(std::uint64_t bytes) const;
  // Serves `in` to `out`: one reply line per non-blank request line, flushed after each; a request
  // line over the limit gets an error reply and the next line is served. Returns the number of
  // replies at the end of `in`; throws Error at the first reply that cannot be written.
  std::uint64_t serve(std::FILE* in, std::FILE* out) const;
  const QueryLimits& limits() const { return limits_; }

 private:
  std::vector<std::uint32_t> query_tokens(const Json& request, bool need_one) const;
  void check_length(const std::vector<std::uint32_t>& ids, const std::string& what) const;
  Cnf query_cnf(const Json& request) const;
  Json doc_json(const DocResult& doc) const;
  Json ntd_json(const NtdResult& ntd) const;

  const Engine& engine_;
  const text::Tokenizer* tokenizer_;
  QueryLimits limits_;
};

}  // namespace lmkit::ngram
