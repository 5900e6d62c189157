#!/usr/bin/env bash
# GPT-2 encoding throughput: lmkit (one thread, and all threads) beside gpt-3-encoder's Encoder.js
# (node, one thread) on the same English text: the KJV training split's first 300 chapters, one
# document per line. Three rounds alternating lmkit and JavaScript; each prints median (min-max).
#   bash bench/tokenizers.sh        (needs build/release, data/kjv from `lmkit demo`, data/gpt2)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -s data/kjv/train.jsonl ]] || build/release/lmkit --quiet demo >/dev/null
text=$(mktemp)
trap 'rm -f "$text"' EXIT
node -e '
  const lines = require("fs").readFileSync("data/kjv/train.jsonl", "utf-8").split("\n").filter((l) => l);
  for (const l of lines.slice(0, 300)) console.log(JSON.parse(l).text.replace(/\n/g, " "));' >"$text"
for round in 1 2 3; do
  echo "-- round $round"
  build/release/bench/tokenizer_throughput --tokenizer gpt2 --file "$text" --runs 5
  node bench/gpt2_js_throughput.js data/gpt2 "$text" 3
done
