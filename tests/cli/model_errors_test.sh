#!/usr/bin/env bash
# Corrupt model directories: absurd or mistyped config.json sizes are errors naming the file, the
# field and the value as written, found before anything is allocated (memory is capped here so that
# a runaway allocation fails the test instead of the machine).
source "$(dirname "$0")/lib.sh"
lmkit=$1

corpus="$workdir/corpus.txt"
for i in $(seq 1 20); do echo "In the beginning God created the heaven and the earth."; done >"$corpus"
echo '{"n_layer": 1, "n_head": 2, "n_embd": 16, "n_positions": 32}' >"$workdir/micro.json"
expect_exit 0 -- "$lmkit" --quiet --threads 2 train --data "$corpus" --tokenizer bytes --config "$workdir/micro.json" \
  --batch 2 --ctx 16 --steps 1 --out "$workdir/good"

# with_config FIELD VALUE: a copy of the good model whose config.json has FIELD set to VALUE (JSON text).
with_config() {
  rm -rf "$workdir/bad" && cp -r "$workdir/good" "$workdir/bad"
  python3 - "$workdir/bad/config.json" "$1" "$2" <<'PY'
import json, sys
path, key, value = sys.argv[1:]
config = json.load(open(path))
config[key] = json.loads(value)
open(path, "w").write(json.dumps(config))
PY
}

# A cap on address space turns a runaway allocation into a quick failure; AddressSanitizer reserves
# terabytes of shadow memory at start, so a sanitized binary runs without the cap.
memory_cap=4000000
ldd "$lmkit" | grep -q libasan && memory_cap=unlimited
generate=(--quiet --threads 2 generate --model "$workdir/bad" --prompt "In" --max-new-tokens 2)
check_field() {  # FIELD VALUE EXPECTED-PATTERN
  with_config "$1" "$2"
  expect_exit 1 -- bash -c 'ulimit -v "$0"; exec "$@"' "$memory_cap" "$lmkit" "${generate[@]}"
  expect_match "$err" "$3" "config.json $1 = $2 is refused"
}
check_field n_layer -1 'bad/config.json: field "n_layer" is -1; expected an integer from 1 to 1024'
check_field n_layer 1e9 'field "n_layer" is 1000000000.0; expected an integer from 1 to 1024'
check_field n_layer 1000 'n_layer is 1000 but .*model.safetensors holds 1 layer'
check_field n_positions 1099511627776 'field "n_positions" is 1099511627776; expected an integer from 1 to 1048576'
check_field n_positions 4096 'n_positions is 4096 but .*"transformer.wpe.weight" has shape \(32, 16\)'
check_field n_embd -128 'field "n_embd" is -128;'
check_field n_head '"2"' 'field "n_head" is "2" \(a string\)'
check_field vocab_size 1000000000000 'field "vocab_size" is 1000000000000;'

finish
