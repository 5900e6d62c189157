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

expect_exit 1 -- "$lmkit" count --index "$index" "the"
expect_match "$err" "tokenizer" "text without a tokenizer is refused"
# A missing index is reported as missing, not as "not a directory".
expect_exit 1 -- "$lmkit" count --index "$workdir/no-such-index" --ids 1
expect_match "$err" "no-such-index: no such directory" "a missing index is reported as missing"

# Invalid UTF-8 in a request: a valid JSON error reply, and the stream goes on.
printf '{"query_type": "count", "query": "\xff\xfe"}\n{"query_type": "count", "query": "the"}\n' >"$workdir/bad-utf8"
expect_exit 0 -- "$lmkit" query --index "$index" --tokenizer bytes <"$workdir/bad-utf8"
mapfile -t lines <<<"$out"
expect_match "${#lines[@]}" "^2$" "one reply per line, invalid UTF-8 included"
expect_match "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["error"][:8])' "${lines[0]}" 2>&1)" "^request" "the reply to invalid UTF-8 is a valid JSON error"
expect_match "${lines[1]}" "\"count\":$(count_of the)," "the next request is answered"

# Request size limit: a long line gets an error in bounded memory, the next line is served.
python3 -c 'print("{\"query_type\": \"count\", \"query\": \"" + "a" * 5000000 + "\"}"); print("{\"query_type\": \"count\", \"query\": \"the\"}")' >"$workdir/long"
expect_exit 0 -- "$lmkit" query --index "$index" --tokenizer bytes --max-request-bytes 1000 <"$workdir/long"
mapfile -t lines <<<"$out"
expect_match "${lines[0]}" '"error":"request: the line has 5000036 bytes; at most 1000' "a line over the limit is refused by size"
expect_match "${lines[1]}" "\"count\":$(count_of the)," "the request after a long line is answered"
peak=$( { /usr/bin/time -f '%M' "$lmkit" query --index "$index" --tokenizer bytes <"$workdir/long" >/dev/null; } 2>&1 | tail -n 1)
# Against the same binary's peak for a one-line request (sanitizer builds start far higher): the 5 MB
# line may add little, where reading it whole used to cost ~50x its size.
echo '{"query_type": "count", "query": "a"}' >"$workdir/short"
base=$( { /usr/bin/time -f '%M' "$lmkit" query --index "$index" --tokenizer bytes <"$workdir/short" >/dev/null; } 2>&1 | tail -n 1)
expect_match "$((peak < base + 20000))" "^1$" "a 5 MB line over the default 1 MiB limit is not held in memory (peak ${peak} KiB, ${base} KiB for a short line)"
expect_exit 0 -- "$lmkit" query --index "$index" --tokenizer bytes --max-query-tokens 2 <<<'{"query_type": "count", "query": "the"}'
expect_match "$out" '"error":"request: the query has 3 tokens; at most 2' "the query length in tokens is capped"

# Write errors on stdout end the command with exit 1.
expect_exit 1 -- bash -c "'$lmkit' query --index '$index' --tokenizer bytes <<<'{\"query_type\": \"count\", \"query\": \"the\"}' >/dev/full"
expect_match "$err" "cannot write" "a failed write is reported"

# Non-ASCII text through the human front-ends: pieces that split a character are shown as bytes.
expect_exit 0 -- "$lmkit" count --index "$index" --tokenizer bytes "日本語"
expect_match "$out" '^0 occurrences of "\\xe6" "\\x97" "\\xa5" ' "count of non-ASCII text shows its byte pieces"
expect_exit 0 -- "$lmkit" count --index "$index" --tokenizer bytes --json "日本"
expect_match "$out" '"count":0' "count --json of non-ASCII text"
expect_exit 0 -- "$lmkit" prob --index "$index" --tokenizer bytes "日本"
expect_match "$out" 'P\("\\xac" \| "\\xe6"' "prob of non-ASCII text"

# Usage errors name the flag as given; negative values to unsigned options are refused.
expect_exit 2 -- "$lmkit" search --index "$index" --tokenizer bytes --maxnum 1000 "earth"
expect_match "$err" "--maxnum 1000: must be within \[1, 100\]" "an out-of-range --maxnum names the flag"
expect_exit 2 -- "$lmkit" search --index "$index" --tokenizer bytes --maxnum -1 "earth"
expect_match "$err" "maxnum" "a negative --maxnum is a usage error"
expect_exit 2 -- "$lmkit" ntd --index "$index" --tokenizer bytes --max-support -5 "th"
expect_match "$err" "max-support" "a negative --max-support is a usage error"
expect_exit 2 -- "$lmkit" count --index "$index" --ids 1,-2
expect_match "$err" "ids" "a negative id is a usage error"
expect_exit 2 -- "$lmkit" query --index "$index" --max-request-bytes -1 </dev/null
expect_match "$err" "max-request-bytes" "a negative --max-request-bytes is a usage error"

# infgram score --file decompresses, and "-" reads stdin: the same figures as the plain file.
printf 'the earth and the heaven' >"$workdir/doc.txt"
gzip -c "$workdir/doc.txt" >"$workdir/doc.txt.gz"
expect_exit 0 -- "$lmkit" infgram score --index "$index" --tokenizer bytes --json --file "$workdir/doc.txt"
plain=$(sed 's/"tokens_per_second":[^,}]*//' <<<"$out")
expect_exit 0 -- "$lmkit" infgram score --index "$index" --tokenizer bytes --json --file "$workdir/doc.txt.gz"
expect_match "$(sed 's/"tokens_per_second":[^,}]*//' <<<"$out")" "^$(sed 's/[][\.*^$]/\\&/g' <<<"$plain")$" "score of a .gz file equals the plain file's"
expect_exit 0 -- bash -c "'$lmkit' infgram score --index '$index' --tokenizer bytes --json --file - <'$workdir/doc.txt'"
expect_match "$out" '"tokens":24' "score --file - reads stdin"
# The shared corpus options: --data (the one name), --lines, --format / --text-field.
printf 'the earth\nand the heaven\n' >"$workdir/two.txt"
expect_exit 0 -- "$lmkit" infgram score --index "$index" --tokenizer bytes --json --data "$workdir/two.txt" --lines
expect_match "$out" '^\{"documents":\[\{[^]]*\},\{[^]]*\}\]' "score --data F --lines: one document per line"
printf '{"body": "the earth"}\n' >"$workdir/body.log"
expect_exit 0 -- "$lmkit" infgram score --index "$index" --tokenizer bytes --json --data "$workdir/body.log" --format jsonl --text-field body
expect_match "$out" '"tokens":9,' "score --format jsonl --text-field body"

# A corrupt suffix array: errors naming the shard and rank, never a crash.
python3 -c 'import sys; p=sys.argv[1]; n=len(open(p,"rb").read()); open(p,"wb").write(b"\xff"*n)' "$index/table.1"
expect_exit 1 -- "$lmkit" count --index "$index" --tokenizer bytes "light"
expect_match "$err" "shard 1: suffix array entry .* \(table rank [0-9]+\)" "count on a corrupt table names shard and rank"
expect_exit 0 -- "$lmkit" query --index "$index" --tokenizer bytes <<<'{"query_type": "count", "query": "light"}
{"query_type": "count", "query": ""}'
mapfile -t lines <<<"$out"
expect_match "${lines[0]}" '"error":".*table rank' "query on a corrupt table answers an error"
expect_match "${lines[1]}" '"count":' "and serves on"
finish
