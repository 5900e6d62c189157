#!/usr/bin/env bash
# `lmkit seq2seq corrupt|train|generate` end to end: denoising pairs from chapters, a small model
# trains and writes a BART-layout directory, resumes bit for bit, refuses bad input with messages
# that name it, and generates deterministically; batched sources give what each gives alone and beam
# width 1 gives greedy's output.
source "$(dirname "$0")/lib.sh"
lmkit=$1

chapters="$workdir/chapters.jsonl"
for i in $(seq 1 12); do
  printf '{"text": "In the beginning God created the heaven and the earth.\\nAnd God said, Let there be light: and there was light.\\nAnd God saw the light, that it was good %d."}\n' "$i"
done >"$chapters"
expect_exit 0 -- "$lmkit" --quiet seq2seq corrupt --input "$chapters" --out "$workdir/pairs.jsonl" --seed 3
expect_match "$(wc -l <"$workdir/pairs.jsonl")" "^36$" "one pair per verse"
expect_match "$(head -1 "$workdir/pairs.jsonl")" '"source":"[^"]*<mask>' "sources carry mask markers"
expect_match "$(head -1 "$workdir/pairs.jsonl")" '"target":"In the beginning God created the heaven and the earth."' "targets are the verses"
expect_exit 0 -- "$lmkit" --quiet seq2seq corrupt --input "$chapters" --out "$workdir/pairs2.jsonl" --seed 3
checks=$((checks + 1))
cmp -s "$workdir/pairs.jsonl" "$workdir/pairs2.jsonl" || { echo "FAIL: the same seed corrupted differently"; failures=$((failures + 1)); }

config="$workdir/micro.json"
echo '{"encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2, "d_model": 16, "encoder_ffn_dim": 32, "max_position_embeddings": 96}' >"$config"
train=("$lmkit" --quiet --threads 2 seq2seq train --data "$workdir/pairs.jsonl" --tokenizer bytes --config "$config"
       --batch 4 --val-every 3 --seed 7)
# An absurd batch is refused with the memory estimate and the limit before the run starts.
expect_exit 1 -- "$lmkit" --quiet --threads 2 seq2seq train --data "$workdir/pairs.jsonl" --tokenizer bytes \
  --config "$config" --out "$workdir/huge-batch" --steps 6 --batch 100000000
expect_match "$err" "error: training needs about [0-9.]+ TiB for batch 100000000 × [0-9]+ source × [0-9]+ target tokens .*; this process may use at most" \
  "seq2seq train --batch 100000000 is refused with the estimate and the limit"
expect_exit 0 -- "${train[@]}" --out "$workdir/full" --steps 6 --json
expect_match "$out" '"steps":6' "the JSON summary reports the steps"
for f in config.json model.safetensors optimizer.safetensors training.json loss.svg; do
  checks=$((checks + 1))
  [[ -s "$workdir/full/$f" ]] || { echo "FAIL: $f missing from the model directory"; failures=$((failures + 1)); }
done
expect_match "$(cat "$workdir/full/config.json")" '"model_type": "bart"' "the default switches make a BART config"
expect_match "$(cat "$workdir/full/config.json")" '"mask_token_id": 259' "the mask id follows the byte vocabulary"
falls=$(python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["history"]; print(h[0]["train_loss"] > h[-1]["train_loss"])' "$workdir/full/training.json")
expect_match "$falls" "^True$" "the training loss falls over six steps"

expect_exit 0 -- "${train[@]}" --out "$workdir/split" --steps 6 --until 3
expect_exit 0 -- "$lmkit" --quiet --threads 2 seq2seq train --out "$workdir/split" --resume
for f in model.safetensors optimizer.safetensors; do
  checks=$((checks + 1))
  cmp -s "$workdir/full/$f" "$workdir/split/$f" || { echo "FAIL: resumed $f differs from the straight run"; failures=$((failures + 1)); }
done

expect_exit 2 -- "${train[@]}" --out "$workdir/full" --steps 6
expect_match "$err" "already exists" "an existing model directory is not overwritten"
# --resume with options of its own: the tokenizer and the model cannot change (each named), others
# may, with a warning.
expect_exit 0 -- "${train[@]}" --out "$workdir/split-options" --steps 6 --until 3
expect_exit 2 -- "$lmkit" --quiet seq2seq train --out "$workdir/split-options" --resume --tokenizer gpt2
expect_match "$err" 'usage error: --tokenizer gpt2: differs from the checkpoint in .*split-options/training.json, which a resumed run cannot change: tokenizer "gpt2" \(the checkpoint.s is "bytes"\)' \
  "seq2seq train --resume names a tokenizer that cannot change"
expect_exit 2 -- "$lmkit" --quiet seq2seq train --out "$workdir/split-options" --resume --config tiny
expect_match "$err" "usage error: --config tiny: describes another model .* than the checkpoint" "seq2seq train --resume refuses another model"
expect_exit 0 -- "$lmkit" --threads 2 seq2seq train --out "$workdir/split-options" --resume --config "$config" --val-every 2 --json
expect_match "$err" "warning: .*split-options/training.json: val_every was 3; continuing with 2" "a changed --val-every is warned about"
if grep -q "config\|tokenizer" <<<"$err"; then echo "FAIL: an unchanged --config was reported: $err"; failures=$((failures + 1)); fi

# The shared corpus options: --corpus and --validation spell --data and --val-data; pairs are read
# compressed or from stdin; bad pairs are skipped and counted with --skip-bad; what pairs cannot
# honour is refused, named.
head -30 "$workdir/pairs.jsonl" | gzip >"$workdir/pairs.jsonl.gz"
tail -6 "$workdir/pairs.jsonl" >"$workdir/val.jsonl"
{ echo '{"source": "no target"}'; cat "$workdir/val.jsonl"; } >"$workdir/val-bad.jsonl"
expect_exit 0 -- "$lmkit" --threads 2 seq2seq train --corpus "$workdir/pairs.jsonl.gz" --validation - --tokenizer bytes \
  --config "$config" --batch 4 --steps 2 --skip-bad --out "$workdir/spelled" --json <"$workdir/val-bad.jsonl"
expect_match "$out" '"skipped":1,' "--skip-bad skips the pair without a target, read from stdin"
expect_match "$err" "skipped 1 bad documents" "the skipped pairs are reported"
for flag in "--format text" "--lines" "--text-field body"; do
  expect_exit 2 -- "$lmkit" --quiet seq2seq train --data "$workdir/pairs.jsonl" $flag --tokenizer bytes --config "$config" --out "$workdir/y"
  expect_match "$err" "usage error: ${flag%% *}.*\\(source, target\\) pairs" "seq2seq train refuses $flag, named"
done
expect_exit 2 -- "$lmkit" --quiet seq2seq train --data "$workdir/pairs.jsonl" "$workdir/val.jsonl" --tokenizer bytes --config "$config" --out "$workdir/y"
expect_match "$err" "one pairs file" "seq2seq train refuses two pairs files"

echo '{"source": "a source without a target"}' >"$workdir/bad.jsonl"
expect_exit 1 -- "$lmkit" --quiet seq2seq train --data "$workdir/bad.jsonl" --tokenizer bytes --config "$config" --out "$workdir/x"
expect_match "$err" "bad.jsonl line 1.*target" "a pair without a target is named by file and line"
python3 -c 'import json; print(json.dumps({"source": "x" * 200, "target": "y"}))' >"$workdir/long.jsonl"
expect_exit 1 -- "$lmkit" --quiet seq2seq train --data "$workdir/long.jsonl" --tokenizer bytes --config "$config" --out "$workdir/x"
expect_match "$err" "long.jsonl: pair 1 has 200 source" "an over-long pair is named"
expect_exit 2 -- "$lmkit" seq2seq train --data "$workdir/pairs.jsonl" --tokenizer bytes --config huge --out "$workdir/x"
expect_match "$err" "huge" "an unknown --config is named"

gen=("$lmkit" --quiet seq2seq generate --model "$workdir/full" --max-new-tokens 10 --json)
a="And God <mask> light." b="In the <mask> God created"
ids() { python3 -c 'import json,sys; print(" ".join(str(r["ids"]) for r in json.load(sys.stdin)["results"]))'; }
expect_exit 0 -- "${gen[@]}" --source "$a" --source "$b"
both=$(ids <<<"$out")
expect_exit 0 -- "${gen[@]}" --source "$a"
one=$(ids <<<"$out")
expect_exit 0 -- "${gen[@]}" --source "$b"
two=$(ids <<<"$out")
checks=$((checks + 1))
[[ "$both" == "$one $two" ]] || { echo "FAIL: batched sources gave $both, alone $one $two"; failures=$((failures + 1)); }
expect_exit 0 -- "${gen[@]}" --source "$a" --source "$b" --beam 1
checks=$((checks + 1))
[[ "$(ids <<<"$out")" == "$both" ]] || { echo "FAIL: beam width 1 differs from greedy"; failures=$((failures + 1)); }
expect_exit 0 -- "${gen[@]}" --source "$a" --beam 3
expect_match "$out" '"ids":\[' "beam search answers"
expect_exit 0 -- "${gen[@]}" --source "$a" --temperature 0.8 --top-k 20 --seed 5
sampled=$(ids <<<"$out")
expect_exit 0 -- "${gen[@]}" --source "$a" --temperature 0.8 --top-k 20 --seed 5
checks=$((checks + 1))
[[ "$(ids <<<"$out")" == "$sampled" ]] || { echo "FAIL: the same seed sampled differently"; failures=$((failures + 1)); }
expect_exit 0 -- "${gen[@]}" --input "$workdir/pairs.jsonl" --limit 5
expect_match "$out" '"exact_match":' "scored inputs report exact match"
expect_match "$out" '"token_accuracy":' "scored inputs report token accuracy"
expect_match "$out" '"scored":5' "--limit keeps the first five"

expect_exit 2 -- "${gen[@]}" --source "$a" --beam 2 --temperature 1
expect_match "$err" "beam" "beam search with sampling is refused"
expect_exit 1 -- "$lmkit" seq2seq generate --model "$workdir/nowhere" --source hi
expect_match "$err" "nowhere/config.json" "a missing model directory is named"
cp -r "$workdir/full" "$workdir/broken"
truncate -s 1000 "$workdir/broken/model.safetensors"
expect_exit 1 -- "$lmkit" seq2seq generate --model "$workdir/broken" --source hi
expect_match "$err" "model.safetensors" "a truncated checkpoint is rejected with its name"
finish
