#!/usr/bin/env bash
# BERT end to end: a WordPiece vocabulary trained on a small labelled corpus, MLM pretraining, a
# classifier fine-tuned from it (deterministic for a seed), eval / predict / baseline outputs, the
# Hugging Face directory's files, and the errors for bad input.
source "$(dirname "$0")/lib.sh"
lmkit=$1

# Two labels told apart by their words: "shepherd" verses are a, "fisher" verses are b.
python3 - "$workdir" <<'PY'
import json, random, sys
random.seed(7)
words = "the and of to in that he shall unto for his i a they be is him not them it with all".split()
with open(f"{sys.argv[1]}/corpus.jsonl", "w") as f, open(f"{sys.argv[1]}/test.jsonl", "w") as g:
    for i in range(120):
        label = "a" if i % 2 == 0 else "b"
        key = "shepherd sheep fold" if label == "a" else "fisher net boat"
        lines = [" ".join(random.choices(words, k=6) + key.split()[j % 3:j % 3 + 1] + random.choices(words, k=3))
                 for j in range(4)]
        (g if i >= 100 else f).write(json.dumps({"text": "\n".join(lines), "kind": label}) + "\n")
PY
corpus=$workdir/corpus.jsonl

expect_exit 0 -- "$lmkit" tokenizer train --type wordpiece --corpus "$corpus" --vocab-size 120 --out "$workdir/wp" --json
expect_match "$out" '"type":"wordpiece"' "tokenizer train --type wordpiece --json"
expect_match "$(head -5 "$workdir/wp/vocab.txt" | tr '\n' ' ')" '^\[PAD\] \[UNK\] \[CLS\] \[SEP\] \[MASK\] $' "specials first in vocab.txt"
expect_exit 0 -- "$lmkit" tokenize --tokenizer "$workdir/wp" --json "The Shepherd's net"
# The apostrophe never occurs in the corpus, so it is [UNK]; the rest is lowercased and split off.
expect_match "$out" '"pieces":\["the","shepherd","\[UNK\]","s","net"\]' "WordPiece lowercases and splits punctuation"

expect_exit 0 -- "$lmkit" --quiet mlm train --data "$corpus" --lines --tokenizer "$workdir/wp" --steps 6 --batch 8 \
  --seq-len 24 --val-every 3 --out "$workdir/mlm" --json
expect_match "$out" '"val_loss":[0-9.]+' "mlm train reports a validation loss"
for f in config.json model.safetensors vocab.txt tokenizer.json tokenizer_config.json training.json loss.svg; do
  expect_match "$(ls "$workdir/mlm")" "^$f$" "mlm output has $f"
done
expect_match "$(cat "$workdir/mlm/config.json")" '"BertForMaskedLM"' "config.json names BertForMaskedLM"
expect_exit 2 -- "$lmkit" mlm train --data "$corpus" --lines --tokenizer "$workdir/wp" --steps 2 --out "$workdir/mlm"
expect_match "$err" "already exists" "an existing --out is refused"

# Stopping at step 3 and resuming gives the straight run's model and optimizer, bit for bit; the
# checkpoint carries its tokenizer, so the original's absence does not matter.
mlm=("$lmkit" --quiet --threads 2 mlm train --lines --batch 8 --seq-len 24 --val-every 3)
expect_exit 0 -- "${mlm[@]}" --data "$corpus" --tokenizer "$workdir/wp" --steps 6 --out "$workdir/mlm-full"
cp -r "$workdir/wp" "$workdir/wp-moved"
expect_exit 0 -- "${mlm[@]}" --data "$corpus" --tokenizer "$workdir/wp-moved" --steps 6 --until 3 --out "$workdir/mlm-split"
expect_match "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["step"])' "$workdir/mlm-split/training.json")" '^3$' "--until 3 checkpoints at step 3"
rm -r "$workdir/wp-moved"
expect_exit 0 -- "$lmkit" --quiet --threads 2 mlm train --out "$workdir/mlm-split" --resume
for f in model.safetensors optimizer.safetensors; do
  checks=$((checks + 1))
  cmp -s "$workdir/mlm-full/$f" "$workdir/mlm-split/$f" || { echo "FAIL: resumed mlm $f differs from the straight run"; failures=$((failures + 1)); }
done
expect_exit 2 -- "$lmkit" --quiet mlm train --out "$workdir/mlm-split" --resume
expect_match "$err" "already run 6 steps" "resuming a finished run asks for more --steps"
expect_exit 0 -- "$lmkit" --quiet mlm train --out "$workdir/mlm-split" --resume --steps 8 --json
expect_match "$out" '"steps":8' "--steps with --resume trains further"
# --resume with options of its own: the model, tokenizer and sequence length cannot change (each
# named), others may, with a warning.
expect_exit 2 -- "$lmkit" --quiet mlm train --out "$workdir/mlm-split" --resume --steps 9 --config small --ctx 32
expect_match "$err" 'usage error: --config small: differs from the checkpoint in .*mlm-split/training.json, which a resumed run cannot change: config "small" \(the checkpoint.s is "tiny"\), seq_len 32 \(the checkpoint.s is 24\)' \
  "mlm train --resume names each option that cannot change"
expect_exit 0 -- "$lmkit" --threads 2 mlm train --out "$workdir/mlm-split" --resume --steps 9 --seq-len 24 --val-every 2 --json
expect_match "$err" "warning: .*mlm-split/training.json: val_every was 3; continuing with 2" "mlm train: a changed --val-every is warned about"
if grep -q "seq_len" <<<"$err"; then echo "FAIL: an unchanged --seq-len was reported: $err"; failures=$((failures + 1)); fi
expect_exit 2 -- "$lmkit" --quiet mlm train --out "$workdir/wp" --resume
expect_match "$err" "not an lmkit mlm checkpoint" "--resume on a directory that is not a checkpoint"

# Absurd batches and sequence lengths are refused with the memory estimate and the limit.
expect_exit 1 -- "$lmkit" --quiet --threads 2 mlm train --lines --seq-len 24 --data "$corpus" --tokenizer "$workdir/wp" \
  --steps 2 --batch 100000000 --out "$workdir/mlm-huge"
expect_match "$err" "error: training needs about [0-9.]+ [GT]iB for batch 100000000 × seq_len [0-9]+ .*; this process may use at most" \
  "mlm train --batch 100000000 is refused with the estimate and the limit"
expect_exit 1 -- "$lmkit" --quiet --threads 2 mlm train --lines --batch 8 --data "$corpus" --tokenizer "$workdir/wp" \
  --steps 2 --seq-len 1000000000000 --out "$workdir/mlm-huge"
expect_match "$err" "max_position_embeddings 1000000000000 is above lmkit's limit of 1048576" \
  "mlm train --seq-len 10^12 is refused before the position table is allocated"

# Fine-tuning is deterministic for a seed (same threads).
for run in 1 2; do
  expect_exit 0 -- "$lmkit" --quiet --threads 1 classify train --init "$workdir/mlm" --data "$corpus" --lines \
    --label-field kind --epochs 2 --batch 8 --seq-len 24 --lr 1e-3 --out "$workdir/cls$run" --json
  expect_match "$out" '"labels":\["a","b"\]' "classify train finds the labels"
done
expect_exit 0 -- cmp "$workdir/cls1/model.safetensors" "$workdir/cls2/model.safetensors"
expect_match "$(cat "$workdir/cls1/config.json")" '"id2label"' "the classifier's config.json has id2label"

# Label budgets: fine-tuning on N (or a fraction) of the training examples, drawn at random. The
# corpus has 100 documents of 4 lines; without --val-data a tenth is held out, leaving 360.
expect_exit 0 -- "$lmkit" --quiet --threads 1 classify train --init "$workdir/mlm" --data "$corpus" --lines \
  --label-field kind --epochs 2 --batch 8 --seq-len 24 --train-examples 10 --out "$workdir/cls-10" --json
expect_match "$out" '"labels":\["a","b"\]' "a label budget keeps every label of the data"
expect_match "$out" '"train_examples":10,' "--train-examples 10 trains on 10 examples"
expect_match "$out" '"steps":4,' "10 examples in batches of 8 for 2 epochs are 4 steps"
expect_match "$(cat "$workdir/cls-10/training.json")" '"available_examples": ?360' "training.json records the pool"
expect_exit 0 -- "$lmkit" --quiet --threads 1 classify train --tokenizer "$workdir/wp" --config tiny --data "$corpus" \
  --lines --label-field kind --epochs 1 --batch 8 --seq-len 24 --train-fraction 0.25 --out "$workdir/cls-q" --json
expect_match "$out" '"train_examples":90,' "--train-fraction 0.25 of 360 is 90 examples"
expect_match "$out" '"steps":12,' "90 examples in batches of 8 are 12 steps"
expect_exit 0 -- "$lmkit" classify baseline --data "$corpus" --test "$workdir/test.jsonl" --lines --label-field kind \
  --train-examples 30 --json
expect_match "$out" '"train_examples":30,' "the baseline takes the same label budget"
budget=("$lmkit" classify train --init "$workdir/mlm" --data "$corpus" --lines --label-field kind --out "$workdir/z")
expect_exit 2 -- "${budget[@]}" --train-examples 0
expect_match "$err" "train-examples" "--train-examples 0 is refused"
expect_exit 2 -- "${budget[@]}" --train-examples 361
expect_match "$err" "exceeds the 360 training examples" "a budget beyond the data is refused"
expect_exit 2 -- "${budget[@]}" --train-fraction 1.5
expect_match "$err" "must be in \(0, 1\]" "a fraction above 1 is refused"
expect_exit 2 -- "${budget[@]}" --train-fraction 0
expect_match "$err" "train-fraction" "a zero fraction is refused"
expect_exit 2 -- "${budget[@]}" --train-fraction -0.5
expect_exit 2 -- "${budget[@]}" --train-examples 10 --train-fraction 0.5
expect_match "$err" "not both" "a count and a fraction together are refused"
expect_exit 1 -- test -e "$workdir/z"  # no model is written for a refused budget

expect_exit 0 -- "$lmkit" --quiet classify eval --model "$workdir/cls1" --data "$workdir/test.jsonl" --lines \
  --label-field kind --json
expect_match "$out" '"examples":80' "eval reads every line of the test documents"
expect_match "$out" '"accuracy":(0(\.[0-9]+)?|1(\.0+)?)[,}]' "eval reports an accuracy"
expect_exit 0 -- "$lmkit" --quiet classify predict --model "$workdir/cls1" "the shepherd and the sheep" "a net"
expect_match "$(sed -n 2p <<<"$out")" '^\{"label":"(a|b)","probabilities":\{"a":[0-9.e-]+,"b":[0-9.e-]+\},"text":"a net"\}$' \
  "predict prints one JSON line per text"
expect_exit 0 -- "$lmkit" classify baseline --data "$corpus" --test "$workdir/test.jsonl" --lines --label-field kind --json
expect_match "$out" '"accuracy":1(\.0)?,' "naive Bayes separates the keyword classes"
expect_match "$out" '"majority_accuracy":0.5' "the majority-class floor"

# The shared corpus options: --corpus / --validation / --ctx spell --data / --val-data / --seq-len;
# --text-field and --skip-bad reach the reader.
python3 -c 'import json,sys; [print(json.dumps({"body": json.loads(l)["text"], "kind": json.loads(l)["kind"]})) for l in sys.stdin]' \
  <"$workdir/test.jsonl" | gzip >"$workdir/test-body.jsonl.gz"
expect_exit 0 -- "$lmkit" --quiet classify eval --model "$workdir/cls1" --corpus "$workdir/test-body.jsonl.gz" --text-field body \
  --lines --label-field kind --ctx 24 --json
expect_match "$out" '"examples":80' "classify eval --corpus X.gz --text-field reads every line"
{ echo '{"text": "no label"}'; echo 'not json'; cat "$workdir/test.jsonl"; } >"$workdir/test-bad.jsonl"
expect_exit 1 -- "$lmkit" --quiet classify eval --model "$workdir/cls1" --data "$workdir/test-bad.jsonl" --label-field kind
expect_exit 0 -- "$lmkit" classify eval --model "$workdir/cls1" --data "$workdir/test-bad.jsonl" --skip-bad --lines --label-field kind --json
expect_match "$out" '"examples":80,' "classify eval --skip-bad skips the unlabelled and the bad line"
expect_match "$out" '"skipped":2' "classify eval counts what it skipped"
expect_match "$err" "skipped 2 bad documents" "classify eval reports what it skipped"
expect_exit 0 -- "$lmkit" --quiet --threads 1 classify train --init "$workdir/mlm" --corpus "$workdir/test-bad.jsonl" --skip-bad \
  --validation "$workdir/test.jsonl" --lines --label-field kind --epochs 1 --batch 8 --ctx 24 --out "$workdir/cls-spelled" --json
expect_match "$out" '"skipped":2' "classify train --skip-bad counts what it skipped"
expect_exit 0 -- "$lmkit" --quiet --threads 2 mlm train --corpus "$workdir/test-body.jsonl.gz" --text-field body --lines \
  --validation "$workdir/test-body.jsonl.gz" --tokenizer "$workdir/wp" --steps 2 --batch 8 --ctx 24 --out "$workdir/mlm-spelled" --json
expect_match "$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))["options"]; print(o["seq_len"], o["corpus"]["text_field"])' "$workdir/mlm-spelled/training.json")" \
  '^24 body$' "mlm train takes --ctx and --text-field, and its checkpoint records them"

# Bad input.
expect_exit 2 -- "$lmkit" mlm train --data "$corpus" --tokenizer gpt2 --steps 1 --out "$workdir/x"
expect_match "$err" "WordPiece" "a non-WordPiece tokenizer is refused"
expect_exit 1 -- "$lmkit" classify train --init "$workdir/mlm" --data "$corpus" --label-field nope --out "$workdir/y"
expect_match "$err" "corpus.jsonl:1: the document has no field \"nope\"" "a missing label field names file and line"
expect_exit 1 -- "$lmkit" classify eval --model "$workdir/cls1" --data "$workdir/missing.jsonl"
expect_match "$err" "missing.jsonl" "a missing corpus is named"
expect_exit 2 -- "$lmkit" classify predict --model "$workdir/mlm" "text"
expect_match "$err" "not a classifier" "an MLM directory is not a classifier"
printf '{"text": "x", "kind": "c"}\n' >"$workdir/other.jsonl"
expect_exit 1 -- "$lmkit" classify eval --model "$workdir/cls1" --data "$workdir/other.jsonl" --label-field kind
expect_match "$err" 'label "c" is not one the model knows' "an unknown label is named"
finish
