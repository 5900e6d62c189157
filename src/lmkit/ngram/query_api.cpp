#include "lmkit/ngram/query_api.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <limits>

#include "lmkit/text/utf8.hpp"
#include "lmkit/util/error.hpp"

namespace lmkit::ngram {

namespace {

// A non-negative integer field within [lo, hi], or `fallback` when absent.
std::uint64_t get_uint(const Json& request, const char* key, std::uint64_t fallback, std::uint64_t lo,
                       std::uint64_t hi) {
  const auto it = request.find(key);
  if (it == request.end() || it->is_null()) return fallback;
  if (!it->is_number_unsigned()) invalid_argument(key, json_text(*it), "must be a non-negative integer");
  const auto v = it->get<std::uint64_t>();
  if (v < lo || v > hi) invalid_argument(key, v, "must be within [{}, {}]", lo, hi);
  return v;
}

bool get_bool(const Json& request, const char* key, bool fallback) {
  const auto it = request.find(key);
  if (it == request.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) invalid_argument(key, json_text(*it), "must be true or false");
  return it->get<bool>();
}

std::vector<std::uint32_t> ids_from_json(const Json& array, const std::string& where) {
  if (!array.is_array()) fail("request: {} must be an array of token ids, got {}", where, json_text(array));
  std::vector<std::uint32_t> ids;
  ids.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto& v = array[i];
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
      fail("request: {}[{}] is not a token id: {}", where, i, json_text(v));
    ids.push_back(static_cast<std::uint32_t>(v.get<std::uint64_t>()));
  }
  return ids;
}

// Splits `text` on `delimiter`, keeping empty pieces (so "a AND" is reported, not ignored).
std::vector<std::string> split(const std::string& text, const std::string& delimiter) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = text.find(delimiter, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + delimiter.size();
  }
}

}  // namespace

QueryService::QueryService(const Engine& engine, const text::Tokenizer* tokenizer, QueryLimits limits)
    : engine_(engine), tokenizer_(tokenizer), limits_(limits) {}

std::vector<std::uint32_t> QueryService::query_tokens(const Json& request, bool need_one) const {
  std::vector<std::uint32_t> ids;
  if (request.contains("query_ids") && !request["query_ids"].is_null()) {
    ids = ids_from_json(request["query_ids"], "query_ids");
  } else if (request.contains("query") && !request["query"].is_null()) {
    if (!request["query"].is_string()) fail("request: field \"query\" must be a string");
    if (tokenizer_ == nullptr)
      fail("request: this index has no tokenizer; send \"query_ids\" instead of \"query\"");
    ids = tokenizer_->encode(request["query"].get<std::string>());
  } else {
    fail("request: give the query as \"query\" (text) or \"query_ids\" (token ids)");
  }
  if (need_one && ids.empty()) fail("request: the query is empty; this query type needs at least one token");
  check_length(ids, "the query");
  if (tokenizer_ != nullptr)
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids[i] >= tokenizer_->vocab_size() && ids[i] != engine_.separator_id())
        fail("request: token id {} at position {} is outside the tokenizer's vocabulary of {}", ids[i], i,
             tokenizer_->vocab_size());
  return ids;
}

void QueryService::check_length(const std::vector<std::uint32_t>& ids, const std::string& what) const {
  if (ids.size() > limits_.max_query_tokens)
    fail("request: {} has {} tokens; at most {} are allowed", what, ids.size(), limits_.max_query_tokens);
}

Cnf QueryService::query_cnf(const Json& request) const {
  Cnf cnf;
  if (request.contains("query_ids") && !request["query_ids"].is_null()) {
    const auto& clauses = request["query_ids"];
    if (!clauses.is_array()) fail("request: CNF query_ids must be [[[ids], ...], ...] (clauses of terms)");
    for (std::size_t c = 0; c < clauses.size(); ++c) {
      if (!clauses[c].is_array()) fail("request: CNF query_ids[{}] must be a list of terms", c);
      cnf.emplace_back();
      for (std::size_t t = 0; t < clauses[c].size(); ++t)
        cnf.back().push_back(ids_from_json(clauses[c][t], fmt::format("query_ids[{}][{}]", c, t)));
    }
  } else if (request.contains("query") && request["query"].is_string()) {
    if (tokenizer_ == nullptr)
      fail("request: this index has no tokenizer; send \"query_ids\" instead of \"query\"");
    for (const auto& clause : split(request["query"].get<std::string>(), " AND ")) {
      cnf.emplace_back();
      for (const auto& term : split(clause, " OR ")) cnf.back().push_back(tokenizer_->encode(term));
    }
  } else {
    fail("request: give the CNF query as \"query\" (\"a AND b OR c\") or \"query_ids\"");
  }
  if (cnf.empty()) fail("request: the CNF query has no clauses");
  if (cnf.size() > limits_.max_clauses)
    fail("request: the CNF query has {} clauses; at most {} are allowed", cnf.size(), limits_.max_clauses);
  for (std::size_t c = 0; c < cnf.size(); ++c) {
    if (cnf[c].size() > limits_.max_terms)
      fail("request: CNF clause {} has {} terms; at most {} are allowed", c, cnf[c].size(),
           limits_.max_terms);
    for (std::size_t t = 0; t < cnf[c].size(); ++t) {
      if (cnf[c][t].empty()) fail("request: CNF clause {} term {} is empty", c, t);
      check_length(cnf[c][t], fmt::format("CNF clause {} term {}", c, t));
    }
  }
  return cnf;
}

Json QueryService::doc_json(const DocResult& doc) const {
  Json out = {{"doc_ix", doc.doc_ix},      {"doc_len", doc.doc_len},
              {"disp_len", doc.disp_len},  {"needle_offset", doc.needle_offset},
              {"shard", doc.shard},        {"metadata", doc.metadata},
              {"token_ids", doc.token_ids}};
  if (tokenizer_ != nullptr) {
    try {
      out["text"] = tokenizer_->decode(doc.token_ids);
    } catch (const Error&) {
      out["text"] = nullptr;  // ids outside the tokenizer's vocabulary (an index built with another)
    }
  }
  return out;
}

Json QueryService::ntd_json(const NtdResult& ntd) const {
  Json by_id = Json::object();
  for (const auto& [id, entry] : ntd.result_by_token_id) {
    Json e = {{"cont_cnt", entry.cont_cnt}, {"prob", entry.prob}};
    if (tokenizer_ != nullptr && id < tokenizer_->vocab_size()) e["token"] = tokenizer_->piece(id);
    by_id[std::to_string(id)] = e;
  }
  return {{"prompt_cnt", ntd.prompt_cnt}, {"result_by_token_id", by_id}, {"approx", ntd.approx}};
}

Json QueryService::answer(const Json& request) const {
  if (!request.is_object()) fail("request: expected a JSON object, got {}", request.type_name());
  const auto type_it = request.find("query_type");
  if (type_it == request.end() || !type_it->is_string())
    fail("request: missing field \"query_type\" (a string)");
  const std::string type = type_it->get<std::string>();
  const auto started = std::chrono::steady_clock::now();
  Json out = {{"query_type", type}};

  auto prob_json = [](const ProbResult& p) {
    return Json{{"prompt_cnt", p.prompt_cnt},
                {"cont_cnt", p.cont_cnt},
                {"prob", p.prob ? Json(*p.prob) : Json(nullptr)}};
  };
  const std::uint64_t max_disp_len = get_uint(request, "max_disp_len", 1000, 0, limits_.max_disp_len);
  const CnfOptions cnf_options{
      get_uint(request, "max_clause_freq", 50000, 1, std::numeric_limits<std::uint64_t>::max()),
      get_uint(request, "max_diff_tokens", 100, 0, 1000000)};

  if (type == "count" || type == "find") {
    const auto ids = query_tokens(request, false);
    const auto found = engine_.find(ids);
    out["token_ids"] = ids;
    if (type == "count") {
      out["count"] = found.count;
      out["approx"] = false;
    } else {
      out["cnt"] = found.count;
      Json segments = Json::array();
      for (const auto& r : found.segment_by_shard) segments.push_back({r.begin, r.end});
      out["segment_by_shard"] = segments;
    }
  } else if (type == "prob" || type == "infgram_prob") {
    auto ids = query_tokens(request, true);
    const std::uint32_t cont = ids.back();
    ids.pop_back();
    out["token_ids"] = ids;
    out["cont_id"] = cont;
    if (type == "prob") {
      out.update(prob_json(engine_.prob(ids, cont)));
    } else {
      const auto r = engine_.infgram_prob(ids, cont);
      out.update(prob_json(r.prob));
      out["suffix_len"] = r.suffix_len;
    }
  } else if (type == "ntd" || type == "infgram_ntd") {
    const auto ids = query_tokens(request, false);
    const std::uint64_t max_support = get_uint(request, "max_support", 1000, 1, limits_.max_support);
    const bool exact = get_bool(request, "exact", false);
    out["token_ids"] = ids;
    if (type == "ntd") {
      out.update(ntd_json(engine_.ntd(ids, max_support, exact)));
    } else {
      const auto r = engine_.infgram_ntd(ids, max_support, exact);
      out.update(ntd_json(r.ntd));
      out["suffix_len"] = r.suffix_len;
    }
  } else if (type == "search_docs" || type == "search_docs_cnf") {
    const std::size_t maxnum = get_uint(request, "maxnum", 1, 1, limits_.max_maxnum);
    SearchDocsResult result;
    if (type == "search_docs") {
      const auto ids = query_tokens(request, true);
      out["token_ids"] = ids;
      result = engine_.search_docs(ids, maxnum, max_disp_len);
    } else {
      result = engine_.search_docs_cnf(query_cnf(request), cnf_options, maxnum, max_disp_len);
    }
    out["cnt"] = result.cnt;
    out["approx"] = result.approx;
    out["idxs"] = result.idxs;
    Json docs = Json::array();
    for (const auto& d : result.docs) docs.push_back(doc_json(d));
    out["documents"] = docs;
  } else if (type == "find_cnf" || type == "count_cnf") {
    const auto result = engine_.find_cnf(query_cnf(request), cnf_options);
    out[type == "count_cnf" ? "count" : "cnt"] = result.cnt;
    out["approx"] = result.approx;
    if (type == "find_cnf") out["ptrs_by_shard"] = result.ptrs_by_shard;
  } else if (type == "get_doc_by_rank") {
    const auto shard = get_uint(request, "s", 0, 0, std::numeric_limits<std::uint64_t>::max());
    if (!request.contains("rank")) fail("request: get_doc_by_rank needs \"s\" (shard) and \"rank\"");
    const auto rank = get_uint(request, "rank", 0, 0, std::numeric_limits<std::uint64_t>::max());
    out.update(doc_json(engine_.get_doc_by_rank(shard, rank, max_disp_len)));
  } else if (type == "get_doc_by_ix") {
    if (!request.contains("doc_ix")) fail("request: get_doc_by_ix needs \"doc_ix\"");
    const auto doc_ix = get_uint(request, "doc_ix", 0, 0, std::numeric_limits<std::uint64_t>::max());
    out.update(doc_json(engine_.get_doc_by_ix(doc_ix, max_disp_len)));
  } else {
    fail(
        "request: unknown query_type \"{}\" (count, find, prob, ntd, infgram_prob, infgram_ntd, search_docs, "
        "get_doc_by_rank, get_doc_by_ix, find_cnf, count_cnf, search_docs_cnf)",
        type);
  }
  out["latency"] =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return out;
}

std::string QueryService::answer_line(std::string_view line) const {
  // json_text, never dump(): a message may quote bytes of the request that are not UTF-8.
  auto error = [](const std::string& message) { return json_text(Json{{"error", message}}); };
  if (line.size() > limits_.max_request_bytes) return too_long_reply(line.size());
  try {
    return json_text(answer(parse_json(line, "request")));
  } catch (const InvalidArgument& e) {
    return error(fmt::format("request: field \"{}\" = {}: {}", e.field(), e.value(), e.problem()));
  } catch (const Error& e) {
    return error(e.what());
  } catch (const Json::exception& e) {
    return error(std::string("request: ") + e.what());
  } catch (const std::bad_alloc&) {
    return error("request: out of memory");
  }
}

std::string QueryService::too_long_reply(std::uint64_t bytes) const {
  return json_text(Json{{"error", fmt::format("request: the line has {} bytes; at most {} are allowed", bytes,
                                              limits_.max_request_bytes)}});
}

std::string quote_token(std::string_view bytes) {
  std::string out = "\"";
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const std::size_t n = text::utf8_sequence_length(bytes, i);
    if (n > 1) {
      out.append(bytes.substr(i, n));
      i += n;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (n == 0 || c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out + '"';
}

RequestLine read_request_line(std::FILE* in, std::size_t max_bytes, std::string& line) {
  line.clear();
  RequestLine result;
  result.status = RequestLine::ok;
  for (;;) {
    const int c = getc_unlocked(in);
    if (c == EOF) {
      if (std::ferror(in)) fail("<stdin>: cannot read the requests: {}", errno_message(errno));
      if (result.bytes == 0) result.status = RequestLine::end;
      return result;
    }
    if (c == '\n') return result;
    if (++result.bytes > max_bytes) {
      if (result.status != RequestLine::too_long) {
        result.status = RequestLine::too_long;
        line.clear();
        line.shrink_to_fit();
      }
    } else {
      line.push_back(static_cast<char>(c));
    }
  }
}

std::uint64_t QueryService::serve(std::FILE* in, std::FILE* out) const {
  std::string line;
  std::uint64_t replies = 0;
  for (;;) {
    const RequestLine request = read_request_line(in, limits_.max_request_bytes, line);
    if (request.status == RequestLine::end) return replies;
    std::string reply;
    if (request.status == RequestLine::too_long) {
      reply = too_long_reply(request.bytes);
    } else if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    } else {
      reply = answer_line(line);
    }
    reply.push_back('\n');
    if (std::fwrite(reply.data(), 1, reply.size(), out) != reply.size() || std::fflush(out) != 0 ||
        std::ferror(out))
      fail("<stdout>: cannot write reply {}: {}", replies + 1, errno_message(errno));
    ++replies;
  }
}

}  // namespace lmkit::ngram
