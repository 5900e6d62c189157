#!/usr/bin/env python3
"""Benchmark corpus for the index build: the text files of Debian's linux-source-6.1 tarball.

Writes, in OUT_DIR, up to LIMIT bytes of text (files with a NUL or 0xFF byte, or not UTF-8, are
skipped), one document per file:
  linux.u8     Infini-gram's 1-byte tokenized layout (0xFF before each document), for index_sa_bench
  linux.jsonl  {"text", "path"} per file, for `lmkit index build`
  held_out.jsonl  (with HELD_OUT > 0) {"text", "path"} of HELD_OUT text files of at least 4 KB from
               the rest of the tarball (every 97th, so spread over its directories): text the
               index has not seen, for query_bench

usage: make_linux_corpus.py LIMIT OUT_DIR [HELD_OUT]   (needs `scripts/install-deps --bench`)
"""
import json
import os
import sys
import tarfile

limit = int(sys.argv[1])
out_dir = sys.argv[2]
held_out = int(sys.argv[3]) if len(sys.argv) > 3 else 0
total = 0
held = []
after_limit = 0  # text files of at least 4 KB seen after the corpus
with tarfile.open('/usr/src/linux-source-6.1.tar.xz') as tar, \
        open(os.path.join(out_dir, 'linux.u8.partial'), 'wb') as u8, \
        open(os.path.join(out_dir, 'linux.jsonl.partial'), 'w') as jsonl, \
        open(os.path.join(out_dir, 'held_out.jsonl.partial'), 'w') as held_jsonl:
    for member in tar:
        if not member.isfile() or member.size == 0:
            continue
        data = tar.extractfile(member).read()
        if b'\xff' in data or b'\x00' in data:
            continue
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            continue
        if total >= limit:
            if len(data) >= 4096:
                after_limit += 1
            if len(data) >= 4096 and after_limit % 97 == 1:
                held_jsonl.write(json.dumps({'text': text, 'path': member.name}) + '\n')
                held.append(member.name)
            if len(held) >= held_out:
                break
            continue
        u8.write(b'\xff' + data)
        jsonl.write(json.dumps({'text': text, 'path': member.name}) + '\n')
        total += len(data) + 1
        if total >= limit and held_out == 0:
            break
for name in ('linux.u8', 'linux.jsonl', 'held_out.jsonl'):
    os.replace(os.path.join(out_dir, name + '.partial'), os.path.join(out_dir, name))
print(f'{total} bytes, {len(held)} held-out files')
