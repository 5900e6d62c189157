#!/usr/bin/env bash
# `lmkit train` and `lmkit generate` end to end: a small model trains, writes a GPT-2 directory with
# a loss curve, resumes bit for bit, refuses to overwrite, and generates deterministically; batched
# prompts give what each prompt gives alone.
source "$(dirname "$0")/lib.sh"
lmkit=$1

corpus="$workdir/corpus.txt"
for i in $(seq 1 40); do
  echo "In the beginning God created the heaven and the earth. And the earth was without form, and void."
  echo "And God said, Let there be light: and there was light. And God saw the light, that it was good."
done >"$corpus"
config="$workdir/micro.json"
echo '{"n_layer": 1, "n_head": 2, "n_embd": 16, "n_positions": 32}' >"$config"
train=("$lmkit" --quiet --threads 2 train --data "$corpus" --tokenizer bytes --config "$config" --batch 4 --ctx 16
       --val-every 3 --seed 7)

expect_exit 0 -- "${train[@]}" --out "$workdir/full" --steps 6 --json
expect_match "$out" '"steps":6' "the JSON summary reports the steps"
for f in config.json model.safetensors optimizer.safetensors training.json loss.svg; do
  [[ -s "$workdir/full/$f" ]] || { echo "FAIL: $f missing from the model directory"; failures=$((failures + 1)); }
done
expect_match "$(cat "$workdir/full/config.json")" '"model_type": "gpt2"' "config.json is a GPT-2 config"
expect_match "$(cat "$workdir/full/loss.svg")" '<polyline points="[0-9.]+,[0-9.]+ ' "the loss curve has a line"
first=$(python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["history"]; print(h[0]["train_loss"] > h[-1]["train_loss"])' "$workdir/full/training.json")
expect_match "$first" "^True$" "the training loss falls over six steps"

# Stopping at step 3 and resuming reaches the same bytes as running straight through.
expect_exit 0 -- "${train[@]}" --out "$workdir/split" --steps 6 --until 3
expect_match "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["step"])' "$workdir/split/training.json")" "^3$" "the checkpoint is at step 3"
expect_exit 0 -- "$lmkit" --quiet --threads 2 train --out "$workdir/split" --resume
for f in model.safetensors optimizer.safetensors; do
  checks=$((checks + 1))
  cmp -s "$workdir/full/$f" "$workdir/split/$f" || { echo "FAIL: resumed $f differs from the straight run"; failures=$((failures + 1)); }
done

expect_exit 2 -- "${train[@]}" --out "$workdir/full" --steps 6
expect_match "$err" "already exists" "an existing model directory is not overwritten"

# An absurd batch is refused with the memory estimate and the limit before anything is allocated
# (the run's address space is capped, so growing instead fails the test quickly).
ldd "$lmkit" | grep -q libasan && cap=unlimited || cap=2000000
expect_exit 1 -- bash -c 'ulimit -v "$0"; exec "$@"' "$cap" "$lmkit" --quiet --threads 2 train --data "$corpus" \
  --tokenizer bytes --config "$config" --ctx 16 --out "$workdir/huge-batch" --batch 100000000
expect_match "$err" "error: training needs about [0-9.]+ TiB for batch 100000000 × ctx 16 \(parameters .*, activations [0-9.]+ TiB\); this process may use at most [0-9.]+ [GT]iB" \
  "train --batch 100000000 is refused with the estimate and the limit"
checks=$((checks + 1))
[[ ! -e "$workdir/huge-batch" ]] || { echo "FAIL: a refused run wrote $workdir/huge-batch"; failures=$((failures + 1)); }

# --resume with options of its own: the context and tokenizer cannot change (each named), others
# may, with a warning.
expect_exit 0 -- "${train[@]}" --out "$workdir/split-options" --steps 6 --until 3
expect_exit 2 -- "$lmkit" --quiet --threads 2 train --out "$workdir/split-options" --resume --ctx 8 --tokenizer gpt2
expect_match "$err" 'usage error: --tokenizer gpt2: differs from the checkpoint in .*split-options/training.json, which a resumed run cannot change: tokenizer "gpt2" \(the checkpoint.s is "bytes"\), ctx 8 \(the checkpoint.s is 16\)' \
  "train --resume names each option that cannot change"
expect_exit 0 -- "$lmkit" --quiet --threads 2 train --out "$workdir/split-options" --resume --until 4 --val-every 2 --ctx 16
expect_match "$err" "warning: .*split-options/training.json: val_every was 3; continuing with 2" "a changed --val-every is warned about"
checks=$((checks + 1))
if grep -q "ctx" <<<"$err"; then echo "FAIL: an unchanged --ctx was reported: $err"; failures=$((failures + 1)); fi

# The shared corpus options: a JSONL corpus under another name and field (both corpora read so), the
# --val-data / --seq-len spellings; the checkpoint records how its data is read and resumes so.
python3 -c 'import json,sys; [print(json.dumps({"body": l.strip()})) for l in open(sys.argv[1])]' "$corpus" >"$workdir/corpus.log"
expect_exit 0 -- "$lmkit" --quiet --threads 2 train --data "$workdir/corpus.log" --format jsonl --text-field body \
  --val-data "$workdir/corpus.log" --tokenizer bytes --config "$config" --batch 4 --seq-len 16 --steps 2 --until 1 --out "$workdir/fields"
expect_match "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["options"]["corpus"])' "$workdir/fields/training.json")" \
  "'format': 'jsonl'.*'text_field': 'body'" "training.json records the corpus options"
expect_exit 0 -- "$lmkit" --quiet --threads 2 train --out "$workdir/fields" --resume
expect_exit 1 -- "$lmkit" --quiet --threads 2 train --data "$workdir/corpus.log" --tokenizer bytes --config "$config" \
  --batch 4 --ctx 16 --steps 2 --format jsonl --out "$workdir/nofield"
expect_match "$err" 'corpus.log:1: .*"text"' "without --text-field the missing field is named"
{ echo '{"body": 7}'; cat "$workdir/corpus.log"; } >"$workdir/one-bad.log"
expect_exit 0 -- "$lmkit" --threads 2 train --data "$workdir/one-bad.log" --text-field body --format jsonl --skip-bad \
  --tokenizer bytes --config "$config" --batch 4 --ctx 16 --steps 1 --out "$workdir/skipping" --json
expect_match "$out" '"skipped":1' "--skip-bad: the bad line is skipped and counted"
expect_match "$err" "skipped 1 bad documents" "train tells how many bad documents it skipped"

# A model directory made with missing parents gets the umask's permissions, and the run from another
# directory finds its data: training.json records the corpus relative to itself.
expect_exit 0 -- bash -c "umask 022 && '$lmkit' --quiet --threads 2 train --data '$corpus' --tokenizer bytes --config '$config' --batch 4 --ctx 16 --steps 2 --until 1 --out '$workdir/new/parents/run'"
expect_match "$(stat -c %a "$workdir/new/parents/run")" "^755$" "the model directory gets 0777 less the umask"
expect_match "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["options"]["data"])' "$workdir/new/parents/run/training.json")" \
  "^\['../../../corpus.txt'\]$" "training.json records the corpus relative to itself"
expect_exit 0 -- bash -c "cd / && '$lmkit' --quiet --threads 2 train --out '$workdir/new/parents/run' --resume"

# The schedule's options are checked before any work, for every trainer: no --steps 0 read as 1000,
# no NaN or absurd learning rate, no warmup longer than the schedule.
for bad in "--steps 0" "--lr nan" "--lr inf" "--lr 1e30" "--lr -1" "--weight-decay nan" "--clip -1" "--warmup 7 --steps 6"; do
  # shellcheck disable=SC2086
  expect_exit 2 -- "${train[@]}" --out "$workdir/bad-schedule" $bad
  expect_match "$err" "usage error: ${bad%% *} " "train $bad is refused, naming the option"
done
expect_match "$err" "usage error: --warmup 7: exceeds the 6 steps" "a warmup beyond the steps is explained"
expect_exit 2 -- "$lmkit" seq2seq train --data "$workdir/none.jsonl" --tokenizer bytes --config tiny --out "$workdir/bad-schedule" --steps 0
expect_match "$err" "usage error: --steps 0: must be at least 1" "seq2seq train --steps 0 is refused"
expect_exit 2 -- "$lmkit" mlm train --data "$workdir/none.jsonl" --tokenizer bytes --out "$workdir/bad-schedule" --steps 0
expect_match "$err" "usage error: --steps 0: must be at least 1" "mlm train --steps 0 is refused"
expect_exit 2 -- "$lmkit" classify train --data "$workdir/none.jsonl" --tokenizer bytes --out "$workdir/bad-schedule" --lr nan
expect_match "$err" "usage error: --lr nan" "classify train --lr nan is refused"
# AdamW's betas and epsilon are options of every trainer, checked the same way.
for cmd in "train --config tiny" "seq2seq train --config tiny" "mlm train" "classify train"; do
  # shellcheck disable=SC2086
  expect_exit 2 -- "$lmkit" $cmd --data "$workdir/none.jsonl" --tokenizer bytes --out "$workdir/bad-schedule" --beta2 1
  expect_match "$err" "usage error: --beta2 1: must be in \[0, 1)" "$cmd --beta2 1 is refused"
  # shellcheck disable=SC2086
  expect_exit 2 -- "$lmkit" $cmd --data "$workdir/none.jsonl" --tokenizer bytes --out "$workdir/bad-schedule" --adam-eps 0
  expect_match "$err" "usage error: --adam-eps 0: must be a finite number > 0" "$cmd --adam-eps 0 is refused"
done
expect_exit 2 -- "$lmkit" --quiet --threads 2 train --out "$workdir/full" --resume --steps 0
expect_match "$err" "usage error: --steps 0: must be at least 1" "--resume --steps 0 is refused"
checks=$((checks + 1))
[[ ! -e "$workdir/bad-schedule" ]] || { echo "FAIL: a refused schedule wrote its --out"; failures=$((failures + 1)); }

# A non-finite loss stops the run at that step and keeps the last good checkpoint: here the weights
# of a finished checkpoint are all NaN, so the first step of continuing it has a NaN loss.
cp -r "$workdir/full" "$workdir/nan"
python3 -c '
import struct, sys
with open(sys.argv[1], "r+b") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    f.seek(0, 2); size = f.tell(); f.seek(8 + n)
    f.write(b"\xff" * (size - 8 - n))' "$workdir/nan/model.safetensors"
cp "$workdir/nan/model.safetensors" "$workdir/nan-weights"
cp "$workdir/nan/training.json" "$workdir/nan-training.json"
expect_exit 1 -- "$lmkit" --quiet --threads 2 train --out "$workdir/nan" --resume --steps 8
expect_match "$err" "step 7: the training loss is nan; training stopped" "a NaN loss stops training, naming the step"
checks=$((checks + 1))
cmp -s "$workdir/nan-weights" "$workdir/nan/model.safetensors" && cmp -s "$workdir/nan-training.json" "$workdir/nan/training.json" ||
  { echo "FAIL: a run stopped by a NaN loss rewrote the checkpoint"; failures=$((failures + 1)); }

# training.json is read with checked fields: a negative step is named as written, not wrapped.
cp -r "$workdir/full" "$workdir/negative"
python3 -c '
import json, sys
j = json.load(open(sys.argv[1])); j["step"] = -5; json.dump(j, open(sys.argv[1], "w"))' "$workdir/negative/training.json"
expect_exit 1 -- "$lmkit" --quiet --threads 2 train --out "$workdir/negative" --resume --steps 8
expect_match "$err" 'negative/training.json: field "step" is -5; expected an integer from 0 to 18446744073709551615' "a negative step in training.json is named"
for edit in '"batch": -5|field "batch" is -5; expected an integer from 0 to 18446744073709551615' \
            '"lr": "fast"|field "lr" is "fast" \(a string\); expected a number' \
            '"steps": 1e30|field "steps" is 1e\+30; expected an integer' \
            '"clip": null|field "clip" is null; expected a number'; do
  python3 -c '
import json, sys
j = json.load(open(sys.argv[1])); j["options"].update(json.loads("{" + sys.argv[2] + "}")); json.dump(j, open(sys.argv[3], "w"))' \
    "$workdir/full/training.json" "${edit%%|*}" "$workdir/negative/training.json"
  expect_exit 1 -- "$lmkit" --quiet --threads 2 train --out "$workdir/negative" --resume --steps 8
  expect_match "$err" "negative/training.json: ${edit#*|}" "training.json options $edit are named as written"
done
expect_exit 2 -- "$lmkit" train --data "$corpus" --tokenizer bytes --config huge --out "$workdir/x"
expect_match "$err" "huge" "an unknown --config is named"

gen=("$lmkit" --quiet generate --model "$workdir/full" --max-new-tokens 12 --temperature 0 --json)
expect_exit 0 -- "${gen[@]}" --prompt "And God" --prompt "In the beginning"
batched=$out
expect_exit 0 -- "${gen[@]}" --prompt "And God"
one=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["ids"])' <<<"$out")
expect_exit 0 -- "${gen[@]}" --prompt "In the beginning"
two=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["ids"])' <<<"$out")
both=$(python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; print(r[0]["ids"], r[1]["ids"])' <<<"$batched")
checks=$((checks + 1))
[[ "$both" == "$one $two" ]] || { echo "FAIL: batched prompts gave $both, alone $one $two"; failures=$((failures + 1)); }
expect_exit 0 -- "$lmkit" --quiet generate --model "$workdir/full" --prompt "And" --max-new-tokens 5 --temperature 0.9 --seed 4
streamed=$out
expect_exit 0 -- "$lmkit" --quiet generate --model "$workdir/full" --prompt "And" --max-new-tokens 5 --temperature 0.9 --seed 4
checks=$((checks + 1))
[[ "$out" == "$streamed" ]] || { echo "FAIL: the same seed gave '$streamed' then '$out'"; failures=$((failures + 1)); }
expect_match "$streamed" "^And" "streamed output starts with the prompt"

# A corpus read like any other (a directory of gzipped JSONL) with a BPE tokenizer: the model directory
# carries a copy of tokenizer.json, so it still generates after being moved away from the tokenizer.
mkdir -p "$workdir/jsonl"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    print(json.dumps({"text": line.strip(), "id": 1}))' "$corpus" | gzip >"$workdir/jsonl/part.jsonl.gz"
expect_exit 0 -- "$lmkit" --quiet tokenizer train --corpus "$corpus" --vocab-size 300 --out "$workdir/bpe"
expect_exit 0 -- "$lmkit" --quiet --threads 2 train --data "$workdir/jsonl" --tokenizer "$workdir/bpe/tokenizer.json" \
  --config "$config" --batch 2 --ctx 8 --steps 2 --out "$workdir/bpe-model"
checks=$((checks + 1))
cmp -s "$workdir/bpe/tokenizer.json" "$workdir/bpe-model/tokenizer.json" ||
  { echo "FAIL: the model directory lacks a copy of its tokenizer.json"; failures=$((failures + 1)); }
mv "$workdir/bpe-model" "$workdir/moved-model"
rm -r "$workdir/bpe"
expect_exit 0 -- bash -c "cd / && '$lmkit' --quiet generate --model '$workdir/moved-model' --prompt 'And God' --max-new-tokens 3 --temperature 0"
expect_match "$out" "^And God" "a moved model generates with the tokenizer it carries"
expect_exit 0 -- "$lmkit" --quiet --threads 2 train --out "$workdir/moved-model" --resume --steps 3
expect_match "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["step"])' "$workdir/moved-model/training.json")" "^3$" \
  "a moved checkpoint resumes with the tokenizer it carries"
expect_exit 1 -- "$lmkit" --quiet train --data "$workdir/missing.jsonl" --tokenizer bytes --config "$config" --out "$workdir/y"
expect_match "$err" "missing.jsonl" "a missing corpus is named"

expect_exit 1 -- "$lmkit" generate --model "$workdir/nowhere" --prompt hi
expect_match "$err" "nowhere/config.json" "a missing model directory is named"
cp -r "$workdir/full" "$workdir/broken"
truncate -s 1000 "$workdir/broken/model.safetensors"
expect_exit 1 -- "$lmkit" generate --model "$workdir/broken" --prompt hi
expect_match "$err" "model.safetensors" "a truncated checkpoint is rejected with its name"
finish
