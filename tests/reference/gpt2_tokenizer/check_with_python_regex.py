#!/usr/bin/env python3
"""Cross-check of lmkit's GPT-2 encoding against GPT-2's own algorithm in Python with the `regex`
module (what openai/gpt-2's encoder.py uses), on the texts where gpt-3-encoder's Encoder.js departs
from GPT-2 and that fixtures.json therefore leaves out: U+0085, U+FEFF and the other Unicode spaces
and separators, and words whose pairs collide in Encoder.js's rank table (",", "],[" ...). Not part
of ctest (`regex` is not a Debian dependency of lmkit); run by hand:

    python3 tests/reference/gpt2_tokenizer/check_with_python_regex.py data/gpt2 build/release/lmkit
"""
import json
import subprocess
import sys

import regex

PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def byte_alphabet():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def main():
    gpt2_dir, lmkit = sys.argv[1], sys.argv[2]
    encoder = json.load(open(f"{gpt2_dir}/encoder.json", encoding="utf-8"))
    lines = open(f"{gpt2_dir}/vocab.bpe", encoding="utf-8").read().split("\n")[1:]
    ranks = {tuple(line.split()): i for i, line in enumerate(l for l in lines if l)}
    alphabet = byte_alphabet()

    def bpe(word):
        parts = list(word)
        while len(parts) > 1:
            pairs = {(parts[i], parts[i + 1]) for i in range(len(parts) - 1)}
            best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
            if best not in ranks:
                break
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and (parts[i], parts[i + 1]) == best:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        return [encoder[p] for p in parts]

    def encode(text):
        ids = []
        for word in PATTERN.findall(text):
            ids += bpe("".join(alphabet[b] for b in word.encode("utf-8")))
        return ids

    texts = [
        "a \x85b", "a\x85\x85 b", "a \ufeffb", "\ufeff\ufeffx y", "a \x1cb", "a \x1c\x1d\x1e\x1f b", "a \u200bb",
        "a \u180eb", "x \u2028\u2029 y", "tab\t\x0b\x0cform", "nbsp\u00a0 \u00a0x", "ideographic\u3000\u3000x",
        '["a","b"]', '{"k": "v", "w": "x"}', "[[1],[2]],[3]", "('a','b'),('c')", "x.,\"y\" z,\" .\",\"",
        "foo\"],\"bar", "'',''", "he said \",\" then", "\ufeffBOM at the start",
    ]
    differ = 0
    for text in texts:
        expected = encode(text)
        out = subprocess.run([lmkit, "tokenize", "--tokenizer", "gpt2", "--json", "--file", "-"],
                             input=text.encode("utf-8"), capture_output=True, check=True).stdout
        got = json.loads(out)["ids"]
        if got != expected:
            differ += 1
            print("differs:", ascii(text), got, expected)
    print(f"{len(texts)} texts compared, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
