# Helpers for the CLI tests: each check prints what it expected and what it got when it fails.
set -u
failures=0
checks=0
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

# expect_exit CODE -- COMMAND...: runs COMMAND, keeps stdout/stderr in $out/$err.
expect_exit() {
  local want=$1; shift; shift
  checks=$((checks + 1))
  "$@" >"$workdir/out" 2>"$workdir/err"
  local got=$?
  out=$(cat "$workdir/out"); err=$(cat "$workdir/err")
  if [[ $got -ne $want ]]; then
    echo "FAIL: '$*' exited $got, expected $want"; echo "  stdout: $out"; echo "  stderr: $err"
    failures=$((failures + 1))
  fi
}

# expect_match TEXT PATTERN WHAT
expect_match() {
  checks=$((checks + 1))
  if ! grep -qE -- "$2" <<<"$1"; then
    echo "FAIL: $3 should match /$2/, got: $1"; failures=$((failures + 1))
  fi
}

finish() {
  echo "$((checks - failures)) passed, $failures failed"
  [[ $failures -eq 0 ]]
}
