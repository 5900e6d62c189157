// lmkit._lmkit: the extension behind `import lmkit` (python/lmkit/__init__.py re-exports it).
//
// Errors: lmkit's Error becomes lmkit.Error, its UsageError and InvalidArgument lmkit.UsageError (a
// subclass of lmkit.Error and of ValueError), with the library's message; pybind11 maps std::bad_alloc
// to MemoryError. Nothing the library throws ends the interpreter.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "lmkit/api/version.hpp"
#include "lmkit/util/error.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_lmkit, m) {
  m.doc() = "lmkit: ∞-gram indexes and language models (docs/python.md)";
  // Module-lifetime exception types (the module holds the references).
  static PyObject* error = PyErr_NewExceptionWithDoc(
      "lmkit.Error", "A failure reported by lmkit: the file, index, model or request at fault.",
      PyExc_Exception, nullptr);
  py::tuple usage_bases = py::make_tuple(py::handle(error), py::handle(PyExc_ValueError));
  static PyObject* usage_error = PyErr_NewExceptionWithDoc(
      "lmkit.UsageError", "lmkit was asked for something it cannot do: an argument outside its domain.",
      usage_bases.ptr(), nullptr);
  m.add_object("Error", py::handle(error));
  m.add_object("UsageError", py::handle(usage_error));
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const lmkit::UsageError& e) {
      PyErr_SetString(usage_error, e.what());
    } catch (const lmkit::Error& e) {
      PyErr_SetString(error, e.what());
    }
  });
  m.attr("__version__") = lmkit::api::version();

  lmkit::python::bind_infinigram_engine(m);
  lmkit::python::bind_index(m);
  lmkit::python::bind_model(m);
}
