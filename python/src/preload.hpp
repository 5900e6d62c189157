// InfiniGramEngine(load_to_ram=True): lmkit always memory-maps an index; this reads every page of its
// files once so that the page cache holds them before the first query.
#pragma once

#include "lmkit/api/index.hpp"

namespace lmkit::python {

void preload_index(const api::Index& index);

}  // namespace lmkit::python
