#!/usr/bin/env bash
# `lmkit index build | info | verify` end to end: a build that queries can use, the errors a user can
# make, and corruption that verify must name.
source "$(dirname "$0")/lib.sh"
lmkit=$1

printf '{"text": "in the beginning was the word", "id": 1}\n{"text": "and the word was with god", "id": 2}\n' >"$workdir/c.jsonl"
expect_exit 0 -- "$lmkit" --quiet index build --corpus "$workdir/c.jsonl" --tokenizer bytes --out "$workdir/idx" --json
expect_match "$out" '"documents":2' "two documents indexed"
expect_match "$out" '"tokens":54' "54 byte tokens (29 + 25)"
expect_exit 0 -- "$lmkit" count --index "$workdir/idx" "the word"
expect_match "$out" "^2 occurrences" "the new index answers a count"
expect_exit 0 -- "$lmkit" index info "$workdir/idx" --json
expect_match "$out" '"token_width":1' "info reports 1-byte tokens"
expect_exit 0 -- "$lmkit" index verify "$workdir/idx"
expect_match "$out" "OK$" "a fresh index verifies"

expect_match "$(head -n 1 "$workdir/idx/metadata.0")" '"linenum":0,"metadata":\{"id":1\}' "Infini-gram's metadata line"
expect_exit 0 -- "$lmkit" --quiet index build --corpus "$workdir/c.jsonl" --tokenizer bytes --token-width 2 \
  --max-shard-tokens 40 --out "$workdir/wide"
expect_exit 0 -- "$lmkit" index info "$workdir/wide" --json
expect_match "$out" '"token_width":2' "--token-width 2 gives 2-byte tokens"
expect_match "$out" '"id":"1"' "--max-shard-tokens 40 gives two shards"
expect_exit 0 -- "$lmkit" index verify "$workdir/wide" --sample 20
expect_match "$out" "OK$" "the 2-byte sharded index verifies (sampled)"
expect_exit 2 -- "$lmkit" index build --corpus "$workdir/c.jsonl" --tokenizer bytes --token-width 3 --out "$workdir/w3"
expect_match "$err" "token-width" "a bad --token-width is named"

# Errors: an existing output, an empty corpus, a missing corpus, a tokenizer that does not exist.
expect_exit 1 -- "$lmkit" index build --corpus "$workdir/c.jsonl" --tokenizer bytes --out "$workdir/idx"
expect_match "$err" "already exists" "an existing output is refused"
: >"$workdir/empty.txt"
expect_exit 1 -- "$lmkit" index build --corpus "$workdir/empty.txt" --tokenizer bytes --out "$workdir/idx2"
expect_match "$err" "empty|no documents" "an empty corpus is refused"
[[ ! -e "$workdir/idx2" ]] || { echo "FAIL: a failed build left $workdir/idx2"; failures=$((failures + 1)); }
expect_exit 1 -- "$lmkit" index build --corpus "$workdir/nope.jsonl" --tokenizer bytes --out "$workdir/idx3"
expect_match "$err" "nope.jsonl" "a missing corpus is named"
expect_exit 2 -- "$lmkit" index build --corpus "$workdir/c.jsonl" --tokenizer no-such-tokenizer --out "$workdir/idx4"
expect_match "$err" "no-such-tokenizer" "an unknown tokenizer is named"
leftovers=$(ls -A "$workdir" | grep -c partial || true)
expect_match "$leftovers" "^0$" "no temporary directories are left behind"

# Non-ASCII text: byte pieces that split a character are shown escaped, never an exception, and ntd
# prints nothing before an error.
printf '{"text": "日本語 日本"}\n' >"$workdir/ja.jsonl"
expect_exit 0 -- "$lmkit" --quiet index build --corpus "$workdir/ja.jsonl" --tokenizer bytes --out "$workdir/ja"
expect_exit 0 -- "$lmkit" count --index "$workdir/ja" "日本"
expect_match "$out" '^2 occurrences of "\\xe6" "\\x97" "\\xa5" "\\xe6" "\\x9c" "\\xac" \(6 tokens\)' "count of 日本"
expect_exit 0 -- "$lmkit" ntd --index "$workdir/ja" "日"
expect_match "$out" '^prompt_cnt 2, 1 distinct' "ntd of 日 counts"
expect_match "$out" '"\\xe6"' "ntd shows the next byte piece escaped"
expect_exit 0 -- "$lmkit" infgram ntd --index "$workdir/ja" "日"
expect_match "$out" '"\\xe6"' "infgram ntd shows the byte piece escaped"
expect_exit 0 -- "$lmkit" search --index "$workdir/ja" --max-disp-len 4 "本"
expect_match "$out" "^2 occurrences" "search of 本"
expect_exit 0 -- "$lmkit" search --index "$workdir/ja" --max-disp-len 4 --json "本"
expect_match "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["cnt"])' "$out" 2>&1)" "^2$" "search --json over a window that splits characters is valid JSON"

# Messages: a missing index is missing; library limits are named by their flags.
expect_exit 1 -- "$lmkit" index info "$workdir/nope"
expect_match "$err" "nope: no such directory" "index info of a missing directory"
expect_exit 1 -- "$lmkit" index verify "$workdir/nope"
expect_match "$err" "nope: no such directory" "index verify of a missing directory"
expect_exit 2 -- "$lmkit" index build --corpus "$workdir/c.jsonl" --tokenizer bytes --mem -1 --out "$workdir/m"
expect_match "$err" "usage error: --mem -1: " "a negative --mem names the flag"
expect_exit 2 -- "$lmkit" index build --corpus "$workdir/c.jsonl" --tokenizer bytes --max-shard-tokens -1 --out "$workdir/m"
expect_match "$err" "max-shard-tokens" "a negative --max-shard-tokens is a usage error"
expect_exit 2 -- "$lmkit" index verify "$workdir/wide" --sample -1
expect_match "$err" "sample" "a negative --sample is a usage error"

# verify --sample 2^64 - 1 ends: it checks each of the pairs once.
expect_exit 0 -- timeout 60 "$lmkit" index verify "$workdir/wide" --sample 18446744073709551615 --json
expect_match "$out" '"pairs_checked":54' "a huge sample checks the 56 - 2 pairs of two shards"

# A corrupt manifest fails verify; a missing middle shard fails at open.
cp -r "$workdir/wide" "$workdir/wide-bad"
python3 -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); m["shards"][0]["documents"]=5; json.dump(m,open(p,"w"))' "$workdir/wide-bad/lmkit.json"
expect_exit 1 -- "$lmkit" index verify "$workdir/wide-bad"
expect_match "$out" "shard 0 states documents 5, but offset.0 has 1" "verify checks the manifest's document count"
python3 -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); m["shards"][0]["documents"]=1; m["shards"][1]["pointer_width"]=0; json.dump(m,open(p,"w"))' "$workdir/wide-bad/lmkit.json"
expect_exit 1 -- "$lmkit" index verify "$workdir/wide-bad"
expect_match "$out" 'field "pointer_width" is 0; expected an integer from 1 to 8' "verify refuses pointer width 0"
printf '{"text": "a b"}\n{"text": "c d"}\n{"text": "e f"}\n' >"$workdir/three.jsonl"
expect_exit 0 -- "$lmkit" --quiet index build --corpus "$workdir/three.jsonl" --tokenizer bytes --max-shard-tokens 4 --out "$workdir/three"
rm "$workdir/three/lmkit.json" "$workdir/three/"*.1
expect_exit 1 -- "$lmkit" count --index "$workdir/three" "a"
expect_match "$err" "shard 1 is missing" "a gap in the shard numbering is an error at open"

# Corruption: flip a byte of the token array; verify names the file and exits 1.
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[5]^=0x20; open(p,"wb").write(b)' "$workdir/idx/tokenized.0"
expect_exit 1 -- "$lmkit" index verify "$workdir/idx"
expect_match "$out$err" "tokenized.0" "verify names the corrupt file"
# One endless document (/dev/zero) is refused at the maximum document size (64 MiB by default), in
# bounded memory (peak RSS measured by /usr/bin/time; AddressSanitizer's shadow memory adds its own),
# and leaves no output behind.
rss_limit_kb=$((512 * 1024))
ldd "$lmkit" | grep -q libasan && rss_limit_kb=$((1536 * 1024))
expect_exit 1 -- /usr/bin/time -f %M -o "$workdir/zero.rss" timeout 120 "$lmkit" --quiet index build \
  --corpus /dev/zero --tokenizer bytes --out "$workdir/zero"
expect_match "$err" "/dev/zero:1: the (document|line) is longer than max_document_bytes = 67108864 bytes" \
  "index build --corpus /dev/zero names the document size limit"
peak_kb=$(tail -n 1 "$workdir/zero.rss")
checks=$((checks + 1))
if ! [[ "$peak_kb" =~ ^[0-9]+$ ]] || (( peak_kb >= rss_limit_kb )); then
  echo "FAIL: index build --corpus /dev/zero peaked at ${peak_kb} KiB, limit ${rss_limit_kb} KiB"
  failures=$((failures + 1))
fi
checks=$((checks + 1))
if compgen -G "$workdir/zero*" | grep -qv 'zero.rss$'; then
  echo "FAIL: index build --corpus /dev/zero left $(compgen -G "$workdir/zero*" | tr '\n' ' ')"
  failures=$((failures + 1))
fi
checks=$((checks + 1))
if compgen -G "$workdir/.zero*" >/dev/null; then
  echo "FAIL: index build --corpus /dev/zero left $(compgen -G "$workdir/.zero*" | tr '\n' ' ')"
  failures=$((failures + 1))
fi

finish
