// Python values → lmkit arguments, for the two layers of the module: Infini-gram's checks (a value that
// fails one gives that method's {'error': ...} dict, as Infini-gram's engine.py does) and lmkit's own
// (TypeError / ValueError naming the argument and the position at fault).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lmkit::python {

namespace py = pybind11;

// Infini-gram's `type(value) == int` (bool excluded) with lo <= value <= hi.
bool is_int_in(py::handle value, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out);
// Infini-gram's check_query_ids: a list of such ints in [0, max_id] (allow_empty: may be []).
bool is_id_list(py::handle value, std::uint32_t max_id, bool allow_empty, std::vector<std::uint32_t>& out);
// Infini-gram's check_cnf: a non-empty list of non-empty lists of non-empty id lists.
bool is_cnf(py::handle value, std::uint32_t max_id,
            std::vector<std::vector<std::vector<std::uint32_t>>>& out);

// lmkit's layer: token ids given as a list or tuple of ints or a 1-D integer numpy array. TypeError for
// another type (a float, a str item), ValueError for an id outside [0, max_id]; `what` names the argument.
std::vector<std::uint32_t> ids_argument(py::handle value, std::uint32_t max_id, const std::string& what);
// A path: str or os.PathLike.
std::string path_argument(py::handle value, const std::string& what);
// One path or a list / tuple of paths.
std::vector<std::string> paths_argument(py::handle value, const std::string& what);

}  // namespace lmkit::python
