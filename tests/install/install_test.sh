#!/usr/bin/env bash
# `cmake --install` end to end: installs the release build into a temporary prefix, checks the layout,
# finds GPT-2's files from the installed tree, builds examples/ against it with find_package and with
# pkg-config, and runs them from another directory against the CLI's answers on a tiny index and model.
#   install_test.sh BUILD_DIR SOURCE_DIR CMAKE
source "$(dirname "$0")/../cli/lib.sh"
build=$1 source_dir=$2 cmake=$3
prefix="$workdir/prefix"
expect_exit 0 -- "$cmake" --install "$build" --prefix "$prefix"
for f in bin/lmkit include/lmkit/api/version.hpp include/lmkit/ngram/open.hpp lib/liblmkit_util.a lib/liblmkit_api.a \
         lib/cmake/lmkit/lmkitConfig.cmake lib/pkgconfig/lmkit.pc share/lmkit/gpt2/encoder.json \
         share/lmkit/gpt2/vocab.bpe share/doc/lmkit/README.md share/doc/lmkit/architecture.md; do
  checks=$((checks + 1))
  [[ -s "$prefix/$f" ]] || { echo "FAIL: $f is not installed"; failures=$((failures + 1)); }
done
# Every lmkit header an installed header includes is installed too; internal ones only when needed.
missing=$(cd "$prefix/include" && grep -rhoE '^#include "lmkit/[^"]+"' . | sed -E 's/#include "(.*)"/\1/' | sort -u |
          while read -r h; do [[ -f "$h" ]] || echo "$h"; done)
expect_match "${missing:-none}" "^none$" "the installed headers include only installed headers"

# --tokenizer gpt2 from the installed data directory, run from elsewhere: a copy with the ids of
# "Hello" and "Ġworld" swapped tells that copy from the source tree's.
python3 - "$prefix/share/lmkit/gpt2/encoder.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); e["Hello"], e["\u0120world"] = e["\u0120world"], e["Hello"]
json.dump(e, open(sys.argv[1], "w"))
PY
mkdir -p "$workdir/elsewhere"; cd "$workdir/elsewhere" || exit 1
expect_exit 0 -- env -u LMKIT_DATA "$prefix/bin/lmkit" tokenize --tokenizer gpt2 "Hello world"
expect_match "$out" "^995 15496$" "the installed lmkit reads the installed gpt2 files"
mv "$prefix" "$workdir/moved"; prefix="$workdir/moved"
expect_exit 0 -- "$prefix/bin/lmkit" tokenize --tokenizer gpt2 "Hello world"
expect_match "$out" "^995 15496$" "a moved installed tree still finds its gpt2 files"
expect_exit 1 -- "$prefix/bin/lmkit" tokenize --tokenizer "$workdir/none/tokenizer.json" "x"
expect_match "$err" "none/tokenizer.json: no such file" "a missing tokenizer path is a missing file"

# A tiny index and model made with the just-built lmkit.
lmkit="$prefix/bin/lmkit"
for i in $(seq 1 30); do echo "And God said, Let there be light: and there was light. $i"; done >"$workdir/corpus.txt"
expect_exit 0 -- "$lmkit" --quiet index build --corpus "$workdir/corpus.txt" --lines --tokenizer bytes --out "$workdir/idx"
echo '{"n_layer": 1, "n_head": 2, "n_embd": 16, "n_positions": 32}' >"$workdir/micro.json"
expect_exit 0 -- "$lmkit" --quiet --threads 2 train --data "$workdir/corpus.txt" --tokenizer bytes --config "$workdir/micro.json" \
  --batch 4 --ctx 16 --steps 6 --seed 7 --out "$workdir/model"

# The examples, built both ways (three small files each).
cp "$source_dir"/examples/*.cpp "$source_dir/examples/CMakeLists.txt" "$workdir/elsewhere/"
expect_exit 0 -- "$cmake" -S . -B cm -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix"
expect_exit 0 -- "$cmake" --build cm -j 2
mkdir -p pc
for example in count generate hybrid_score; do
  expect_exit 0 -- bash -c "c++ -std=c++20 -O1 $example.cpp -o pc/$example \$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs lmkit)"
done
declare -A score
for way in cm pc; do
  expect_exit 0 -- "$lmkit" count --index "$workdir/idx" --json "light"
  want=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])' <<<"$out")
  expect_exit 0 -- "$way/count" "$workdir/idx" "light"
  expect_match "$out" "^$want$" "$way/count agrees with lmkit count ($want)"
  expect_exit 0 -- "$lmkit" --quiet generate --model "$workdir/model" --prompt "And God" --max-new-tokens 8 --temperature 0
  want=$out
  expect_exit 0 -- "$way/generate" "$workdir/model" "And God" 8
  checks=$((checks + 1))
  [[ "$out" == "$want" ]] || { echo "FAIL: $way/generate printed '$out', lmkit generate '$want'"; failures=$((failures + 1)); }
  # The mixture's log-likelihood is concave in λ: the halfway mixture scores at least the mean of the two ends.
  for lambda in 0 0.5 1; do
    expect_exit 0 -- "$way/hybrid_score" "$workdir/model" "$workdir/idx" "$lambda" "Let there be light"
    score[$lambda]=$out
  done
  concave=$(python3 -c 'import sys; a,m,b=map(float,sys.argv[1:]); print(m >= (a+b)/2 - 1e-9 and a != b)' "${score[0]}" "${score[0.5]}" "${score[1]}")
  expect_match "$concave" "^True$" "$way/hybrid_score: λ=0.5 scores at least the mean of λ=0 and λ=1 (${score[0]} ${score[0.5]} ${score[1]})"
done
finish
