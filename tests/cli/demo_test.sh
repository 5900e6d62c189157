#!/usr/bin/env bash
# `lmkit demo` prepares the KJV splits and summarizes them; checked against an independent count
# made here with jq-free shell tools over the files it wrote.
source "$(dirname "$0")/lib.sh"
lmkit=$1
data="$workdir/kjv"

expect_exit 0 -- "$lmkit" --quiet demo --corpus-only --data-dir "$data" --json
summary=$out
for split in train validation test; do
  [[ -s "$data/$split.jsonl" ]] || { echo "FAIL: $split.jsonl missing"; failures=$((failures + 1)); }
done
docs_train=$(wc -l <"$data/train.jsonl")
docs_valid=$(wc -l <"$data/validation.jsonl")
docs_test=$(wc -l <"$data/test.jsonl")
expect_match "$((docs_train + docs_valid + docs_test))" "^1189$" "every chapter is in exactly one split"
reported=$(python3 -c 'import json,sys; print(" ".join(str(s["documents"]) for s in json.load(sys.stdin)["splits"]))' <<<"$summary")
expect_match "$reported" "^$docs_train $docs_valid $docs_test\$" "the JSON summary counts the documents in each file"
lines_test=$(python3 -c 'import json,sys; print(sum(d["text"].count("\n") for d in map(json.loads, sys.stdin)))' <"$data/test.jsonl")
expect_match "$summary" "\"lines\":$lines_test," "the test split's line count"
# No chapter in two splits: (book, chapter) pairs are unique across all files.
dupes=$(cat "$data"/*.jsonl | grep -oE '"book":"[^"]*","chapter":[0-9]+' | sort | uniq -d | wc -l)
expect_match "$dupes" "^0$" "no chapter appears twice"
expect_match "$(head -c 300 "$data/train.jsonl")" '"text":"In the beginning God created' "Genesis 1 opens train"
# Human output has a total row; a second run reuses the data.
expect_exit 0 -- "$lmkit" --quiet demo --corpus-only --data-dir "$data"
expect_match "$out" "^total +1189 " "the human table totals 1189 documents"
finish
