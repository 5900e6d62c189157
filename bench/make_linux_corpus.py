#!/usr/bin/env python3
"""Benchmark corpus for the index build: the text files of Debian's linux-source-6.1 tarball.

Writes, in OUT_DIR, up to LIMIT bytes of text (files with a NUL or 0xFF byte, or not UTF-8, are
skipped), one document per file:
  linux.u8     Infini-gram's 1-byte tokenized layout (0xFF before each document), for index_sa_bench
  linux.jsonl  {"text", "path"} per file, for `lmkit index build`

usage: make_linux_corpus.py LIMIT OUT_DIR   (needs `scripts/install-deps --bench`)
"""
import json
import os
import sys
import tarfile

limit = int(sys.argv[1])
out_dir = sys.argv[2]
total = 0
with tarfile.open('/usr/src/linux-source-6.1.tar.xz') as tar, \
        open(os.path.join(out_dir, 'linux.u8.partial'), 'wb') as u8, \
        open(os.path.join(out_dir, 'linux.jsonl.partial'), 'w') as jsonl:
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
        u8.write(b'\xff' + data)
        jsonl.write(json.dumps({'text': text, 'path': member.name}) + '\n')
        total += len(data) + 1
        if total >= limit:
            break
for name in ('linux.u8', 'linux.jsonl'):
    os.replace(os.path.join(out_dir, name + '.partial'), os.path.join(out_dir, name))
print(f'{total} bytes')
