#!/usr/bin/env bash
# The encoder-decoder demonstration on KJV (docs/seq2seq.md): BART-style denoising. Every verse of the
# three splits becomes a (source, target) pair — the verse with 15% of its words masked in spans of
# Poisson(2) words, each span one <mask>, and the verse itself — a model learns to restore the
# verses, and greedy decoding (and beam search on the first BEAM_PAIRS test pairs) is scored on the
# test split: exact match (the whole verse restored) and token accuracy (target tokens matched at the
# same position, over the longer of output and target).
#   bench/seq2seq_kjv_demo.sh [OUT_DIR]      (needs data/kjv: `build/release/lmkit demo --corpus-only`)
# Environment: LMKIT (the binary), STEPS (optimizer steps), BATCH, LR, CONFIG (tiny, or a BART-style
# config.json), CORRUPTIONS (differently-seeded corruptions of the training split, so that epochs
# do not repeat the same masks), THREADS, BEAM_PAIRS (0: no beam search).
set -euo pipefail
lmkit=${LMKIT:-build/release/lmkit}
out=${1:-/tmp/lmkit-seq2seq-demo}
steps=${STEPS:-3500}
batch=${BATCH:-32}
lr=${LR:-2e-3}
config=${CONFIG:-tiny}
corruptions=${CORRUPTIONS:-4}
threads=${THREADS:-2}
beam_pairs=${BEAM_PAIRS:-300}
mkdir -p "$out"
set -x
# The KJV demo's tokenizer (as `lmkit demo` trains it): byte-level BPE, 2048 ids, on the training split.
"$lmkit" tokenizer train --corpus data/kjv/train.jsonl --vocab-size 2048 --out "$out/tokenizer" --force
for split in validation test; do
  "$lmkit" seq2seq corrupt --input "data/kjv/$split.jsonl" --out "$out/$split.jsonl" --mask-ratio 0.15 \
    --mean-span 2 --seed 1
done
: >"$out/train.jsonl"
for seed in $(seq "$corruptions"); do
  "$lmkit" seq2seq corrupt --input data/kjv/train.jsonl --out "$out/train-$seed.jsonl" --mask-ratio 0.15 \
    --mean-span 2 --seed "$seed"
  cat "$out/train-$seed.jsonl" >>"$out/train.jsonl"
done
rm -rf "$out/model"  # seq2seq train never overwrites a model; this script starts over
time "$lmkit" --threads "$threads" seq2seq train --data "$out/train.jsonl" --val-data "$out/validation.jsonl" \
  --tokenizer "$out/tokenizer/tokenizer.json" --config "$config" --out "$out/model" --steps "$steps" \
  --batch "$batch" --lr "$lr" --warmup $((steps / 20)) --val-every $((steps / 8)) --val-pairs 256 \
  --checkpoint-every $((steps / 4))
time "$lmkit" --threads "$threads" seq2seq generate --model "$out/model" --input "$out/test.jsonl" --batch 32 \
  --max-new-tokens 160 --json >"$out/test-greedy.json"
if ((beam_pairs > 0)); then
  time "$lmkit" --threads "$threads" seq2seq generate --model "$out/model" --input "$out/test.jsonl" \
    --limit "$beam_pairs" --batch 32 --max-new-tokens 160 --json >"$out/test-greedy-$beam_pairs.json"
  time "$lmkit" --threads "$threads" seq2seq generate --model "$out/model" --input "$out/test.jsonl" \
    --limit "$beam_pairs" --beam 4 --batch 32 --max-new-tokens 160 --json >"$out/test-beam4-$beam_pairs.json"
fi
set +x
# The scores, recounted from the outputs (generate's summary computes the same from token ids).
python3 - "$out"/test-*.json <<'PY'
import json, sys
for path in sys.argv[1:]:
    doc = json.load(open(path))
    results = [r for r in doc["results"] if "target" in r]
    exact = sum(r["text"] == r["target"] for r in results)
    s = doc["summary"]
    print(f"{path}: {len(results)} pairs, exact match {s['exact_match']:.4f} ({exact} of {len(results)} "
          f"by text), token accuracy {s['token_accuracy']:.4f}; {s['generated_tokens']} tokens in "
          f"{s['seconds']:.1f} s ({s['tokens_per_second']:.0f} tokens/s)")
    for r in results[:3]:
        print(f"  source: {r['source']}\n  output: {r['text']}\n  target: {r['target']}")
PY
