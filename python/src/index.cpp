// lmkit's own Pythonic layer: lmkit.Index (api::Index: open one or several directories, count / ntd /
// score taking text or ids, batches, the JSON service, building) and lmkit.Tokenizer (text/tokenizer.hpp).
// Long calls release the GIL; results that are arrays come back as numpy arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "lmkit/api/index.hpp"
#include "lmkit/text/tokenizer.hpp"

namespace lmkit::python {

namespace {

using namespace pybind11::literals;

class Index {
 public:
  Index(py::handle index_dir, const std::string& tokenizer, std::optional<std::uint32_t> eos_token_id) {
    api::IndexOptions options;
    options.dirs = paths_argument(index_dir, "index_dir");
    options.tokenizer = tokenizer;
    options.eos_token_id = eos_token_id;
    py::gil_scoped_release release;
    index_ = api::Index::open(options);
  }

  // A query: text (tokenized with the index's tokenizer) or token ids.
  std::vector<std::uint32_t> query(py::handle value, const char* what) const {
    if (py::isinstance<py::str>(value)) {
      const auto text = value.cast<std::string>();
      py::gil_scoped_release release;
      return index_->tokenize(text);
    }
    return ids_argument(value, index_->engine().separator_id() - 1, what);
  }

  std::uint64_t count(py::handle q) const {
    const auto ids = query(q, "query");
    py::gil_scoped_release release;
    return index_->count(ids);
  }

  // Counts of many queries in one call (one GIL release): a numpy uint64 array.
  py::array_t<std::uint64_t> count_batch(py::handle queries) const {
    if (!PyList_Check(queries.ptr()) && !PyTuple_Check(queries.ptr()))
      throw py::type_error(
          fmt::format("queries: expected a list of queries, got {}", Py_TYPE(queries.ptr())->tp_name));
    const auto seq = py::reinterpret_borrow<py::sequence>(queries);
    std::vector<std::vector<std::uint32_t>> batch;
    batch.reserve(seq.size());
    for (std::size_t i = 0; i < seq.size(); ++i)
      batch.push_back(query(seq[i], fmt::format("queries[{}]", i).c_str()));
    py::array_t<std::uint64_t> out(static_cast<py::ssize_t>(batch.size()));
    std::uint64_t* counts = out.mutable_data();
    {
      py::gil_scoped_release release;
      for (std::size_t i = 0; i < batch.size(); ++i) counts[i] = index_->count(batch[i]);
    }
    return out;
  }

  py::dict ntd(py::handle prompt, std::uint64_t max_support, bool exact) const {
    const auto ids = query(prompt, "prompt");
    ngram::NtdResult result;
    {
      py::gil_scoped_release release;
      result = index_->engine().ntd(ids, max_support, exact);
    }
    py::dict by_id;
    for (const auto& [id, entry] : result.result_by_token_id)
      by_id[py::int_(id)] = py::dict("cont_cnt"_a = entry.cont_cnt, "prob"_a = entry.prob);
    return py::dict("prompt_cnt"_a = result.prompt_cnt, "result_by_token_id"_a = by_id,
                    "approx"_a = result.approx);
  }

  // P∞ of every token given all tokens before it (api::Index::score): numpy arrays of one entry per token.
  py::dict score(py::handle tokens) const {
    const auto ids = query(tokens, "tokens");
    std::vector<ngram::TokenScore> scores;
    {
      py::gil_scoped_release release;
      scores = index_->score(ids);
    }
    const auto n = static_cast<py::ssize_t>(scores.size());
    py::array_t<double> prob(n);
    py::array_t<std::uint64_t> suffix_len(n), prompt_cnt(n), cont_cnt(n);
    for (py::ssize_t i = 0; i < n; ++i) {
      const auto& s = scores[static_cast<std::size_t>(i)];
      prob.mutable_at(i) = s.prob;
      suffix_len.mutable_at(i) = s.suffix_len;
      prompt_cnt.mutable_at(i) = s.prompt_cnt;
      cont_cnt.mutable_at(i) = s.cont_cnt;
    }
    return py::dict("prob"_a = prob, "suffix_len"_a = suffix_len, "prompt_cnt"_a = prompt_cnt,
                    "cont_cnt"_a = cont_cnt, "token_ids"_a = ids);
  }

  // The JSON service (docs/query-api.md): a request dict → the response dict; a bad request raises
  // lmkit.Error naming the problem.
  py::object query_json(py::handle request) const {
    py::module_ json = py::module_::import("json");
    const auto text = json.attr("dumps")(request).cast<std::string>();
    std::string reply;
    {
      py::gil_scoped_release release;
      reply = index_->query(Json::parse(text)).dump();
    }
    return json.attr("loads")(reply);
  }

  std::vector<std::uint32_t> tokenize(const std::string& text) const {
    py::gil_scoped_release release;
    return index_->tokenize(text);
  }

  const api::Index& api() const { return *index_; }
  const std::shared_ptr<const api::Index>& shared() const { return index_; }

 private:
  std::shared_ptr<const api::Index> index_;
};

api::BuildIndexOptions build_options(py::handle out, const std::string& tokenizer, std::uint32_t vocab_size,
                                     std::optional<std::uint32_t> eos_token_id,
                                     std::uint64_t max_shard_tokens, int token_width, bool metadata) {
  api::BuildIndexOptions options;
  options.out = path_argument(out, "out");
  options.tokenizer = tokenizer;
  options.vocab_size = vocab_size;
  options.eos_token_id = eos_token_id;
  options.max_shard_tokens = max_shard_tokens;
  options.token_width = token_width;
  options.metadata = metadata;
  return options;
}

py::dict summary(const api::BuildIndexResult& result) {
  return py::module_::import("json").attr("loads")(result.to_json().dump());
}

class Tokenizer {
 public:
  explicit Tokenizer(const std::string& spec) {
    py::gil_scoped_release release;
    tokenizer_ = text::load_tokenizer(spec);
  }
  std::vector<std::uint32_t> encode(const std::string& text) const {
    py::gil_scoped_release release;
    return tokenizer_->encode(text);
  }
  std::vector<std::vector<std::uint32_t>> encode_batch(const std::vector<std::string>& texts) const {
    py::gil_scoped_release release;
    std::vector<std::vector<std::uint32_t>> out;
    out.reserve(texts.size());
    for (const auto& t : texts) out.push_back(tokenizer_->encode(t));
    return out;
  }
  std::string decode(py::handle ids) const {
    const auto tokens = ids_argument(ids, UINT32_MAX, "ids");
    py::gil_scoped_release release;
    return tokenizer_->decode(tokens);
  }
  const text::Tokenizer& get() const { return *tokenizer_; }

 private:
  std::unique_ptr<text::Tokenizer> tokenizer_;
};

}  // namespace

std::shared_ptr<const api::Index> index_argument(py::handle value, const std::string& what) {
  if (!py::isinstance<Index>(value))
    throw py::type_error(
        fmt::format("{}: expected an lmkit.Index, got {}", what, Py_TYPE(value.ptr())->tp_name));
  return value.cast<const Index&>().shared();
}

void bind_index(py::module_& m) {
  py::class_<Index>(
      m, "Index",
      "An ∞-gram index: one or several index directories opened as one (api::Index). Queries take "
      "text or token ids.")
      .def(py::init<py::handle, const std::string&, std::optional<std::uint32_t>>(), "index_dir"_a,
           "tokenizer"_a = "", "eos_token_id"_a = py::none())
      .def("count", &Index::count, "query"_a, "Occurrences of the query (text or ids).")
      .def("count_batch", &Index::count_batch, "queries"_a, "Counts of many queries: a numpy uint64 array.")
      .def("ntd", &Index::ntd, "prompt"_a, "max_support"_a = 1000, "exact"_a = false,
           "The next-token distribution after the prompt.")
      .def("score", &Index::score, "tokens"_a,
           "P∞ of every token given the tokens before it: numpy arrays prob, suffix_len, prompt_cnt, "
           "cont_cnt.")
      .def("query", &Index::query_json, "request"_a, "Answers one JSON-service request (docs/query-api.md).")
      .def("tokenize", &Index::tokenize, "text"_a)
      .def_property_readonly("token_count", [](const Index& i) { return i.api().token_count(); })
      .def_property_readonly("document_count", [](const Index& i) { return i.api().document_count(); })
      .def_property_readonly("vocab_size", [](const Index& i) { return i.api().vocab_size(); })
      .def_property_readonly("token_width", [](const Index& i) { return i.api().engine().token_width(); })
      .def_property_readonly("shard_count", [](const Index& i) { return i.api().engine().shard_count(); })
      .def_property_readonly("eos_token_id", [](const Index& i) { return i.api().engine().eos_id(); })
      .def_property_readonly("tokenizer_spec", [](const Index& i) { return i.api().tokenizer_spec(); })
      .def_static(
          "build_from_texts",
          [](py::handle out, const std::vector<std::string>& texts, const std::string& tokenizer,
             std::uint64_t max_shard_tokens, int token_width, bool metadata) {
            const auto options =
                build_options(out, tokenizer, 0, std::nullopt, max_shard_tokens, token_width, metadata);
            api::BuildIndexResult result;
            {
              py::gil_scoped_release release;
              result = api::build_index_from_texts(texts, options);
            }
            return summary(result);
          },
          "out"_a, "texts"_a, "tokenizer"_a, "max_shard_tokens"_a = 0, "token_width"_a = 0,
          "metadata"_a = true,
          "Builds an index of the texts in directory `out` (which must not exist); returns the build "
          "summary.")
      .def_static(
          "build_from_ids",
          [](py::handle out, py::handle documents, const std::string& tokenizer, std::uint32_t vocab_size,
             std::optional<std::uint32_t> eos_token_id, std::uint64_t max_shard_tokens, int token_width,
             bool metadata) {
            const auto options = build_options(out, tokenizer, vocab_size, eos_token_id, max_shard_tokens,
                                               token_width, metadata);
            if (!PyList_Check(documents.ptr()) && !PyTuple_Check(documents.ptr()))
              throw py::type_error("documents: expected a list of token id sequences");
            std::vector<std::vector<std::uint32_t>> docs;
            const auto seq = py::reinterpret_borrow<py::sequence>(documents);
            for (std::size_t i = 0; i < seq.size(); ++i)
              docs.push_back(ids_argument(seq[i], UINT32_MAX - 1, fmt::format("documents[{}]", i)));
            api::BuildIndexResult result;
            {
              py::gil_scoped_release release;
              result = api::build_index_from_ids(docs, options);
            }
            return summary(result);
          },
          "out"_a, "documents"_a, "tokenizer"_a = "", "vocab_size"_a = 0, "eos_token_id"_a = py::none(),
          "max_shard_tokens"_a = 0, "token_width"_a = 0, "metadata"_a = true,
          "Builds an index of token id documents in `out`; without a tokenizer, vocab_size bounds the ids.");

  py::class_<Tokenizer>(m, "Tokenizer",
                        "A tokenizer by spec: 'bytes', 'gpt2', a tokenizer.json, a directory, ...")
      .def(py::init<const std::string&>(), "spec"_a)
      .def("encode", &Tokenizer::encode, "text"_a)
      .def("encode_batch", &Tokenizer::encode_batch, "texts"_a)
      .def("decode", &Tokenizer::decode, "ids"_a)
      .def(
          "piece", [](const Tokenizer& t, std::uint32_t id) { return py::bytes(t.get().piece(id)); }, "id"_a)
      .def_property_readonly("vocab_size", [](const Tokenizer& t) { return t.get().vocab_size(); })
      .def_property_readonly("eos_token_id", [](const Tokenizer& t) { return t.get().specials().eos; })
      .def_property_readonly("spec", [](const Tokenizer& t) { return t.get().spec(); });
}

}  // namespace lmkit::python
