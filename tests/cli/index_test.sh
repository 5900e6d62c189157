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

# Corruption: flip a byte of the token array; verify names the file and exits 1.
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[5]^=0x20; open(p,"wb").write(b)' "$workdir/idx/tokenized.0"
expect_exit 1 -- "$lmkit" index verify "$workdir/idx"
expect_match "$out$err" "tokenized.0" "verify names the corrupt file"
finish
