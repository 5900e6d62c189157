#include "convert.hpp"

#include <fmt/format.h>
#include <pybind11/numpy.h>

namespace lmkit::python {

namespace {

// The value of an exact int (not bool, not an int subclass), when it fits 64 bits and is not negative.
bool exact_uint(PyObject* value, std::uint64_t& out) {
  if (!PyLong_CheckExact(value)) return false;
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
  if (overflow != 0 || v < 0) {
    PyErr_Clear();
    return false;
  }
  out = static_cast<std::uint64_t>(v);
  return true;
}

}  // namespace

bool is_int_in(py::handle value, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
  return exact_uint(value.ptr(), out) && out >= lo && out <= hi;
}

bool is_id_list(py::handle value, std::uint32_t max_id, bool allow_empty, std::vector<std::uint32_t>& out) {
  PyObject* list = value.ptr();
  if (!PyList_CheckExact(list)) return false;
  const Py_ssize_t n = PyList_GET_SIZE(list);
  if (n == 0 && !allow_empty) return false;
  out.resize(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    std::uint64_t id = 0;
    if (!exact_uint(PyList_GET_ITEM(list, i), id) || id > max_id) return false;
    out[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(id);
  }
  return true;
}

bool is_cnf(py::handle value, std::uint32_t max_id,
            std::vector<std::vector<std::vector<std::uint32_t>>>& out) {
  PyObject* cnf = value.ptr();
  if (!PyList_CheckExact(cnf) || PyList_GET_SIZE(cnf) == 0) return false;
  out.assign(static_cast<std::size_t>(PyList_GET_SIZE(cnf)), {});
  for (Py_ssize_t c = 0; c < PyList_GET_SIZE(cnf); ++c) {
    PyObject* clause = PyList_GET_ITEM(cnf, c);
    if (!PyList_CheckExact(clause) || PyList_GET_SIZE(clause) == 0) return false;
    auto& terms = out[static_cast<std::size_t>(c)];
    terms.resize(static_cast<std::size_t>(PyList_GET_SIZE(clause)));
    for (Py_ssize_t t = 0; t < PyList_GET_SIZE(clause); ++t)
      if (!is_id_list(PyList_GET_ITEM(clause, t), max_id, false, terms[static_cast<std::size_t>(t)]))
        return false;
  }
  return true;
}

std::vector<std::uint32_t> ids_argument(py::handle value, std::uint32_t max_id, const std::string& what) {
  std::vector<std::uint32_t> ids;
  auto check = [&](long long id, std::size_t i) {
    if (id < 0 || static_cast<unsigned long long>(id) > max_id)
      throw py::value_error(
          fmt::format("{}[{}] = {}: not a token id of this index (expected 0 to {})", what, i, id, max_id));
    ids.push_back(static_cast<std::uint32_t>(id));
  };
  if (py::isinstance<py::array>(value)) {
    auto array = py::reinterpret_borrow<py::array>(value);
    const char kind = array.dtype().kind();
    if (kind != 'i' && kind != 'u')
      throw py::type_error(fmt::format("{}: expected integer token ids, got a numpy array of dtype {}", what,
                                       py::str(array.dtype()).cast<std::string>()));
    if (array.ndim() != 1)
      throw py::value_error(
          fmt::format("{}: expected a 1-D array of token ids, got {} dimensions", what, array.ndim()));
    auto as_int64 = py::array_t<long long, py::array::c_style | py::array::forcecast>::ensure(array);
    const auto view = as_int64.unchecked<1>();
    ids.reserve(static_cast<std::size_t>(view.shape(0)));
    for (py::ssize_t i = 0; i < view.shape(0); ++i) check(view(i), static_cast<std::size_t>(i));
    return ids;
  }
  if (!PyList_Check(value.ptr()) && !PyTuple_Check(value.ptr()))
    throw py::type_error(fmt::format("{}: expected a list of token ids (or a str to tokenize), got {}", what,
                                     Py_TYPE(value.ptr())->tp_name));
  // A list or a tuple: PySequence_Fast_GET_ITEM reads either without copying (borrowed references).
  const auto n = static_cast<std::size_t>(PySequence_Fast_GET_SIZE(value.ptr()));
  ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* item = PySequence_Fast_GET_ITEM(value.ptr(), static_cast<Py_ssize_t>(i));
    if (!PyLong_Check(item) || PyBool_Check(item))
      throw py::type_error(
          fmt::format("{}[{}]: expected an int token id, got {}", what, i, Py_TYPE(item)->tp_name));
    int overflow = 0;
    const long long id = PyLong_AsLongLongAndOverflow(item, &overflow);
    if (overflow != 0)
      throw py::value_error(fmt::format("{}[{}]: token id {} is out of range", what, i,
                                        py::str(py::handle(item)).cast<std::string>()));
    check(id, i);
  }
  return ids;
}

std::string path_argument(py::handle value, const std::string& what) {
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  if (py::hasattr(value, "__fspath__")) {
    py::object path = py::module_::import("os").attr("fspath")(value);
    if (py::isinstance<py::str>(path)) return path.cast<std::string>();
  }
  throw py::type_error(
      fmt::format("{}: expected a path (str or os.PathLike), got {}", what, Py_TYPE(value.ptr())->tp_name));
}

std::vector<std::string> paths_argument(py::handle value, const std::string& what) {
  if (!PyList_Check(value.ptr()) && !PyTuple_Check(value.ptr())) return {path_argument(value, what)};
  std::vector<std::string> paths;
  const auto seq = py::reinterpret_borrow<py::sequence>(value);
  for (std::size_t i = 0; i < seq.size(); ++i)
    paths.push_back(path_argument(seq[i], fmt::format("{}[{}]", what, i)));
  return paths;
}

}  // namespace lmkit::python
