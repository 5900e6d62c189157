#!/usr/bin/env bash
# ∞-gram query latency (issue #5) on a GPT-2-token index of real text: the Linux 6.1 source
# (scripts/install-deps --bench), its first QUERY_BENCH_BYTES bytes of text files (default 600 MB,
# 375M GPT-2 tokens), built by `lmkit index build`; held-out files from the rest of the tarball give
# the ∞-gram prompts and the scored documents. Makes the corpus and the index once, then runs
# query_bench with the page cache warm, then cold (every query after evicting the index files).
#   bench/queries.sh            (after `make build`)
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${QUERY_BENCH_BYTES:-600000000}
corpus=data/linux-$bytes
index=data/linux-$bytes-gpt2
[[ -f /usr/src/linux-source-6.1.tar.xz ]] || { echo "queries.sh: run scripts/install-deps --bench first" >&2; exit 1; }
if [[ ! -s $corpus/held_out.jsonl ]]; then
  mkdir -p "$corpus"
  python3 bench/make_linux_corpus.py "$bytes" "$corpus" 200
fi
[[ -s $index/lmkit.json ]] ||
  /usr/bin/time -v build/release/lmkit index build --corpus "$corpus/linux.jsonl" --tokenizer gpt2 --out "$index"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(lscpu | sed -n 's/^Model name: *//p'); load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$index/tokenized.0" "$index/table.0" "$index/offset.0" >/dev/null  # page cache warm
build/release/bench/query_bench "$index" "$corpus/held_out.jsonl" "${QUERY_BENCH_QUERIES:-5000}"
build/release/bench/query_bench "$index" "$corpus/held_out.jsonl" "${QUERY_BENCH_COLD_QUERIES:-200}" --cold
