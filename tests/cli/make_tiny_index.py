#!/usr/bin/env python3
"""Writes a tiny Infini-gram-layout index of byte tokens (2 bytes each) for the CLI tests, the naive
way (sorted() over byte strings), independent of lmkit's builder. Usage: make_tiny_index.py DIR"""
import json
import struct
import sys

SHARDS = [
    ["In the beginning God created the heaven and the earth.", "And the earth was without form."],
    ["And God said, Let there be light: and there was light.", "the end"],
]


def pointer_width_for(n_bytes):
    width = 1
    while width < 8 and (n_bytes - 1) >> (8 * width) != 0:
        width += 1
    return width


def main(out):
    for s, docs in enumerate(SHARDS):
        tokens, offsets, metadata, metaoff = b"", [], b"", []
        for d, text in enumerate(docs):
            offsets.append(len(tokens))
            tokens += b"\xff\xff" + b"".join(struct.pack("<H", c) for c in text.encode())
            metaoff.append(len(metadata))
            metadata += (json.dumps({"shard": s, "doc": d}) + "\n").encode()
        suffixes = sorted(range(0, len(tokens), 2), key=lambda p: tokens[p:])
        width = pointer_width_for(len(tokens))
        with open(f"{out}/tokenized.{s}", "wb") as f:
            f.write(tokens)
        with open(f"{out}/table.{s}", "wb") as f:
            f.write(b"".join(p.to_bytes(width, "little") for p in suffixes))
        with open(f"{out}/offset.{s}", "wb") as f:
            f.write(b"".join(struct.pack("<Q", o) for o in offsets))
        with open(f"{out}/metadata.{s}", "wb") as f:
            f.write(metadata)
        with open(f"{out}/metaoff.{s}", "wb") as f:
            f.write(b"".join(struct.pack("<Q", o) for o in metaoff))


if __name__ == "__main__":
    main(sys.argv[1])
