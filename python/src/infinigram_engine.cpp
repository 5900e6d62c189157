// lmkit.InfiniGramEngine: Infini-gram's Python engine (pkg/infini_gram/engine.py) over lmkit's engine.
// The constructor arguments, method names, argument names and defaults, returned dict keys and value
// types are Infini-gram's, and so are the {'error': ...} dicts for invalid input; every answer comes from
// api::Index / ngram::Engine. Where lmkit differs it says so in docs/python.md. Each query converts its
// arguments, releases the GIL for the engine call, and builds its dict.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "lmkit/api/index.hpp"
#include "preload.hpp"

namespace lmkit::python {

namespace {

using namespace pybind11::literals;

py::dict error_dict(const std::string& message) { return py::dict("error"_a = message); }

py::dict doc_dict(const ngram::DocResult& doc) {
  return py::dict("doc_ix"_a = doc.doc_ix, "doc_len"_a = doc.doc_len, "disp_len"_a = doc.disp_len,
                  "needle_offset"_a = doc.needle_offset, "metadata"_a = doc.metadata,
                  "token_ids"_a = doc.token_ids, "blocked"_a = false);
}

py::list docs_list(const std::vector<ngram::DocResult>& docs) {
  py::list out;
  for (const auto& d : docs) out.append(doc_dict(d));
  return out;
}

py::dict ntd_map(const ngram::NtdResult& ntd) {
  py::dict by_id;
  for (const auto& [id, entry] : ntd.result_by_token_id)
    by_id[py::int_(id)] = py::dict("cont_cnt"_a = entry.cont_cnt, "prob"_a = entry.prob);
  return by_id;
}

// Infini-gram's parameters with a constructor default: None takes it; else a positive int.
struct Parameter {
  const char* name;
  std::uint64_t value;
};

class InfiniGramEngine {
 public:
  InfiniGramEngine(py::object index_dir, py::object eos_token_id, py::object vocab_size, py::object version,
                   py::object token_dtype, py::object load_to_ram, py::object ds_prefetch_depth,
                   py::object sa_prefetch_depth, py::object od_prefetch_depth, py::object bow_ids_path,
                   py::object precompute_unigram_logprobs, py::object max_support, py::object max_clause_freq,
                   py::object max_diff_tokens, py::object maxnum, py::object max_disp_len) {
    api::IndexOptions options;
    options.dirs = paths_argument(index_dir, "index_dir");
    if (options.dirs.empty()) throw py::value_error("index_dir: name at least one index directory");
    const std::uint64_t vocab = require_int(vocab_size, "vocab_size", 1);
    const std::uint64_t eos = require_int(eos_token_id, "eos_token_id", 0);
    if (eos >= vocab)
      throw py::value_error(fmt::format("eos_token_id = {}: must be below vocab_size ({})", eos, vocab));
    if (require_int(version, "version", 0) != 4)
      throw py::value_error(fmt::format("version = {}: lmkit reads Infini-gram's version-4 index layout only",
                                        py::str(version).cast<std::string>()));
    if (!py::isinstance<py::str>(token_dtype))
      throw py::type_error("token_dtype: expected 'u8', 'u16' or 'u32'");
    const auto dtype = token_dtype.cast<std::string>();
    unsigned width = 0;
    if (dtype == "u8") width = 1;
    if (dtype == "u16") width = 2;
    if (dtype == "u32") width = 4;
    if (width == 0) throw py::value_error(fmt::format("Unsupported token dtype: {}", dtype));
    const bool to_ram = require_bool(load_to_ram, "load_to_ram");
    const std::uint64_t ds = require_int(ds_prefetch_depth, "ds_prefetch_depth", 0);
    if (require_int(sa_prefetch_depth, "sa_prefetch_depth", 0) < ds)
      throw py::value_error("sa_prefetch_depth: must be at least ds_prefetch_depth");
    require_int(od_prefetch_depth, "od_prefetch_depth", 0);
    if (!bow_ids_path.is_none())
      throw py::value_error(
          "bow_ids_path: lmkit has no attribute() / creativity() queries, for which Infini-gram reads it");
    if (require_bool(precompute_unigram_logprobs, "precompute_unigram_logprobs"))
      throw py::value_error(
          "precompute_unigram_logprobs=True: lmkit has no attribute() query, for which Infini-gram "
          "precomputes "
          "them");
    max_support_ = require_int(max_support, "max_support", 1);
    max_clause_freq_ = require_int(max_clause_freq, "max_clause_freq", 1);
    max_diff_tokens_ = require_int(max_diff_tokens, "max_diff_tokens", 1);
    maxnum_ = require_int(maxnum, "maxnum", 1);
    max_disp_len_ = require_int(max_disp_len, "max_disp_len", 1);

    options.eos_token_id = static_cast<std::uint32_t>(eos);
    {
      py::gil_scoped_release release;
      index_ = api::Index::open(options);
      if (to_ram) preload_index(*index_);
    }
    const ngram::Engine& e = engine();
    if (e.token_width() != width)
      throw py::value_error(
          fmt::format("token_dtype = '{}', but the index in {} has {}-byte tokens (token_dtype "
                      "'u{}')",
                      dtype, options.dirs.front(), e.token_width(), 8 * e.token_width()));
    if (eos >= e.separator_id())
      throw py::value_error(fmt::format("eos_token_id = {}: not a token id of {}-byte tokens (at most {})",
                                        eos, width, e.separator_id() - 1));
    token_id_max_ = e.separator_id() - 1;
  }

  const ngram::Engine& engine() const { return index_->engine(); }

  py::object find(py::handle input_ids) const {
    std::vector<std::uint32_t> ids;
    if (!is_id_list(input_ids, token_id_max_, true, ids)) return ids_error("input_ids", "");
    ngram::FindResult result;
    {
      py::gil_scoped_release release;
      result = engine().find(ids);
    }
    py::list segments;
    for (const auto& r : result.segment_by_shard) segments.append(py::make_tuple(r.begin, r.end));
    return py::dict("cnt"_a = result.count, "segment_by_shard"_a = segments);
  }

  py::object count(py::handle input_ids) const {
    std::vector<std::uint32_t> ids;
    if (!is_id_list(input_ids, token_id_max_, true, ids)) return ids_error("input_ids", "");
    std::uint64_t n = 0;
    {
      py::gil_scoped_release release;
      n = engine().count(ids);
    }
    return py::dict("count"_a = n, "approx"_a = false);
  }

  py::object prob(py::handle prompt_ids, py::handle cont_id, bool infgram) const {
    std::vector<std::uint32_t> prompt;
    // Infini-gram's message says "non-empty" here though it accepts an empty prompt; so do we.
    if (!is_id_list(prompt_ids, token_id_max_, true, prompt)) return ids_error("prompt_ids", "non-empty ");
    std::uint64_t cont = 0;
    if (!is_int_in(cont_id, 0, token_id_max_, cont))
      return error_dict(fmt::format("cont_id must be an integer in range [0, {}]", token_id_max_));
    ngram::InfgramProbResult result;
    {
      py::gil_scoped_release release;
      if (infgram)
        result = engine().infgram_prob(prompt, static_cast<std::uint32_t>(cont));
      else
        result.prob = engine().prob(prompt, static_cast<std::uint32_t>(cont));
    }
    // Infini-gram reports an unseen prompt's probability as -1.0.
    py::dict out("prompt_cnt"_a = result.prob.prompt_cnt, "cont_cnt"_a = result.prob.cont_cnt,
                 "prob"_a = result.prob.prob.value_or(-1.0));
    if (infgram) out["suffix_len"] = result.suffix_len;
    return out;
  }

  py::object ntd(py::handle prompt_ids, py::handle max_support, bool infgram) const {
    std::uint64_t support = 0;
    if (!parameter(max_support, max_support_, support))
      return error_dict("max_support must be a positive integer");
    std::vector<std::uint32_t> prompt;
    if (!is_id_list(prompt_ids, token_id_max_, true, prompt)) return ids_error("prompt_ids", "");
    ngram::InfgramNtdResult result;
    {
      py::gil_scoped_release release;
      if (infgram)
        result = engine().infgram_ntd(prompt, support);
      else
        result.ntd = engine().ntd(prompt, support);
    }
    py::dict out("prompt_cnt"_a = result.ntd.prompt_cnt, "result_by_token_id"_a = ntd_map(result.ntd),
                 "approx"_a = result.ntd.approx);
    if (infgram) out["suffix_len"] = result.suffix_len;
    return out;
  }

  py::object search_docs(py::handle input_ids, py::handle maxnum, py::handle max_disp_len) const {
    std::uint64_t num = 0, disp = 0;
    if (!parameter(maxnum, maxnum_, num)) return error_dict("maxnum must be a positive integer");
    if (!parameter(max_disp_len, max_disp_len_, disp))
      return error_dict("max_disp_len must be a positive integer");
    std::vector<std::uint32_t> ids;
    if (!is_id_list(input_ids, token_id_max_, true, ids)) return ids_error("input_ids", "");
    ngram::SearchDocsResult result;
    {
      py::gil_scoped_release release;
      result = engine().search_docs(ids, num, disp);
    }
    return search_dict(result);
  }

  // The CNF query and its limits shared by find_cnf, count_cnf and search_docs_cnf: Infini-gram's
  // error dict for the first bad one, or nothing when `query` and `options` are set.
  std::optional<py::object> cnf_request(py::handle cnf, py::handle max_clause_freq,
                                        py::handle max_diff_tokens, ngram::Cnf& query,
                                        ngram::CnfOptions& options) const {
    if (!parameter(max_clause_freq, max_clause_freq_, options.max_clause_freq))
      return error_dict("max_clause_freq must be a positive integer");
    if (!parameter(max_diff_tokens, max_diff_tokens_, options.max_diff_tokens))
      return error_dict("max_diff_tokens must be a positive integer");
    if (!is_cnf(cnf, token_id_max_, query))
      return error_dict(fmt::format(
          "cnf must be a non-empty, triply-nested list of integers in range [0, {}]", token_id_max_));
    return std::nullopt;
  }

  py::object find_cnf(py::handle cnf, py::handle max_clause_freq, py::handle max_diff_tokens,
                      int what) const {
    ngram::CnfOptions options;
    ngram::Cnf query;
    if (auto error = cnf_request(cnf, max_clause_freq, max_diff_tokens, query, options)) return *error;
    ngram::CnfResult result;
    {
      py::gil_scoped_release release;
      result = engine().find_cnf(query, options);
    }
    if (what == count_only) return py::dict("count"_a = result.cnt, "approx"_a = result.approx);
    return py::dict("cnt"_a = result.cnt, "approx"_a = result.approx,
                    "ptrs_by_shard"_a = result.ptrs_by_shard);
  }

  py::object search_docs_cnf(py::handle cnf, py::handle maxnum, py::handle max_disp_len,
                             py::handle max_clause_freq, py::handle max_diff_tokens) const {
    std::uint64_t num = 0, disp = 0;
    ngram::CnfOptions options;
    if (!parameter(maxnum, maxnum_, num)) return error_dict("maxnum must be a positive integer");
    if (!parameter(max_disp_len, max_disp_len_, disp))
      return error_dict("max_disp_len must be a positive integer");
    ngram::Cnf query;
    if (auto error = cnf_request(cnf, max_clause_freq, max_diff_tokens, query, options)) return *error;
    ngram::SearchDocsResult result;
    {
      py::gil_scoped_release release;
      result = engine().search_docs_cnf(query, options, num, disp);
    }
    return search_dict(result);
  }

  // get_doc_by_rank / _by_ptr / _by_ix and their batched forms (get_docs_by_ranks, ...): one request is
  // (s, rank), (s, ptr) or (doc_ix).
  enum DocKey { by_rank, by_ptr, by_ix };

  py::object get_doc(DocKey key, py::handle first, py::handle second, py::handle max_disp_len) const {
    std::uint64_t disp = 0;
    if (!parameter(max_disp_len, max_disp_len_, disp))
      return error_dict("max_disp_len must be a positive integer");
    DocRequest request;
    if (auto error = check_doc_request(key, first, second, request)) return *error;
    ngram::DocResult doc;
    {
      py::gil_scoped_release release;
      doc = fetch(key, request, disp);
    }
    return doc_dict(doc);
  }

  py::object get_docs(DocKey key, py::handle requests, py::handle max_disp_len) const {
    std::uint64_t disp = 0;
    if (!parameter(max_disp_len, max_disp_len_, disp))
      return error_dict("max_disp_len must be a positive integer");
    if (!PyList_Check(requests.ptr()) && !PyTuple_Check(requests.ptr()))
      throw py::type_error(
          fmt::format("expected a list of requests, got {}", Py_TYPE(requests.ptr())->tp_name));
    std::vector<DocRequest> batch;
    for (py::handle item : py::reinterpret_borrow<py::sequence>(requests)) {
      DocRequest request;
      std::optional<py::dict> error;
      if (key == by_ix) {
        error = check_doc_request(key, item, py::none(), request);
      } else {
        if (!PyList_Check(item.ptr()) && !PyTuple_Check(item.ptr()))
          throw py::type_error(fmt::format("expected ({}) pairs, got {}",
                                           key == by_rank ? "s, rank" : "s, ptr",
                                           Py_TYPE(item.ptr())->tp_name));
        const auto pair = py::reinterpret_borrow<py::sequence>(item);
        if (pair.size() != 2)
          throw py::value_error(fmt::format("expected ({}) pairs, got {} items",
                                            key == by_rank ? "s, rank" : "s, ptr", pair.size()));
        error = check_doc_request(key, pair[0], pair[1], request);
      }
      if (error) return *error;
      batch.push_back(request);
    }
    std::vector<ngram::DocResult> docs(batch.size());
    {
      py::gil_scoped_release release;
      for (std::size_t i = 0; i < batch.size(); ++i) docs[i] = fetch(key, batch[i], disp);
    }
    return docs_list(docs);
  }

  std::uint64_t total_doc_cnt() const { return engine().doc_count(); }
  static constexpr int count_only = 1;

 private:
  struct DocRequest {
    std::uint64_t s = 0, at = 0;
  };

  // Infini-gram's own checks, in its order, with its messages.
  std::optional<py::dict> check_doc_request(DocKey key, py::handle first, py::handle second,
                                            DocRequest& request) const {
    if (key == by_ix) {
      const std::uint64_t total = engine().doc_count();
      if (total == 0 || !is_int_in(first, 0, total - 1, request.at))
        return error_dict(fmt::format("doc_ix must be an integer in range [0, {})", total));
      return std::nullopt;
    }
    const std::uint64_t shards = engine().shard_count();
    if (!is_int_in(first, 0, shards - 1, request.s))
      return error_dict(fmt::format("s must be an integer in range [0, {})", shards));
    const std::uint64_t tok_cnt = engine().token_count(request.s);
    if (key == by_rank) {
      if (tok_cnt == 0 || !is_int_in(second, 0, tok_cnt - 1, request.at))
        return error_dict(fmt::format("rank must be an integer in range [0, {})", tok_cnt));
      return std::nullopt;
    }
    const std::uint64_t width = engine().token_width(), ds_size = tok_cnt * width;
    if (ds_size == 0 || !is_int_in(second, 0, ds_size - 1, request.at) || request.at % width != 0)
      return error_dict(width == 2
                            ? fmt::format("ptr must be an even integer in range [0, {})", ds_size)
                            : fmt::format("ptr must be a multiple of {} in range [0, {})", width, ds_size));
    return std::nullopt;
  }

  ngram::DocResult fetch(DocKey key, const DocRequest& r, std::uint64_t disp) const {
    switch (key) {
      case by_rank:
        return engine().get_doc_by_rank(r.s, r.at, disp);
      case by_ptr:
        return engine().get_doc_by_ptr(r.s, r.at, disp);
      default:
        return engine().get_doc_by_ix(r.at, disp);
    }
  }

  py::dict search_dict(const ngram::SearchDocsResult& result) const {
    return py::dict("cnt"_a = result.cnt, "approx"_a = result.approx, "idxs"_a = result.idxs,
                    "documents"_a = docs_list(result.docs));
  }

  py::dict ids_error(const char* name, const char* non_empty) const {
    return error_dict(
        fmt::format("{} must be a {}list of integers in range [0, {}]", name, non_empty, token_id_max_));
  }

  // A method's optional parameter: None gives the engine's default; else Infini-gram's positive int.
  static bool parameter(py::handle value, std::uint64_t fallback, std::uint64_t& out) {
    if (value.is_none()) {
      out = fallback;
      return true;
    }
    return is_int_in(value, 1, UINT64_MAX, out);
  }

  // A constructor argument: an int of at least `least` (TypeError / ValueError naming it).
  static std::uint64_t require_int(py::handle value, const char* name, std::uint64_t least) {
    if (!PyLong_Check(value.ptr()) || PyBool_Check(value.ptr()))
      throw py::type_error(fmt::format("{}: expected an int, got {}", name, Py_TYPE(value.ptr())->tp_name));
    std::uint64_t v = 0;
    if (!is_int_in(py::int_(py::reinterpret_borrow<py::object>(value)), least, UINT64_MAX, v))
      throw py::value_error(
          fmt::format("{} = {}: must be at least {}", name, py::str(value).cast<std::string>(), least));
    return v;
  }

  static bool require_bool(py::handle value, const char* name) {
    if (!PyBool_Check(value.ptr()))
      throw py::type_error(
          fmt::format("{}: expected True or False, got {}", name, Py_TYPE(value.ptr())->tp_name));
    return value.ptr() == Py_True;
  }

  std::shared_ptr<const api::Index> index_;
  std::uint32_t token_id_max_ = 0;  // the largest id a query may hold: the separator's is not one
  std::uint64_t max_support_ = 0, max_clause_freq_ = 0, max_diff_tokens_ = 0, maxnum_ = 0, max_disp_len_ = 0;
};

}  // namespace

void bind_infinigram_engine(py::module_& m) {
  using E = InfiniGramEngine;
  const auto none = py::none();
  py::class_<E>(
      m, "InfiniGramEngine",
      "Infini-gram's InfiniGramEngine (infini_gram.engine) over an lmkit or Infini-gram index: the same "
      "arguments, methods and returned dicts (docs/python.md).")
      .def(py::init<py::object, py::object, py::object, py::object, py::object, py::object, py::object,
                    py::object, py::object, py::object, py::object, py::object, py::object, py::object,
                    py::object, py::object>(),
           "index_dir"_a, "eos_token_id"_a, "vocab_size"_a = 65535, "version"_a = 4, "token_dtype"_a = "u16",
           "load_to_ram"_a = false, "ds_prefetch_depth"_a = 1, "sa_prefetch_depth"_a = 3,
           "od_prefetch_depth"_a = 3, "bow_ids_path"_a = none, "precompute_unigram_logprobs"_a = false,
           "max_support"_a = 1000, "max_clause_freq"_a = 50000, "max_diff_tokens"_a = 100, "maxnum"_a = 1,
           "max_disp_len"_a = 1000)
      .def("find", &E::find, "input_ids"_a)
      .def("count", &E::count, "input_ids"_a)
      .def(
          "prob", [](const E& e, py::handle p, py::handle c) { return e.prob(p, c, false); }, "prompt_ids"_a,
          "cont_id"_a)
      .def(
          "ntd", [](const E& e, py::handle p, py::handle s) { return e.ntd(p, s, false); }, "prompt_ids"_a,
          "max_support"_a = none)
      .def(
          "infgram_prob", [](const E& e, py::handle p, py::handle c) { return e.prob(p, c, true); },
          "prompt_ids"_a, "cont_id"_a)
      .def(
          "infgram_ntd", [](const E& e, py::handle p, py::handle s) { return e.ntd(p, s, true); },
          "prompt_ids"_a, "max_support"_a = none)
      .def("search_docs", &E::search_docs, "input_ids"_a, "maxnum"_a = none, "max_disp_len"_a = none)
      .def(
          "find_cnf",
          [](const E& e, py::handle c, py::handle f, py::handle d) { return e.find_cnf(c, f, d, 0); },
          "cnf"_a, "max_clause_freq"_a = none, "max_diff_tokens"_a = none)
      .def(
          "count_cnf",
          [](const E& e, py::handle c, py::handle f, py::handle d) {
            return e.find_cnf(c, f, d, E::count_only);
          },
          "cnf"_a, "max_clause_freq"_a = none, "max_diff_tokens"_a = none)
      .def("search_docs_cnf", &E::search_docs_cnf, "cnf"_a, "maxnum"_a = none, "max_disp_len"_a = none,
           "max_clause_freq"_a = none, "max_diff_tokens"_a = none)
      .def(
          "get_doc_by_rank",
          [](const E& e, py::handle s, py::handle rank, py::handle disp) {
            return e.get_doc(E::by_rank, s, rank, disp);
          },
          "s"_a, "rank"_a, "max_disp_len"_a = none)
      .def(
          "get_doc_by_ptr",
          [](const E& e, py::handle s, py::handle ptr, py::handle disp) {
            return e.get_doc(E::by_ptr, s, ptr, disp);
          },
          "s"_a, "ptr"_a, "max_disp_len"_a = none)
      .def(
          "get_doc_by_ix",
          [](const E& e, py::handle ix, py::handle disp) {
            return e.get_doc(E::by_ix, ix, py::none(), disp);
          },
          "doc_ix"_a, "max_disp_len"_a = none)
      .def(
          "get_docs_by_ranks",
          [](const E& e, py::handle r, py::handle disp) { return e.get_docs(E::by_rank, r, disp); },
          "list_of_s_and_rank"_a, "max_disp_len"_a = none)
      .def(
          "get_docs_by_ptrs",
          [](const E& e, py::handle r, py::handle disp) { return e.get_docs(E::by_ptr, r, disp); },
          "list_of_s_and_ptr"_a, "max_disp_len"_a = none)
      .def(
          "get_docs_by_ixs",
          [](const E& e, py::handle r, py::handle disp) { return e.get_docs(E::by_ix, r, disp); },
          "list_of_doc_ix"_a, "max_disp_len"_a = none)
      .def("get_total_doc_cnt", &E::total_doc_cnt);
}

}  // namespace lmkit::python
