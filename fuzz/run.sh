#!/usr/bin/env bash
# Runs every libFuzzer target of the fuzz preset (build/fuzz) for SECONDS each, one after the other,
# in one process each (one core). New corpus entries go to build/fuzz/corpus/<target> (the committed
# fuzz/corpus/<target> seeds are read, never written); a crash, sanitizer report, leak, timeout or
# out-of-memory leaves its input in build/fuzz/artifacts/<target>/ and fails the run. Prints one line
# per target: executions, seconds, corpus entries, and the result.
#   fuzz/run.sh SECONDS [--seed=N] [TARGET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:?usage: fuzz/run.sh SECONDS [--seed=N] [TARGET...]}
shift
seed=()
if [[ "${1:-}" == --seed=* ]]; then seed=("-seed=${1#--seed=}"); shift; fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(query tokenizer_json gpt2_bpe wordpiece_vocab model_config index_manifest corpus safetensors)
build=$root/build/fuzz
failed=0
for target in "${targets[@]}"; do
  case "$target" in
    safetensors | tokenizer_json | gpt2_bpe) max_len=16384 ;;
    *) max_len=4096 ;;
  esac
  mkdir -p "$build/corpus/$target" "$build/artifacts/$target" "$build/logs"
  log=$build/logs/$target.log
  status=0
  start=$SECONDS
  "$build/fuzz/fuzz_$target" "${seed[@]}" -max_total_time="$seconds" -max_len=$max_len -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target/" \
    "$build/corpus/$target" "$root/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$((SECONDS - start))
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if [[ $status -eq 0 ]]; then result=ok; else result="FAILED (exit $status; see $log)"; failed=1; fi
  printf '%-16s %12s executions %6s s  corpus %5s  %s\n' "$target" "${execs:-?}" "$secs" "${corp:-?}" "$result"
  [[ $status -eq 0 ]] || tail -40 "$log" >&2
done
exit $failed
