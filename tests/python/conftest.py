"""Fixtures: the lmkit executable (LMKIT_EXE), and indexes built once per session by `lmkit index build`
(GPT-2 tokenizer, 2-byte tokens) from a generated corpus in which the phrases of Infini-gram's
documentation examples occur, several shards each."""
import json
import os
import random
import subprocess

import pytest

PHRASES = ["natural language processing", "artificial intelligence", "deep learning", "this", "that",
           "the model", "is useful", "we study", "language models", "natural language"]


def make_corpus(path, n_docs, seed):
    """JSONL documents of lines; each line joins random phrases, so a phrase starts a line (GPT-2 then
    tokenizes it as `tokenizer.encode(phrase)` does) and also follows a space."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        for d in range(n_docs):
            lines = [" ".join(rng.choice(PHRASES) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 5))]
            f.write(json.dumps({"text": "\n".join(lines), "id": f"doc-{seed}-{d}"}) + "\n")


def build_index(exe, corpus, out, max_shard_tokens):
    subprocess.run([exe, "index", "build", "--tokenizer", "gpt2", "--corpus", corpus, "--out", out,
                    "--max-shard-tokens", str(max_shard_tokens)], check=True, capture_output=True)


@pytest.fixture(scope="session")
def lmkit_exe():
    exe = os.environ.get("LMKIT_EXE")
    assert exe and os.path.exists(exe), "set LMKIT_EXE to the lmkit executable (ctest does)"
    return exe


@pytest.fixture(scope="session")
def indexes(tmp_path_factory, lmkit_exe):
    """Two index directories (a: 3+ shards, b: 2+ shards) of different corpora."""
    root = tmp_path_factory.mktemp("indexes")
    dirs = []
    for name, n_docs, seed, shard_tokens in [("a", 300, 1, 4000), ("b", 80, 2, 2000)]:
        corpus = str(root / f"{name}.jsonl")
        make_corpus(corpus, n_docs, seed)
        build_index(lmkit_exe, corpus, str(root / name), shard_tokens)
        dirs.append(str(root / name))
    return dirs


EOS = 50256  # GPT-2's <|endoftext|>


class CppService:
    """The C++ engine's JSON service: one `lmkit query` process, one request line, one reply line."""

    def __init__(self, exe, dirs):
        args = [exe, "query"]
        for d in dirs:
            args += ["--index", d]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __call__(self, **request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        assert self.proc.wait() == 0


@pytest.fixture(scope="session")
def cpp(lmkit_exe, indexes):
    service = CppService(lmkit_exe, indexes[:1])
    yield service
    service.close()
