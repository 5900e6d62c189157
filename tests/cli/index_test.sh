#!/usr/bin/env bash
# `lmkit index build | info | verify` end to end: a small JSONL corpus indexed with the bytes
# tokenizer, described, verified, corrupted and verified again; bad input gives clear errors.
source "$(dirname "$0")/lib.sh"
lmkit=$1

corpus="$workdir/corpus.jsonl"
printf '%s\n' '{"text": "in the beginning", "id": 1}' '{"text": "the end", "id": 2}' \
  '{"text": "beginning and end", "id": 3}' > "$corpus"

expect_exit 0 -- "$lmkit" --quiet index build --corpus "$corpus" --tokenizer bytes --out "$workdir/idx" --json
expect_match "$out" '"documents":3' "build reports 3 documents"
expect_match "$out" '"tokens":40' "build reports 16 + 7 + 17 tokens"

# Layout: 43 token positions of 1 byte, 1-byte pointers, 3 u64 offsets.
expect_match "$(stat -c %s "$workdir/idx/tokenized.0")" '^43$' "tokenized.0 size"
expect_match "$(stat -c %s "$workdir/idx/table.0")" '^43$' "table.0 size"
expect_match "$(stat -c %s "$workdir/idx/offset.0")" '^24$' "offset.0 size"
expect_match "$(head -c 1 "$workdir/idx/tokenized.0" | od -An -tx1)" 'ff' "tokenized.0 starts with a separator"
expect_match "$(sed -n 2p "$workdir/idx/metadata.0")" '"linenum":1,"metadata":\{"id":2\}' "metadata line of document 2"

expect_exit 0 -- "$lmkit" index info "$workdir/idx" --json
expect_match "$out" '"tokenizer":"bytes"' "info: tokenizer"
expect_match "$out" '"token_width":1' "info: token width"
expect_match "$out" '"manifest":true' "info: manifest"

expect_exit 0 -- "$lmkit" --quiet index verify "$workdir/idx"
expect_match "$out" 'OK' "verify: intact index"

# Without the manifest (an Infini-gram index): info infers the widths.
cp -r "$workdir/idx" "$workdir/bare"
rm "$workdir/bare/lmkit.json"
expect_exit 0 -- "$lmkit" index info "$workdir/bare"
expect_match "$out" 'inferred' "info says widths were inferred"
expect_match "$out" '1-byte tokens' "info infers 1-byte tokens"

# Corruption: a changed token is named by its file.
printf 'X' | dd of="$workdir/idx/tokenized.0" bs=1 seek=5 conv=notrunc status=none
expect_exit 1 -- "$lmkit" --quiet index verify "$workdir/idx"
expect_match "$out" 'tokenized.0: CRC-32' "verify names the changed file"
expect_match "$err" 'corrupt' "verify fails"

# Bad input.
expect_exit 1 -- "$lmkit" --quiet index build --corpus "$corpus" --tokenizer bytes --out "$workdir/bare"
expect_match "$err" 'already exists' "an existing output is refused"
: > "$workdir/empty.jsonl"
expect_exit 1 -- "$lmkit" --quiet index build --corpus "$workdir/empty.jsonl" --tokenizer bytes --out "$workdir/e"
expect_match "$err" 'no documents' "an empty corpus is refused"
[[ ! -e "$workdir/e" ]] || { echo "FAIL: a failed build left $workdir/e"; failures=$((failures + 1)); }
expect_exit 2 -- "$lmkit" index build --corpus "$corpus" --tokenizer bytes --out "$workdir/w" --token-width 3
expect_match "$err" 'token-width' "a bad token width is named"

# Sharding: at most 20 positions per shard gives 3 shards of one document each.
expect_exit 0 -- "$lmkit" --quiet index build --corpus "$corpus" --tokenizer bytes --out "$workdir/sharded" \
  --max-shard-tokens 20 --json
expect_match "$out" '"id":2' "three shards"
expect_exit 0 -- "$lmkit" --quiet index verify "$workdir/sharded" --sample 10
expect_match "$out" 'sampled' "sampled verify"

finish
