#!/usr/bin/env bash
# ∞-gram query latency (issue #5): makes (once) a synthetic index of QUERY_BENCH_TOKENS tokens
# (default 200M) from a KJV word-trigram model, warms the page cache, then runs query_bench.
#   bench/queries.sh            (after `make build` and `build/release/lmkit demo`)
set -euo pipefail
cd "$(dirname "$0")/.."
tokens=${QUERY_BENCH_TOKENS:-200000000}
index=data/query-bench-$tokens
if [[ ! -s "$index/table.0" ]]; then
  [[ -s data/kjv/train.jsonl ]] || build/release/lmkit --quiet demo --data-dir data/kjv
  mkdir -p "$index"
  build/release/bench/make_query_index data/kjv/train.jsonl "$index" "$tokens"
fi
cat "$index/tokenized.0" "$index/table.0" "$index/offset.0" >/dev/null  # page cache warm
build/release/bench/query_bench "$index" "${QUERY_BENCH_QUERIES:-5000}"
