#!/usr/bin/env bash
# Two writers of one output, and signals mid-build: the second writer fails fast and leaves the
# first's work alone; SIGINT / SIGTERM / SIGHUP remove the build's temporaries and end lmkit with the
# signal's status, leaving complete outputs beside it intact.
source "$(dirname "$0")/lib.sh"
lmkit=$1

# A corpus that takes a few seconds to index (~16 MB of words, one document per line).
python3 - "$workdir/big.txt" <<'PY'
import random, sys
random.seed(1)
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
with open(sys.argv[1], "w") as f:
    for _ in range(400000):
        f.write(" ".join(random.choice(words) for _ in range(8)) + "\n")
PY
printf 'in the beginning was the word\n' >"$workdir/small.txt"
expect_exit 0 -- "$lmkit" --quiet index build --corpus "$workdir/small.txt" --tokenizer bytes --out "$workdir/keep"

partials() { ls -A "$1" | grep -E 'partial|\.lock$' || true; }
# wait_for_partial DIR: until a build has created its temporary directory (at most ~20 s).
wait_for_partial() {
  for _ in $(seq 200); do [[ -n "$(ls -A "$1" | grep partial)" ]] && return 0; sleep 0.1; done
  return 1
}

# Two builds of one --out at once: the second is refused at once, the first completes.
"$lmkit" --quiet index build --corpus "$workdir/big.txt" --tokenizer bytes --lines --out "$workdir/idx" \
  >"$workdir/first.out" 2>"$workdir/first.err" &
first=$!
wait_for_partial "$workdir"
expect_exit 1 -- "$lmkit" --quiet index build --corpus "$workdir/small.txt" --tokenizer bytes --out "$workdir/idx"
expect_match "$err" "another lmkit process is writing $workdir/idx" "the second build names the output"
wait $first
rc=$?
checks=$((checks + 1))
[[ $rc -eq 0 ]] || { echo "FAIL: the first build exited $rc: $(cat "$workdir/first.err")"; failures=$((failures + 1)); }
expect_exit 0 -- "$lmkit" index verify "$workdir/idx" --sample 100
expect_match "$out" "OK$" "the first build's index is complete"
expect_match "$(partials "$workdir")" '^$' "no temporaries or lock files after both"

# A signal mid-build: no debris, the signal's exit status, the complete index beside it intact.
# Job control on, so that the background build does not start with SIGINT ignored.
set -m
for sig in INT TERM HUP; do
  "$lmkit" --quiet index build --corpus "$workdir/big.txt" --tokenizer bytes --lines --out "$workdir/sig$sig" \
    >/dev/null 2>"$workdir/sig.err" &
  pid=$!
  wait_for_partial "$workdir"
  sleep 0.5
  kill -s "$sig" $pid
  wait $pid
  rc=$?
  case $sig in INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; esac
  checks=$((checks + 1))
  [[ $rc -eq $want ]] || { echo "FAIL: SIG$sig: exit $rc, expected $want"; failures=$((failures + 1)); }
  expect_match "$(partials "$workdir")" '^$' "no .partial debris after SIG$sig"
  [[ ! -e "$workdir/sig$sig" ]] || { echo "FAIL: SIG$sig left $workdir/sig$sig"; failures=$((failures + 1)); }
  expect_exit 0 -- "$lmkit" index verify "$workdir/keep"
  expect_match "$out" "OK$" "the complete index beside it is intact after SIG$sig"
done
set +m

finish
