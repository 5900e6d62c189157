#!/usr/bin/env python3
"""What the Python module adds per call (issue 16): count (n = 1, 5, 100), prob, infgram_prob and
search_docs through lmkit.InfiniGramEngine, batch counts through lmkit.Index.count_batch and document
scoring through lmkit.Index.score, beside the same queries through the C++ API (bench/api_query_bench,
the calls the module makes) in the same run, timed the same way: thread CPU time over a whole pass of
the queries, divided by the calls (the shared machines run more threads than cores, so wall time mostly
measures waiting for a core). Rounds alternate C++ and Python; each reports the median pass.

    python3 bench/python_bench.py [--build build/release] [--kjv data/kjv] [--work DIR]

The corpus: the KJV splits (scripts/install-deps; prepared into the work directory by `lmkit demo
--corpus-only` when --kjv has none), indexed with the GPT-2 tokenizer from train.jsonl; count and
search_docs queries are n-grams of indexed chapters, prob / infgram_prob prompts and the scored documents
come from test.jsonl (fixed seed).
"""
import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time


def read_texts(path):
    with open(path) as f:
        return [json.loads(line)["text"] for line in f]


def python_per_call(fn, args, passes):
    """µs per call of fn(*a) for a in args: thread CPU time of each pass after a warm-up pass."""
    out = []
    for p in range(-1, passes):
        start = time.thread_time_ns()
        for a in args:
            fn(*a)
        if p >= 0:
            out.append((time.thread_time_ns() - start) / 1e3 / len(args))
    return out


def make_queries(index, train, test, n_queries, rng):
    train_docs = [index.tokenize(t) for t in rng.sample(train, 300)]
    train_docs = [d for d in train_docs if len(d) > 120]
    test_docs = [index.tokenize(t) for t in test]

    def ngram(docs, n):
        d = rng.choice(docs)
        at = rng.randrange(len(d) - n)
        return d[at:at + n]

    queries = {f"count_{n}": [ngram(train_docs, n) for _ in range(n_queries)] for n in (1, 5, 100)}
    prob, infgram = [], []
    for _ in range(n_queries):
        q = ngram(test_docs, 5)
        prob.append([q[:4], q[4]])
        q = ngram(test_docs, 21)
        infgram.append([q[:20], q[20]])
    queries.update(prob=prob, infgram_prob=infgram, search_docs=[ngram(train_docs, 5) for _ in range(n_queries)],
                   score=rng.sample(test_docs, 20), search_docs_maxnum=1, search_docs_max_disp_len=20)
    return queries


def summary(values):
    return statistics.median(values), min(values), max(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build/release")
    parser.add_argument("--kjv", default="data/kjv")
    parser.add_argument("--work", default=None, help="where the index and queries go (default: a temporary directory)")
    parser.add_argument("--queries", type=int, default=2000, help="queries of each kind")
    parser.add_argument("--passes", type=int, default=5, help="timed passes per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each C++ then Python")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    sys.path.insert(0, os.path.join(build, "python"))
    import lmkit

    with contextlib.ExitStack() as stack:
        run(lmkit, build, args, args.work or stack.enter_context(tempfile.TemporaryDirectory(prefix="python-bench-")))


def run(lmkit, build, args, work):
    kjv = args.kjv
    if not os.path.exists(os.path.join(kjv, "train.jsonl")):
        kjv = os.path.join(work, "kjv")
        subprocess.run([os.path.join(build, "lmkit"), "--quiet", "demo", "--data-dir", kjv, "--corpus-only"],
                       check=True, stdout=subprocess.DEVNULL)
    index_dir = os.path.join(work, "index")
    if not os.path.exists(index_dir):
        lmkit.Index.build_from_texts(index_dir, read_texts(os.path.join(kjv, "train.jsonl")), tokenizer="gpt2")
    index = lmkit.Index(index_dir)
    engine = lmkit.InfiniGramEngine(index_dir=index_dir, eos_token_id=index.eos_token_id)
    queries = make_queries(index, read_texts(os.path.join(kjv, "train.jsonl")),
                           read_texts(os.path.join(kjv, "test.jsonl")), args.queries, random.Random(0))
    queries_path = os.path.join(work, "queries.json")
    with open(queries_path, "w") as f:
        json.dump(queries, f)

    calls = {
        "count_1": (lambda q: engine.count(input_ids=q), [(q,) for q in queries["count_1"]]),
        "count_5": (lambda q: engine.count(input_ids=q), [(q,) for q in queries["count_5"]]),
        "count_100": (lambda q: engine.count(input_ids=q), [(q,) for q in queries["count_100"]]),
        "prob": (lambda p, c: engine.prob(prompt_ids=p, cont_id=c), [tuple(q) for q in queries["prob"]]),
        "infgram_prob": (lambda p, c: engine.infgram_prob(prompt_ids=p, cont_id=c),
                         [tuple(q) for q in queries["infgram_prob"]]),
        "search_docs": (lambda q: engine.search_docs(input_ids=q, maxnum=1, max_disp_len=20),
                        [(q,) for q in queries["search_docs"]]),
    }
    # The answers agree before anything is timed.
    for q in queries["count_5"][:50]:
        assert engine.count(input_ids=q)["count"] == index.count(q)
    cpp, py = {k: [] for k in [*calls, "score_tokens_per_s"]}, {k: [] for k in [*calls, "score_tokens_per_s"]}
    batch_counts_per_s = []
    score_tokens = sum(len(d) for d in queries["score"])
    for _ in range(args.rounds):
        report = json.loads(subprocess.run([os.path.join(build, "bench", "api_query_bench"), index_dir, queries_path,
                                            str(args.passes)], check=True, capture_output=True, text=True).stdout)
        for k in cpp:
            cpp[k] += report[k]
        for k, (fn, call_args) in calls.items():
            py[k] += python_per_call(fn, call_args, args.passes)
        py["score_tokens_per_s"] += [score_tokens / (us * len(queries["score"])) * 1e6
                                     for us in python_per_call(index.score, [(d,) for d in queries["score"]],
                                                               args.passes)]
        batch = queries["count_5"]
        batch_counts_per_s += [len(batch) / us * 1e6 for us in python_per_call(index.count_batch, [(batch,)],
                                                                               args.passes)]

    print(f"index: {index_dir} ({index.token_count} tokens, {index.document_count} documents); "
          f"{args.queries} queries of each kind; {args.rounds} rounds × {args.passes} passes; thread CPU time")
    print(f"{'query':<14} {'C++ µs/call':>22} {'Python µs/call':>22} {'overhead µs':>12} {'ratio':>6}")
    for k in calls:
        c, p = summary(cpp[k]), summary(py[k])
        print(f"{k:<14} {c[0]:>8.2f} ({c[1]:.2f}–{c[2]:.2f}) {p[0]:>8.2f} ({p[1]:.2f}–{p[2]:.2f}) "
              f"{p[0] - c[0]:>12.2f} {p[0] / c[0]:>6.2f}")
    c, p = summary(cpp["score_tokens_per_s"]), summary(py["score_tokens_per_s"])
    print(f"document scoring: C++ {c[0]:,.0f} tokens/s ({c[1]:,.0f}–{c[2]:,.0f}), "
          f"Python lmkit.Index.score {p[0]:,.0f} tokens/s ({p[1]:,.0f}–{p[2]:,.0f}), ratio {c[0] / p[0]:.2f}")
    b = summary(batch_counts_per_s)
    print(f"batch counts (lmkit.Index.count_batch, 5-grams, one core): {b[0]:,.0f} counts/s ({b[1]:,.0f}–{b[2]:,.0f}); "
          f"C++ count_5 alone: {1e6 / summary(cpp['count_5'])[0]:,.0f} counts/s")


if __name__ == "__main__":
    main()
