// The parts of the extension module lmkit._lmkit; module.cpp calls each.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "lmkit/api/index.hpp"

namespace lmkit::python {

void bind_infinigram_engine(pybind11::module_& m);  // InfiniGramEngine (infinigram_engine.cpp)
void bind_index(pybind11::module_& m);              // Index, Tokenizer (index.cpp)
void bind_model(pybind11::module_& m);              // Model, Completion, TokenStream (model.cpp)

// The api::Index behind an lmkit.Index; TypeError naming `what` for anything else.
std::shared_ptr<const api::Index> index_argument(pybind11::handle value, const std::string& what);

}  // namespace lmkit::python
