#!/usr/bin/env bash
# The BERT demonstration on KJV (docs/bert.md): a WordPiece vocabulary and a small encoder pretrained with
# masked-LM on the training split, fine-tuned to tell Old Testament verses from New Testament ones, and
# measured on the test split against a from-scratch encoder and a naive Bayes bag-of-words baseline —
# at several label budgets (the share of the training verses whose labels the classifiers see, drawn
# at random per seed), since pretraining should matter most when labels are scarce.
#   bench/bert_kjv_demo.sh [OUT_DIR]      (needs data/kjv: `build/release/lmkit demo --corpus-only`)
# Environment: LMKIT (the binary), MLM_STEPS, CONFIG (tiny, small or base), THREADS, BUDGETS: a list
# of fraction:epochs:lr:seeds — the share of the training verses, the fine-tuning epochs (more for
# small budgets, so that each run takes a few hundred steps), the peak learning rate and the seeds
# (each draws its own verses).
set -euo pipefail
lmkit=${LMKIT:-build/release/lmkit}
out=${1:-/tmp/lmkit-bert-demo}
steps=${MLM_STEPS:-8000}
config=${CONFIG:-tiny}
threads=${THREADS:-2}
budgets=${BUDGETS:-0.01:40:1e-3:1,2,3 0.1:5:1e-3:1,2,3 1:2:2e-4:1}
mkdir -p "$out/results"
data=(--lines --label-field testament)
set -x
# Runs on small budgets validate after every epoch; a sixth of the validation chapters keeps that cheap.
awk 'NR % 6 == 1' data/kjv/validation.jsonl >"$out/validation-sixth.jsonl"
"$lmkit" tokenizer train --type wordpiece --corpus data/kjv/train.jsonl --vocab-size 4000 --out "$out/wordpiece" --force
time "$lmkit" --threads "$threads" mlm train --data data/kjv/train.jsonl --val-data data/kjv/validation.jsonl --lines \
  --tokenizer "$out/wordpiece" --config "$config" --steps "$steps" --batch 32 --seq-len 64 --lr 1e-3 \
  --val-every $((steps / 6)) --out "$out/mlm" --force
for spec in $budgets; do
  IFS=: read -r fraction epochs lr seeds <<<"$spec"
  validation=data/kjv/validation.jsonl
  [[ $fraction == 1 ]] || validation=$out/validation-sixth.jsonl
  for seed in ${seeds//,/ }; do
    name=$fraction-seed$seed
    for kind in pretrained scratch; do
      if [[ $kind == pretrained ]]; then init=(--init "$out/mlm"); else init=(--tokenizer "$out/wordpiece" --config "$config"); fi
      time "$lmkit" --threads "$threads" classify train "${init[@]}" --data data/kjv/train.jsonl \
        --val-data "$validation" "${data[@]}" --train-fraction "$fraction" --seed "$seed" \
        --epochs "$epochs" --lr "$lr" --out "$out/cls-$kind-$name" --force --json >"$out/results/train-$kind-$name.json"
      "$lmkit" --threads "$threads" classify eval --model "$out/cls-$kind-$name" --data data/kjv/test.jsonl \
        "${data[@]}" --json >"$out/results/test-$kind-$name.json"
    done
    "$lmkit" classify baseline --data data/kjv/train.jsonl --test data/kjv/test.jsonl "${data[@]}" \
      --train-fraction "$fraction" --seed "$seed" --json >"$out/results/test-baseline-$name.json"
  done
done
set +x
# One line per budget and seed, then the means over seeds: test accuracy of each classifier.
python3 - "$out/results" <<'PY'
import glob, json, os, statistics, sys
rows = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "test-*.json"))):
    kind, fraction, seed = os.path.basename(path)[5:-5].split("-")
    doc = json.load(open(path))
    row = rows.setdefault((float(fraction), seed), {})
    row[kind] = doc["accuracy"]
    if kind == "baseline":
        row["examples"] = doc["train_examples"]
        row["majority"] = doc["majority_accuracy"]
print("budget  seed    examples  pretrained  scratch  naive-Bayes")
for (fraction, seed), r in sorted(rows.items()):
    print(f"{fraction:<7g} {seed[4:]:<7} {r['examples']:>8}  {r['pretrained']:.4f}      {r['scratch']:.4f}   {r['baseline']:.4f}")
for fraction in sorted({f for f, _ in rows}):
    rs = [r for (f, _), r in rows.items() if f == fraction]
    mean = {k: statistics.mean(r[k] for r in rs) for k in ("pretrained", "scratch", "baseline")}
    print(f"mean over {len(rs)} seed(s) at {fraction:g}: pretrained {mean['pretrained']:.4f}, "
          f"scratch {mean['scratch']:.4f}, naive Bayes {mean['baseline']:.4f}")
PY
