// The parts of the extension module lmkit._lmkit; module.cpp calls each.
#pragma once

#include <pybind11/pybind11.h>

namespace lmkit::python {

void bind_infinigram_engine(pybind11::module_& m);  // InfiniGramEngine (infinigram_engine.cpp)
void bind_index(pybind11::module_& m);              // Index, Tokenizer (index.cpp)

}  // namespace lmkit::python
