#!/usr/bin/env bash
# `lmkit tokenize` / `lmkit detokenize`: ids, JSON, files and lines, round trips, and errors.
source "$(dirname "$0")/lib.sh"
lmkit=$1

expect_exit 0 -- "$lmkit" tokenize --tokenizer gpt2 "Hello world"
expect_match "$out" "^15496 995$" "GPT-2 ids of 'Hello world'"

expect_exit 0 -- "$lmkit" tokenize --tokenizer gpt2 --json "Hello world"
expect_match "$out" '"ids":\[15496,995\]' "--json ids"
expect_match "$out" '"pieces":\["Hello","Ġworld"\]' "--json pieces"

expect_exit 0 -- "$lmkit" tokenize --tokenizer gpt2 "a<|endoftext|>"
expect_match "$out" "^64 27 91 437 1659 5239 91 29$" "specials are text unless asked"
expect_exit 0 -- "$lmkit" tokenize --tokenizer gpt2 --specials "a<|endoftext|>"
expect_match "$out" "^64 50256$" "--specials"

printf 'In the beginning\nGod created\n' >"$workdir/two-lines.txt"
expect_exit 0 -- "$lmkit" tokenize --tokenizer bytes --file "$workdir/two-lines.txt" --lines
expect_match "$(sed -n 2p <<<"$out")" "^71 111 100 32 99" "--lines gives one line of ids per input line"

# Round trip through files: tokenize a file, detokenize the ids.
printf 'Caf\xc3\xa9 \xf0\x9f\x98\x80  tabs\tand\nnewlines' >"$workdir/mixed.txt"
"$lmkit" tokenize --tokenizer gpt2 --file "$workdir/mixed.txt" >"$workdir/ids.txt"
expect_exit 0 -- "$lmkit" detokenize --tokenizer gpt2 --file "$workdir/ids.txt"
expect_match "$(printf '%s' "$out" | od -An -tx1 | tr -d ' \n')" "^$(od -An -tx1 "$workdir/mixed.txt" | tr -d ' \n')$" "detokenize(tokenize(file)) == file"

expect_exit 0 -- "$lmkit" detokenize --tokenizer gpt2 --json 15496 995
expect_match "$out" '"text":"Hello world"' "detokenize --json"

expect_exit 2 -- "$lmkit" tokenize --tokenizer no-such-tokenizer "x"
expect_match "$err" "no-such-tokenizer" "an unknown tokenizer is named"
expect_exit 2 -- "$lmkit" tokenize --tokenizer gpt2 --file "$workdir/two-lines.txt" "x"
expect_match "$err" "TEXT or --file" "text and a file at once"

# One way to read input: .gz / .zst decompressed (not their compressed bytes), no text reads stdin.
printf 'Hello world' | gzip >"$workdir/hello.txt.gz"
expect_exit 0 -- "$lmkit" tokenize --tokenizer gpt2 --file "$workdir/hello.txt.gz"
expect_match "$out" "^15496 995$" "tokenize --file X.gz reads the text, not the gzip bytes"
if command -v zstd >/dev/null; then
  printf 'In the beginning\nGod created\n' | zstd -q >"$workdir/two-lines.txt.zst"
  expect_exit 0 -- "$lmkit" tokenize --tokenizer bytes --file "$workdir/two-lines.txt.zst" --lines
  expect_match "$out" "^73 110 32 116 104 101 32 98 101 103 105 110 110 105 110 103$" "tokenize --file X.zst --lines: the first line's bytes, not zstd's"
fi
expect_exit 0 -- bash -c "printf 'Hello world' | '$lmkit' tokenize --tokenizer gpt2"
expect_match "$out" "^15496 995$" "tokenize with no text reads stdin"
expect_exit 0 -- bash -c "printf 'In the beginning\nGod created\n' | '$lmkit' tokenize --tokenizer bytes --lines"
expect_match "$(sed -n 2p <<<"$out")" "^71 111 100 32 99" "--lines on stdin"

# detokenize reads what tokenize --json prints, one text or --lines.
expect_exit 0 -- bash -c "'$lmkit' tokenize --tokenizer gpt2 --json 'Hello world' | '$lmkit' detokenize --tokenizer gpt2"
expect_match "$out" "^Hello world$" "detokenize reads tokenize --json"
expect_exit 0 -- bash -c "'$lmkit' tokenize --tokenizer gpt2 --json --lines --file '$workdir/two-lines.txt' | '$lmkit' detokenize --tokenizer gpt2"
expect_match "$out" "^In the beginning$" "detokenize reads tokenize --json --lines: first line"
expect_match "$(sed -n 2p <<<"$out")" "^God created$" "detokenize reads tokenize --json --lines: second line"
expect_exit 0 -- bash -c "'$lmkit' tokenize --tokenizer gpt2 --lines --file '$workdir/two-lines.txt' | '$lmkit' detokenize --tokenizer gpt2 --lines"
expect_match "$(sed -n 2p <<<"$out")" "^God created$" "detokenize --lines: one line of ids per line of text"
expect_exit 2 -- bash -c "echo '{\"idz\": [1]}' | '$lmkit' detokenize --tokenizer gpt2"
expect_match "$err" "what .lmkit tokenize --json. prints" "a JSON document without ids is named"

# --tokenizer bytes takes any bytes: invalid UTF-8 round-trips through the ids.
printf 'ok \xff\xfe \xc3 end\x80' >"$workdir/invalid.bin"
expect_exit 0 -- "$lmkit" tokenize --tokenizer bytes --file "$workdir/invalid.bin"
expect_match "$out" "^111 107 32 255 254 32 195 32 101 110 100 128$" "invalid UTF-8 bytes are their ids"
"$lmkit" tokenize --tokenizer bytes --json --file "$workdir/invalid.bin" >"$workdir/invalid.json"
expect_exit 0 -- "$lmkit" detokenize --tokenizer bytes --file "$workdir/invalid.json"
expect_match "$(printf '%s' "$out" | od -An -tx1 | tr -d ' \n')" "^$(od -An -tx1 "$workdir/invalid.bin" | tr -d ' \n')$" "invalid UTF-8 round-trips through tokenize --json and detokenize"
expect_exit 1 -- "$lmkit" tokenize --tokenizer gpt2 --file "$workdir/missing.txt"
expect_match "$err" "missing.txt" "a missing file is named"
expect_exit 1 -- "$lmkit" detokenize --tokenizer gpt2 15496 50257
expect_match "$err" "token id 50257" "an id outside the vocabulary is named"
expect_exit 2 -- "$lmkit" detokenize --tokenizer gpt2 12 twelve
expect_match "$err" "twelve" "a word that is not an id is named"

# tokenizer train: a byte-level BPE written as tokenizer.json, loaded back by --tokenizer DIR.
for i in $(seq 1 200); do echo "And the LORD spake unto Moses, saying $i"; done >"$workdir/corpus.txt"
expect_exit 0 -- "$lmkit" --quiet tokenizer train --corpus "$workdir/corpus.txt" --lines --vocab-size 300 --out "$workdir/bpe" --json
expect_match "$out" '"vocab_size":300' "trained vocabulary size"
expect_match "$out" '"documents":200' "one document per line"
expect_exit 0 -- "$lmkit" tokenize --tokenizer "$workdir/bpe" --json "And the LORD spake"
expect_match "$out" '"count":[1-4],' "trained merges make few tokens"
expect_exit 0 -- "$lmkit" detokenize --tokenizer "$workdir/bpe" --file <(echo "$out" | sed 's/.*"ids":\(\[[0-9,]*\]\).*/\1/')
expect_match "$out" "^And the LORD spake$" "trained tokenizer round trip"
expect_exit 1 -- "$lmkit" --quiet tokenizer train --corpus "$workdir/corpus.txt" --vocab-size 300 --out "$workdir/bpe"
expect_match "$err" "bpe" "an existing output is refused and named"
printf '{"text": "fine"}\n{"text": 3}\n' >"$workdir/bad.jsonl"
expect_exit 1 -- "$lmkit" --quiet tokenizer train --corpus "$workdir/bad.jsonl" --vocab-size 300 --out "$workdir/bpe2"
expect_match "$err" "bad.jsonl:2: field \"text\" is number" "bad input names file:line"
expect_exit 0 -- "$lmkit" tokenizer train --corpus "$workdir/bad.jsonl" --vocab-size 300 --out "$workdir/bpe3" --skip-bad
expect_match "$err" "skipped 1 bad documents" "--skip-bad reports the count"
expect_exit 2 -- "$lmkit" tokenizer train --corpus "$workdir/corpus.txt" --vocab-size 100 --out "$workdir/bpe4"
expect_match "$err" "vocab-size 100" "a vocabulary too small for the bytes is a usage error"
# Named by its flag, with the range that makes sense (not CLI11's "0 to 1.8e308"), before any work.
expect_exit 2 -- "$lmkit" tokenizer train --corpus "$workdir/missing-corpus" --vocab-size 0 --out "$workdir/bpe5"
expect_match "$err" "^lmkit: usage error: --vocab-size 0: must be at least 257: byte-level BPE needs the 256 bytes plus 1 special tokens$" "--vocab-size 0"
expect_exit 2 -- "$lmkit" tokenizer train --type wordpiece --corpus "$workdir/corpus.txt" --vocab-size 5 --out "$workdir/wp5"
expect_match "$err" "--vocab-size 5: must be more than WordPiece's 5 special tokens" "wordpiece --vocab-size 5"
expect_exit 2 -- "$lmkit" tokenizer train --corpus "$workdir/corpus.txt" --vocab-size 300 --special "" --out "$workdir/bpe6"
expect_match "$err" "--special-tokens \"\": a special token must be non-empty UTF-8" "an empty special token"
expect_exit 1 -- bash -c '"$0" --quiet tokenizer train --corpus "$1" --lines --vocab-size 300 --out "$2" --json >/dev/full' "$lmkit" "$workdir/corpus.txt" "$workdir/bpe7"
expect_match "$err" "error writing to standard output" "tokenizer train --json > /dev/full"

finish
