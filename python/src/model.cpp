// lmkit.Model (api::Model: a GPT-2-layout directory; generate, stream, score) and lmkit.evaluate
// (api::evaluate). Every call that computes releases the GIL; one Model serves many Python threads at
// once (api::Model gives every call its own inference context).
//
// Streaming: a worker thread runs api::Model::generate, whose per-token callback puts each piece of
// text on a queue under a mutex and never touches Python; the iterator takes pieces off the queue,
// waiting with the GIL released. No Python code runs on the worker, so an exception in the consumer
// cannot reach it; a dropped or closed iterator sets a flag the callback sees at the next token, which
// ends generation there, and the iterator joins the worker before it goes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "lmkit/api/evaluation.hpp"
#include "lmkit/api/model.hpp"

namespace lmkit::python {

namespace {

using namespace pybind11::literals;

// Generated text may hold bytes that are not UTF-8 (a byte-level model can emit any byte): they become
// U+FFFD here; the token ids are exact.
py::str text_of(std::string_view text) {
  PyObject* s = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

std::size_t count_argument(long long value, const char* what) {
  if (value < 0) throw py::value_error(fmt::format("{} = {}: must be at least 0", what, value));
  return static_cast<std::size_t>(value);
}

// A prompt: str, or token ids (a list / tuple of ints, a 1-D integer array). Several: a list of those.
// Returns whether `prompt` was a list of prompts.
bool set_prompts(py::handle prompt, api::GenerateRequest& request) {
  if (py::isinstance<py::str>(prompt)) {
    request.prompts.push_back(prompt.cast<std::string>());
    return false;
  }
  const bool sequence = PyList_Check(prompt.ptr()) || PyTuple_Check(prompt.ptr());
  const auto items = sequence ? py::reinterpret_borrow<py::sequence>(prompt) : py::sequence();
  if (!sequence || (items.size() > 0 && PyLong_Check(py::handle(items[0]).ptr()))) {
    request.prompt_ids.push_back(ids_argument(prompt, UINT32_MAX, "prompt"));
    return false;
  }
  const bool texts = items.size() > 0 && py::isinstance<py::str>(items[0]);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto what = fmt::format("prompt[{}]", i);
    if (texts != py::isinstance<py::str>(items[i]))
      throw py::type_error(fmt::format("{}: expected {} as prompt[0] is, got {}", what,
                                       texts ? "a str" : "token ids", Py_TYPE(items[i].ptr())->tp_name));
    if (texts) {
      request.prompts.push_back(items[i].cast<std::string>());
    } else {
      request.prompt_ids.push_back(ids_argument(items[i], UINT32_MAX, what));
    }
  }
  return true;
}

std::vector<std::string> stop_argument(py::handle stop) {
  if (stop.is_none()) return {};
  if (py::isinstance<py::str>(stop)) return {stop.cast<std::string>()};
  if (!PyList_Check(stop.ptr()) && !PyTuple_Check(stop.ptr()))
    throw py::type_error(
        fmt::format("stop: expected a str or a list of str, got {}", Py_TYPE(stop.ptr())->tp_name));
  std::vector<std::string> out;
  const auto items = py::reinterpret_borrow<py::sequence>(stop);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!py::isinstance<py::str>(items[i]))
      throw py::type_error(
          fmt::format("stop[{}]: expected a str, got {}", i, Py_TYPE(items[i].ptr())->tp_name));
    out.push_back(items[i].cast<std::string>());
  }
  return out;
}

// The GPT + ∞-gram mixture of `lmkit generate --index`: an lmkit.Index with both λ (lmkit.evaluate
// tunes them), or none.
std::optional<api::Mixture> mixture_argument(py::handle index, std::optional<double> lambda_sparse,
                                             std::optional<double> lambda_dense, std::uint64_t max_support) {
  if (index.is_none()) {
    if (lambda_sparse || lambda_dense)
      throw py::value_error("lambda_sparse and lambda_dense weigh the ∞-gram of an index; give index too");
    return std::nullopt;
  }
  if (!lambda_sparse || !lambda_dense)
    throw py::value_error(
        "index: needs lambda_sparse and lambda_dense (lmkit.evaluate tunes and reports them)");
  api::Mixture mixture{index_argument(index, "index"), *lambda_sparse, *lambda_dense, max_support};
  api::validate(mixture);
  return mixture;
}

struct GenerateCall {
  api::GenerateRequest request;
  bool batch = false;
};

GenerateCall generate_call(py::handle prompt, long long max_new_tokens, float temperature, long long top_k,
                           float top_p, std::uint64_t seed, py::handle stop, bool stop_at_eos,
                           py::handle index, std::optional<double> lambda_sparse,
                           std::optional<double> lambda_dense, std::uint64_t max_support) {
  GenerateCall call;
  call.batch = set_prompts(prompt, call.request);
  call.request.max_new_tokens = count_argument(max_new_tokens, "max_new_tokens");
  call.request.sampling = {temperature, count_argument(top_k, "top_k"), top_p, seed};
  call.request.stop = stop_argument(stop);
  call.request.stop_at_eos = stop_at_eos;
  call.request.mixture = mixture_argument(index, lambda_sparse, lambda_dense, max_support);
  api::validate(call.request);  // InvalidArgument (lmkit.UsageError, a ValueError) naming the field
  return call;
}

// The iterator stream() returns: the text each token adds, as it is chosen.
class TokenStream {
 public:
  TokenStream(std::shared_ptr<const api::Model> model, api::GenerateRequest request) {
    worker_ =
        std::thread([this, model = std::move(model), request = std::move(request)] { run(*model, request); });
  }
  TokenStream(const TokenStream&) = delete;
  TokenStream& operator=(const TokenStream&) = delete;
  // NOLINTNEXTLINE(bugprone-exception-escape): a mutex or join fails only in a broken thread library
  ~TokenStream() {
    // Called with the GIL held (pybind11 deallocation); the worker needs none, but waiting for it with
    // the GIL held would stall every other Python thread for up to one token's compute.
    if (PyGILState_Check()) {
      py::gil_scoped_release release;
      stop();
    } else {
      stop();
    }
  }

  py::str next() {
    for (;;) {
      std::optional<std::string> piece;
      bool finished = false;
      {
        py::gil_scoped_release release;
        std::unique_lock lock(mutex_);
        ready_.wait_for(lock, std::chrono::milliseconds(100), [&] { return !pieces_.empty() || done_; });
        if (!pieces_.empty()) {
          piece = std::move(pieces_.front());
          pieces_.pop_front();
        } else {
          finished = done_;
        }
      }
      if (piece) return text_of(*piece);
      if (finished) {
        {
          py::gil_scoped_release release;
          if (worker_.joinable()) worker_.join();
        }
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
        throw py::stop_iteration();
      }
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // Ctrl-C while waiting
    }
  }

  // Ends generation at the next token; the iterator then yields nothing more.
  void close() {
    py::gil_scoped_release release;
    stop();
    std::lock_guard lock(mutex_);
    pieces_.clear();
  }

  // The whole continuation (ids, text, finish_reason) once the iterator is exhausted; else None.
  std::optional<api::Completion> completion() const {
    std::lock_guard lock(mutex_);
    return completion_;
  }

 private:
  struct Cancelled {};

  void run(const api::Model& model, const api::GenerateRequest& request) {
    std::exception_ptr error;
    std::optional<api::Completion> completion;
    try {
      auto out = model.generate(request, [this](std::size_t, std::uint32_t, std::string_view text) {
        std::lock_guard lock(mutex_);
        if (cancelled_) throw Cancelled{};
        if (text.empty()) return;
        pieces_.emplace_back(text);
        ready_.notify_one();
      });
      completion = std::move(out.front());
    } catch (const Cancelled&) {
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    error_ = error;
    completion_ = std::move(completion);
    done_ = true;
    ready_.notify_one();
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    if (worker_.joinable()) worker_.join();
  }

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> pieces_;  // texts not yet taken by the iterator
  bool cancelled_ = false, done_ = false;
  std::exception_ptr error_;  // what generate threw, raised by next()
  std::optional<api::Completion> completion_;
  std::thread worker_;  // last: started once the rest is constructed
};

class Model {
 public:
  explicit Model(std::shared_ptr<const api::Model> model) : model_(std::move(model)) {}

  static Model from_pretrained(py::handle dir, const std::string& tokenizer) {
    const auto path = path_argument(dir, "dir");
    py::gil_scoped_release release;
    return Model(api::Model::load(path, tokenizer));
  }

  py::object generate(const GenerateCall& call) const {
    std::vector<api::Completion> out;
    {
      py::gil_scoped_release release;
      out = model_->generate(call.request);
    }
    if (!call.batch) return py::cast(std::move(out.front()));
    return py::cast(std::move(out));
  }

  std::unique_ptr<TokenStream> stream(GenerateCall call) const {
    if (call.batch)
      throw py::type_error("prompt: stream() takes one prompt (a str or token ids), not a list");
    return std::make_unique<TokenStream>(model_, std::move(call.request));
  }

  // ln P(token i | tokens before it): a float64 array, NaN for a first token with no context.
  py::array_t<double> score(py::handle tokens, bool from_eos, py::handle index,
                            std::optional<double> lambda_sparse, std::optional<double> lambda_dense,
                            std::uint64_t max_support) const {
    api::ScoreRequest request;
    if (py::isinstance<py::str>(tokens)) {
      request.text = tokens.cast<std::string>();
    } else {
      request.ids = ids_argument(tokens, UINT32_MAX, "tokens");
    }
    request.from_eos = from_eos;
    request.mixture = mixture_argument(index, lambda_sparse, lambda_dense, max_support);
    api::ScoredText scored;
    {
      py::gil_scoped_release release;
      scored = model_->score(request);
    }
    py::array_t<double> out(static_cast<py::ssize_t>(scored.logprobs.size()));
    std::copy(scored.logprobs.begin(), scored.logprobs.end(), out.mutable_data());
    return out;
  }

  const api::Model& api() const { return *model_; }
  const std::shared_ptr<const api::Model>& shared() const { return model_; }

 private:
  std::shared_ptr<const api::Model> model_;
};

std::vector<std::string> paths_or_empty(py::handle value, const char* what) {
  return value.is_none() ? std::vector<std::string>{} : paths_argument(value, what);
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<api::Completion>(m, "Completion", "One prompt's continuation (api::Completion).")
      .def_readonly("prompt_ids", &api::Completion::prompt_ids)
      .def_readonly("ids", &api::Completion::ids, "The continuation's token ids (up to a stop token).")
      .def_property_readonly(
          "text", [](const api::Completion& c) { return text_of(c.text); },
          "Its text (cut before a stop string; bytes that are not UTF-8 as U+FFFD).")
      .def_readonly("finish_reason", &api::Completion::finish_reason, "'stop', 'length' or 'context'.")
      .def("__str__", [](const api::Completion& c) { return text_of(c.text); })
      .def("__repr__", [](const api::Completion& c) {
        return py::str("Completion(text={!r}, finish_reason={!r}, ids={})")
            .format(text_of(c.text), c.finish_reason, c.ids.size());
      });

  py::class_<TokenStream>(m, "TokenStream",
                          "The iterator Model.stream returns: the text each token adds, as it is chosen.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &TokenStream::next)
      .def("close", &TokenStream::close, "Ends generation at the next token.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](TokenStream& s, const py::args&) { s.close(); })
      .def_property_readonly("completion", &TokenStream::completion,
                             "The Completion once the iterator is exhausted, else None.");

  const char* generate_doc =
      "Continues a prompt (str or token ids) or a list of prompts: a Completion, or a list of them. "
      "Prompt i samples with seed + i; with an index and both λ, from the GPT + ∞-gram mixture.";
  py::class_<Model>(m, "Model", "A GPT-like model directory, GPT-2 layout (api::Model).")
      .def_static("from_pretrained", &Model::from_pretrained, "dir"_a, "tokenizer"_a = "",
                  "Loads config.json + model.safetensors; `tokenizer` overrides the directory's.")
      .def(
          "generate",
          [](const Model& self, py::handle prompt, long long max_new_tokens, float temperature,
             long long top_k, float top_p, std::uint64_t seed, py::handle stop, bool stop_at_eos,
             py::handle index, std::optional<double> lambda_sparse, std::optional<double> lambda_dense,
             std::uint64_t max_support) {
            return self.generate(generate_call(prompt, max_new_tokens, temperature, top_k, top_p, seed, stop,
                                               stop_at_eos, index, lambda_sparse, lambda_dense, max_support));
          },
          "prompt"_a, "max_new_tokens"_a = 64, "temperature"_a = 1.0f, "top_k"_a = 0, "top_p"_a = 1.0f,
          "seed"_a = 0, "stop"_a = py::none(), "stop_at_eos"_a = true, "index"_a = py::none(),
          "lambda_sparse"_a = py::none(), "lambda_dense"_a = py::none(), "max_support"_a = 1000, generate_doc)
      .def(
          "stream",
          [](const Model& self, py::handle prompt, long long max_new_tokens, float temperature,
             long long top_k, float top_p, std::uint64_t seed, py::handle stop, bool stop_at_eos,
             py::handle index, std::optional<double> lambda_sparse, std::optional<double> lambda_dense,
             std::uint64_t max_support) {
            return self.stream(generate_call(prompt, max_new_tokens, temperature, top_k, top_p, seed, stop,
                                             stop_at_eos, index, lambda_sparse, lambda_dense, max_support));
          },
          "prompt"_a, "max_new_tokens"_a = 64, "temperature"_a = 1.0f, "top_k"_a = 0, "top_p"_a = 1.0f,
          "seed"_a = 0, "stop"_a = py::none(), "stop_at_eos"_a = true, "index"_a = py::none(),
          "lambda_sparse"_a = py::none(), "lambda_dense"_a = py::none(), "max_support"_a = 1000,
          "generate() for one prompt as an iterator of the text each token adds (its Completion after).")
      .def("score", &Model::score, "tokens"_a, "from_eos"_a = true, "index"_a = py::none(),
           "lambda_sparse"_a = py::none(), "lambda_dense"_a = py::none(), "max_support"_a = 1000,
           "ln P(token i | tokens before it) of a text or token ids: a float64 array (NaN where no context).")
      .def(
          "tokenize",
          [](const Model& self, const std::string& text) {
            py::gil_scoped_release release;
            return self.api().tokenize(text);
          },
          "text"_a)
      .def(
          "detokenize",
          [](const Model& self, py::handle ids) {
            const auto tokens = ids_argument(ids, UINT32_MAX, "ids");
            std::string text;
            {
              py::gil_scoped_release release;
              text = self.api().detokenize(tokens);
            }
            return text_of(text);
          },
          "ids"_a)
      .def_property_readonly("dir", [](const Model& s) { return s.api().dir(); })
      .def_property_readonly("tokenizer_spec", [](const Model& s) { return s.api().tokenizer_spec(); })
      .def_property_readonly("vocab_size", [](const Model& s) { return s.api().vocab_size(); })
      .def_property_readonly("context_length", [](const Model& s) { return s.api().context_length(); })
      .def_property_readonly("eos_token_id",
                             [](const Model& s) { return s.api().tokenizer().specials().eos; });

  m.def(
      "evaluate",
      [](py::handle data, py::handle validation, py::handle model, py::handle index,
         const std::string& tokenizer, int order, bool ngram, std::uint64_t max_support, long long max_docs) {
        api::EvaluationRequest request;
        request.data = paths_argument(data, "data");
        request.validation = paths_or_empty(validation, "validation");
        if (py::isinstance<Model>(model)) {
          request.model = model.cast<const Model&>().shared();
        } else if (!model.is_none()) {
          request.model_dir = path_argument(model, "model");
        }
        if (py::isinstance<py::str>(index) || py::hasattr(index, "__fspath__")) {
          request.index_dir = path_argument(index, "index");
        } else if (!index.is_none()) {
          request.index = index_argument(index, "index");
        }
        request.tokenizer = tokenizer;
        request.order = order;
        request.ngram = ngram;
        request.max_support = max_support;
        request.max_docs = count_argument(max_docs, "max_docs");
        api::validate(request);
        std::string report;
        {
          py::gil_scoped_release release;
          report = api::evaluate(request).to_json().dump();
        }
        return py::module_::import("json").attr("loads")(report);
      },
      "data"_a, "validation"_a = py::none(), "model"_a = py::none(), "index"_a = py::none(),
      "tokenizer"_a = "", "order"_a = 5, "ngram"_a = true, "max_support"_a = 1000, "max_docs"_a = 0,
      "Evaluates the n-gram LMs, the ∞-gram, the GPT and the hybrid on a corpus (api::evaluate): the report "
      "`lmkit eval --json` prints, as a dict.");
}

}  // namespace lmkit::python
