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
expect_exit 2 -- "$lmkit" tokenize --tokenizer gpt2
expect_match "$err" "TEXT or --file" "no input"
expect_exit 1 -- "$lmkit" tokenize --tokenizer gpt2 --file "$workdir/missing.txt"
expect_match "$err" "missing.txt" "a missing file is named"
expect_exit 1 -- "$lmkit" detokenize --tokenizer gpt2 15496 50257
expect_match "$err" "token id 50257" "an id outside the vocabulary is named"
expect_exit 2 -- "$lmkit" detokenize --tokenizer gpt2 12 twelve
expect_match "$err" "twelve" "a word that is not an id is named"

finish
