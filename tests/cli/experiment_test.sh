#!/usr/bin/env bash
# `lmkit demo` end to end at toy scale: tokenizer, index, GPT, and the five-model perplexity table,
# then a second run that reuses every artifact. Scale is cut (tiny vocabulary, a few training steps,
# a few evaluation documents) so this stays quick in the sanitizer build; `make run` is full size.
source "$(dirname "$0")/lib.sh"
lmkit=$1
work="$workdir/demo"
demo=("$lmkit" --quiet demo --data-dir "$workdir/kjv" --work-dir "$work" --vocab-size 300 --steps 4 --batch 2
      --ctx 32 --order 3 --max-docs 2)

expect_exit 0 -- "${demo[@]}" --json
for f in tokenizer/tokenizer.json index/lmkit.json model/model.safetensors model/loss.svg agreement.svg results.json; do
  [[ -s "$work/$f" ]] || { echo "FAIL: $f missing from the work directory"; failures=$((failures + 1)); }
done
check=$(python3 - "$work/results.json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
models = [m["model"] for m in r["models"]]
assert models == ["katz-3gram", "kneser-ney-3gram", "infgram", "gpt", "gpt+infgram"], models
for m in r["models"]:
    assert m["tokens"] == r["models"][0]["tokens"] > 100, m
    assert 0 <= m["accuracy"] <= 1, m
    if m["model"] != "infgram":
        assert m["perplexity"] is not None and m["perplexity"] > 1, m
hybrid = r["models"][-1]
assert 0 <= hybrid["lambda_sparse"] <= 1 and 0 <= hybrid["lambda_dense"] <= 1, hybrid
infgram = r["models"][2]
assert 0 <= infgram["sparse_fraction"] <= 1
assert sum(b["positions"] for b in infgram["by_effective_n"]) == infgram["tokens"]
print("ok")
PY
)
expect_match "$check" "^ok$" "results.json holds the five models with sane values"
expect_match "$(cat "$work/agreement.svg")" "<polyline" "the agreement plot has a line"

# A second run reuses the tokenizer, index and model, and prints the table.
expect_exit 0 -- "${demo[@]}"
expect_match "$out" "Perplexity on the KJV test split" "the table is printed"
expect_match "$out" "gpt\+infgram" "the hybrid is in the table"
expect_match "$out" "relative improvement" "the relative improvement is stated"

# Generation from the mixture, with the λ that eval tuned: deterministic for a seed, and refused
# without λ (before anything is printed).
lambdas=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["models"][-1]; print(m["lambda_sparse"], m["lambda_dense"])' "$work/results.json")
read -r ls ld <<<"$lambdas"
gen=("$lmkit" --quiet generate --model "$work/model" --index "$work/index" --lambda-sparse "$ls" --lambda-dense "$ld"
     --prompt "And God said" --max-new-tokens 12 --seed 5 --json)
expect_exit 0 -- "${gen[@]}"
first=$out
expect_match "$first" '"ids":\[[0-9]+(,[0-9]+){11}\]' "twelve tokens are generated from the mixture"
expect_exit 0 -- "${gen[@]}"
[[ "$out" == "$first" ]] || { echo "FAIL: the same seed gave different text"; failures=$((failures + 1)); }
expect_exit 2 -- "$lmkit" generate --model "$work/model" --index "$work/index" --prompt "And"
expect_match "$out" "^$" "nothing is printed before the usage error"
expect_match "$err" "lambda-sparse" "the missing λ options are named"
finish
