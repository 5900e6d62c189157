#!/usr/bin/env bash
# The Python module's cost per call (issue 16): bench/python_bench.py, lmkit.InfiniGramEngine and
# lmkit.Index beside the same queries through the C++ API, over a KJV index it builds (after `make build`).
set -euo pipefail
cd "$(dirname "$0")/.."
"${PYTHON:-/usr/bin/python3}" bench/python_bench.py --build build/release "$@"
