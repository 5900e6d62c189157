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

# A failure (not a usage error): the data directory cannot be created.
touch "$workdir/a-file"
expect_exit 1 -- "$lmkit" demo --data-dir "$workdir/a-file/kjv"
expect_match "$err" "a-file/kjv" "the failing path is named"

finish
