#!/usr/bin/env bash
# Index build benchmark (see bench/RESULTS.md, "Index build"):
#  1. suffix sorting: lmkit's SA-IS vs divsufsort64 over the same 1-byte-token text, alternating runs,
#     arrays checked identical (index_sa_bench), then each alone under /usr/bin/time -v for peak RSS;
#  2. IndexBuilder end to end on the same text (index_builder_bench): wall time, peak RSS, bytes per
#     token, index size.
# Input: the Linux 6.1 source text (scripts/install-deps --bench), INDEX_BENCH_BYTES bytes (1 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${INDEX_BENCH_BYTES:-1000000000}
runs=${INDEX_BENCH_RUNS:-2}
work=${INDEX_BENCH_DIR:-/tmp/lmkit-index-bench}
sa_bench=build/release/bench/index_sa_bench
[[ -f /usr/src/linux-source-6.1.tar.xz ]] || { echo "index_build.sh: run scripts/install-deps --bench first" >&2; exit 1; }
mkdir -p "$work"
if [[ ! -s "$work/linux.u8" || $(stat -c %s "$work/linux.u8") -lt $bytes ]]; then
  python3 bench/make_linux_corpus.py "$bytes" "$work"
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(lscpu | sed -n 's/^Model name: *//p'); load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== suffix sorting, side by side ($runs runs each, alternating)"
"$sa_bench" "$work/linux.u8" 1 "$runs"

peak_rss_kb() { sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$1"; }
for mode in sais divsufsort; do
  /usr/bin/time -v "$sa_bench" "$work/linux.u8" 1 1 "$mode" > "$work/$mode.out" 2> "$work/$mode.time"
  echo "$mode alone: $(grep median "$work/$mode.out"); peak RSS $(peak_rss_kb "$work/$mode.time") kB"
done

echo "== IndexBuilder end to end (tokenized.S, sort, table.S, offsets, metadata, CRC-32s, lmkit.json)"
rm -rf "$work/idx"
/usr/bin/time -v build/release/bench/index_builder_bench "$work/linux.u8" "$work/idx" > "$work/build.out" 2> "$work/build.time"
cat "$work/build.out"
rss=$(peak_rss_kb "$work/build.time")
positions=$(stat -c %s "$work/idx/tokenized.0")
size=$(du -cb "$work"/idx/tokenized.* "$work"/idx/table.* "$work"/idx/offset.* | tail -1 | cut -f1)
# RSS counts the mapped input file (1 byte per position) and the shard's token array (the output
# tokenized.0, 1 byte per position); what is left is the sorter's and writer's working memory.
awk -v rss="$rss" -v n="$positions" -v size="$size" 'BEGIN {
  printf "peak RSS %.0f MB = %.2f bytes/token; %.2f bytes/token beyond the input mapping and the token array; index %.2f bytes/token\n",
    rss / 1024, rss * 1024 / n, (rss * 1024 - 2 * n) / n, size / n }'
