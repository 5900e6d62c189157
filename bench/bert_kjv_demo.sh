#!/usr/bin/env bash
# The BERT demonstration on KJV (docs/bert.md): a WordPiece vocabulary and a small encoder pretrained with
# masked-LM on the training split, fine-tuned to tell Old Testament verses from New Testament ones, and
# measured on the test split against a from-scratch encoder and a naive Bayes bag-of-words baseline.
#   bench/bert_kjv_demo.sh [OUT_DIR]      (needs data/kjv: `build/release/lmkit demo --corpus-only`)
set -euo pipefail
lmkit=${LMKIT:-build/release/lmkit}
out=${1:-/tmp/lmkit-bert-demo}
steps=${MLM_STEPS:-3000}
mkdir -p "$out"
data=(--lines --label-field testament)
set -x
"$lmkit" tokenizer train --type wordpiece --corpus data/kjv/train.jsonl --vocab-size 4000 --out "$out/wordpiece" --force
time "$lmkit" mlm train --data data/kjv/train.jsonl --val-data data/kjv/validation.jsonl --lines \
  --tokenizer "$out/wordpiece" --config tiny --steps "$steps" --batch 32 --seq-len 64 --lr 1e-3 \
  --val-every 500 --out "$out/mlm" --force
time "$lmkit" classify train --init "$out/mlm" --data data/kjv/train.jsonl --val-data data/kjv/validation.jsonl \
  "${data[@]}" --epochs 2 --lr 2e-4 --out "$out/cls-pretrained" --force
time "$lmkit" classify train --tokenizer "$out/wordpiece" --config tiny --data data/kjv/train.jsonl \
  --val-data data/kjv/validation.jsonl "${data[@]}" --epochs 2 --lr 2e-4 --out "$out/cls-scratch" --force
"$lmkit" classify eval --model "$out/cls-pretrained" --data data/kjv/test.jsonl "${data[@]}" --json
"$lmkit" classify eval --model "$out/cls-scratch" --data data/kjv/test.jsonl "${data[@]}" --json
"$lmkit" classify baseline --data data/kjv/train.jsonl --test data/kjv/test.jsonl "${data[@]}" --json
