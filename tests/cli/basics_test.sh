#!/usr/bin/env bash
# The command's contract: --help, --version, usage errors exit 2, failures exit 1, messages name inputs.
source "$(dirname "$0")/lib.sh"
lmkit=$1

expect_exit 0 -- "$lmkit" --help
expect_match "$out" "demo" "--help lists the demo command"
expect_match "$out" "--quiet" "--help lists --quiet"

expect_exit 0 -- "$lmkit" --version
expect_match "$out" "^lmkit [0-9]+\.[0-9]+\.[0-9]+" "--version"

expect_exit 2 -- "$lmkit"
expect_match "$err" "subcommand" "no subcommand"

expect_exit 2 -- "$lmkit" frobnicate
expect_match "$err" "frobnicate" "an unknown subcommand is named"

expect_exit 2 -- "$lmkit" demo --no-such-flag
expect_match "$err" "no-such-flag" "an unknown flag is named"

expect_exit 2 -- "$lmkit" --threads -3 demo
expect_match "$err" "threads" "a bad --threads value is named"

# --threads is capped: tens of thousands of threads exhaust the machine.
expect_exit 2 -- "$lmkit" --threads 100000 tokenize --tokenizer bytes x
expect_match "$err" "--threads 100000: must be at most [0-9]+" "too many threads are refused with the maximum"
expect_exit 0 -- "$lmkit" --threads 3 tokenize --tokenizer bytes x
expect_match "$out" "^120$" "a thread count within the cap works"

# Negative values of unsigned options are usage errors in every command (CLI11 alone wraps them to 2^64 - n).
expect_exit 2 -- "$lmkit" train --steps -5
expect_match "$err" "--steps: -5 is negative" "train --steps -5"
expect_exit 2 -- "$lmkit" generate --max-new-tokens -3
expect_match "$err" "--max-new-tokens: -3 is negative" "generate --max-new-tokens -3"
expect_exit 2 -- "$lmkit" index verify --sample -1
# index verify has its own non-negative check, which runs before the central one; either names flag and value.
expect_match "$err" "--sample: (-1 is negative|must not be negative, got -1)" "index verify --sample -1"
expect_exit 2 -- "$lmkit" tokenizer train --vocab-size " -300" --corpus x --out y
expect_match "$err" "--vocab-size: +-300 is negative" "a sign after spaces"

# A failed write on stdout is a failure (exit 1, named), not a silent success.
for args in "tokenize --tokenizer bytes hello" "tokenize --tokenizer bytes --json hello" "detokenize --tokenizer bytes 104 105"; do
  expect_exit 1 -- bash -c "\"\$0\" $args >/dev/full" "$lmkit"
  expect_match "$err" "error writing to standard output: No space left on device" "$args > /dev/full"
done

# A failure (not a usage error): the data directory cannot be created.
touch "$workdir/a-file"
expect_exit 1 -- "$lmkit" demo --data-dir "$workdir/a-file/kjv"
expect_match "$err" "a-file/kjv" "the failing path is named"

finish
