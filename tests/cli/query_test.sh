#!/usr/bin/env bash
# The ∞-gram query commands end to end over a tiny index written by make_tiny_index.py: `lmkit query`
# answers JSON lines (errors included, serving on), and the human front-ends print the same figures.
source "$(dirname "$0")/lib.sh"
lmkit=$1
index="$workdir/index"
mkdir -p "$index"
python3 "$(dirname "$0")/make_tiny_index.py" "$index"

# Counts by a plain substring scan of the same texts (byte tokens: substring occurrences).
count_of() {
  python3 -c 'import sys; from make_tiny_index import SHARDS
t = sys.argv[1]; print(sum(sum(1 for i in range(len(d)) if d.startswith(t, i)) for s in SHARDS for d in s))' "$1"
}
export PYTHONPATH="$(dirname "$0")"

requests='{"query_type": "count", "query": "the"}
{"query_type": "count", "query": "the", oops}
{"query_type": "count", "query_ids": [65535]}
{"query_type": "prob", "query": ""}
{"query_type": "infgram_prob", "query": "xyz light"}
{"query_type": "get_doc_by_ix", "doc_ix": 2}'
expect_exit 0 -- "$lmkit" query --index "$index" --tokenizer bytes <<<"$requests"
mapfile -t lines <<<"$out"
expect_match "${#lines[@]}" "^6$" "one response per request"
expect_match "${lines[0]}" "\"count\":$(count_of the)," "count of 'the' matches a substring scan"
expect_match "${lines[1]}" '"error":"request: .*parse' "malformed JSON gets an error"
expect_match "${lines[2]}" '"error":".*separator' "the separator id is refused by name"
expect_match "${lines[3]}" '"error":".*empty' "an empty prob query is refused"
expect_match "${lines[4]}" '"suffix_len":5' "infgram backs off from 'xyz ligh' to ' ligh'"
expect_match "${lines[5]}" '"text":"And God said, Let there be light: and there was light."' "get_doc_by_ix"

expect_exit 0 -- "$lmkit" count --index "$index" --tokenizer bytes "light"
expect_match "$out" "^$(count_of light) occurrences" "lmkit count"
expect_exit 0 -- "$lmkit" count --index "$index" --tokenizer bytes --json "light"
expect_match "$out" "\"count\":$(count_of light)," "lmkit count --json"
expect_exit 0 -- "$lmkit" prob --index "$index" --tokenizer bytes "ligh"
expect_match "$out" "= $(count_of ligh)/$(count_of lig) = 1" "lmkit prob: P(h | lig)"
expect_exit 0 -- "$lmkit" prob --index "$index" --tokenizer bytes "qqq"
expect_match "$out" "undefined" "an unseen prompt has no probability"
expect_exit 0 -- "$lmkit" ntd --index "$index" --tokenizer bytes "th"
expect_match "$out" "prompt_cnt $(count_of th)," "lmkit ntd"
expect_exit 0 -- "$lmkit" infgram ntd --index "$index" --tokenizer bytes "zzz the e"
expect_match "$out" "suffix_len 6" "lmkit infgram ntd"
expect_exit 0 -- "$lmkit" infgram prob --index "$index" --tokenizer bytes "the end"
expect_match "$out" "suffix_len 6" "lmkit infgram prob"
expect_exit 0 -- "$lmkit" infgram score --index "$index" --tokenizer bytes --per-token "the earth"
expect_match "$out" "1 documents, 9 tokens" "lmkit infgram score"
expect_exit 0 -- "$lmkit" search --index "$index" --tokenizer bytes --maxnum 2 "earth"
expect_match "$out" "^$(count_of earth) occurrences" "lmkit search counts"
expect_match "$out" '"shard": 0' "lmkit search shows metadata"

expect_exit 1 -- "$lmkit" count --index "$workdir/no-such-index" --ids 1
expect_match "$err" "no-such-index" "a missing index is named"
expect_exit 1 -- "$lmkit" count --index "$index" "the"
expect_match "$err" "tokenizer" "text without a tokenizer is refused"
finish
