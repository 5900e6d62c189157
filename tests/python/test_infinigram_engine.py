"""lmkit.InfiniGramEngine against a numpy brute force over the token arrays and against the C++ engine
(`lmkit query`), Infini-gram's documentation script run unchanged but for its imports, the error dicts
and exceptions, several index directories, and 8 threads on one engine."""
import json
import os
import random
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import lmkit
from brute import BruteIndex
from conftest import EOS, CppService

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="session")
def engine(indexes):
    return lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS)


@pytest.fixture(scope="session")
def brute(indexes):
    return BruteIndex(indexes[:1], EOS)


def sample_queries(brute, n, seed, max_len=6):
    """n-grams taken from the corpus (so they occur), some random ids, and the empty query."""
    rng = random.Random(seed)
    vocab = sorted({int(t) for a in brute.shards for t in a if t != 0xFFFF})
    queries = [[]]
    for _ in range(n):
        s, b, e = brute.docs[rng.randrange(len(brute.docs))]
        if e - b >= 1 and rng.random() < 0.8:
            start = rng.randrange(b, e)
            queries.append([int(t) for t in brute.shards[s][start:min(e, start + rng.randint(1, max_len))]])
        else:
            queries.append([rng.choice(vocab) for _ in range(rng.randint(1, 3))])
    return queries


def ntd_keys_as_str(result):
    return {str(k): v for k, v in result["result_by_token_id"].items()}


def test_docs_script_runs_unchanged(indexes, brute):
    env = dict(os.environ)
    run = subprocess.run([sys.executable, os.path.join(HERE, "infinigram_docs_script.py"), indexes[0]],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    ids = out["input_ids"]
    assert out["count"] == {"count": brute.count(ids), "approx": False} and out["count"]["count"] > 0
    assert out["count_empty"] == {"count": brute.token_count(), "approx": False}
    assert out["types"] == {"count": ["int", "bool"], "segment": "tuple", "ntd_key": ["int"], "prob": "float"}
    for key, diff in [("cnf_and", 100), ("cnf_or", 100), ("cnf_or_and", 100)]:
        want = sum(len(p) for p in brute.cnf_ptrs(out[key], diff))
        assert out["count_" + key] == {"count": want, "approx": False}, key
    assert out["count_cnf_and_1000"]["count"] == sum(len(p) for p in brute.cnf_ptrs(out["cnf_and"], 1000))
    assert out["count_cnf_and_1000"]["count"] >= out["count_cnf_and"]["count"] > 0
    assert out["count_cnf_this_that_10"]["approx"] is True  # 'this' occurs more than 10 times: subsampled
    assert out["prob"] == brute.prob(ids[:-1], ids[-1])
    assert out["prob_unseen"] == {"prompt_cnt": 0, "cont_cnt": 0, "prob": -1.0}
    assert ntd_keys_as_str(out["ntd"]) == {str(k): v for k, v in brute.ntd(ids[:-1])["result_by_token_id"].items()}
    assert out["ntd_unseen"] == {"prompt_cnt": 0, "result_by_token_id": {}, "approx": False}
    assert out["ntd_empty"]["approx"] is True and out["ntd_empty"]["prompt_cnt"] == brute.token_count()
    unseen = out["prob_unseen_ids"]
    assert out["infgram_prob"] == brute.infgram_prob(unseen[:-1], unseen[-1])
    assert out["infgram_prob"]["suffix_len"] == 2  # 'natural language', as in the documentation
    infgram_ntd = out["infgram_ntd"]
    assert infgram_ntd["suffix_len"] == 2 and infgram_ntd["approx"] is (infgram_ntd["prompt_cnt"] > 10)
    assert sum(v["cont_cnt"] for v in infgram_ntd["result_by_token_id"].values()) == infgram_ntd["prompt_cnt"]
    # Every rank of find() leads to a document holding the query at needle_offset.
    assert out["find"]["cnt"] == len(out["docs_by_rank"]) == brute.count(ids)
    for doc in out["docs_by_rank"]:
        assert doc["token_ids"][doc["needle_offset"]:doc["needle_offset"] + len(ids)] == ids
        assert doc["token_ids"] == brute.doc_tokens(doc["doc_ix"])[:1000] or doc["disp_len"] == 1000
        assert json.loads(doc["metadata"])["metadata"]["id"].startswith("doc-1-")
    assert set(out["doc_by_rank"]) == {"doc_ix", "doc_len", "disp_len", "needle_offset", "metadata", "token_ids",
                                       "blocked"}
    assert out["doc_by_rank"]["disp_len"] <= 10
    search = out["search_docs"]
    assert search["cnt"] == brute.count(ids) and len(search["documents"]) == min(3, search["cnt"])
    # find_cnf's pointers: lmkit's CNF semantics, and get_doc_by_ptr shows a matched anchor.
    cnf = out["cnf_and"]
    assert out["find_cnf"]["ptrs_by_shard"] == brute.cnf_ptrs(cnf, 100)
    assert len(out["docs_by_ptr"]) == out["find_cnf"]["cnt"] > 0
    for doc in out["docs_by_ptr"]:
        at = doc["needle_offset"]
        assert any(doc["token_ids"][at:at + len(t)] == t for clause in cnf for t in clause)
    assert out["total_doc_cnt"] == len(brute.docs)
    assert out["doc_by_ix"]["token_ids"] == brute.doc_tokens(len(brute.docs) - 1)


def test_answers_equal_brute_force_and_cpp_engine(engine, brute, cpp):
    for q in sample_queries(brute, 60, seed=7):
        count = engine.count(input_ids=q)
        assert count == {"count": brute.count(q), "approx": False}, q
        assert cpp(query_type="count", query_ids=q)["count"] == count["count"]
        found = engine.find(input_ids=q)
        assert found["cnt"] == count["count"]
        assert [list(r) for r in found["segment_by_shard"]] == cpp(query_type="find", query_ids=q)["segment_by_shard"]
        if not q:
            continue
        prompt, cont = q[:-1], q[-1]
        assert engine.prob(prompt_ids=prompt, cont_id=cont) == brute.prob(prompt, cont)
        c = cpp(query_type="prob", query_ids=q)
        assert (c["prompt_cnt"], c["cont_cnt"]) == (brute.prob(prompt, cont)["prompt_cnt"],
                                                    brute.prob(prompt, cont)["cont_cnt"])
        ip = engine.infgram_prob(prompt_ids=q[:-1], cont_id=cont)
        assert ip == brute.infgram_prob(prompt, cont)
        assert cpp(query_type="infgram_prob", query_ids=q)["suffix_len"] == ip["suffix_len"]
        exact = engine.ntd(prompt_ids=q, max_support=10**6)
        assert exact == brute.ntd(q)
        c = cpp(query_type="ntd", query_ids=q, max_support=10**6)
        assert ntd_keys_as_str(exact) == {k: {"cont_cnt": v["cont_cnt"], "prob": v["prob"]}
                                          for k, v in c["result_by_token_id"].items()}
        sampled = engine.ntd(prompt_ids=q, max_support=4)
        c = cpp(query_type="ntd", query_ids=q, max_support=4)
        assert sampled["approx"] == c["approx"] and sampled["prompt_cnt"] == c["prompt_cnt"]
        assert ntd_keys_as_str(sampled) == {k: {"cont_cnt": v["cont_cnt"], "prob": v["prob"]}
                                            for k, v in c["result_by_token_id"].items()}
        assert engine.infgram_ntd(prompt_ids=q, max_support=10**6) == brute.infgram_ntd(q)
        search = engine.search_docs(input_ids=q, maxnum=4, max_disp_len=30)
        c = cpp(query_type="search_docs", query_ids=q, maxnum=4, max_disp_len=30)
        assert search["idxs"] == c["idxs"] and search["cnt"] == c["cnt"]
        assert [d["token_ids"] for d in search["documents"]] == [d["token_ids"] for d in c["documents"]]
        assert [d["doc_ix"] for d in search["documents"]] == [d["doc_ix"] for d in c["documents"]]


def test_documents_equal_the_token_arrays(engine, brute, cpp):
    for doc_ix in range(0, len(brute.docs), 7):
        doc = engine.get_doc_by_ix(doc_ix=doc_ix, max_disp_len=10**6)
        assert doc["token_ids"] == brute.doc_tokens(doc_ix) and doc["doc_len"] == len(doc["token_ids"])
        assert doc["needle_offset"] == 0 and doc["blocked"] is False
        c = cpp(query_type="get_doc_by_ix", doc_ix=doc_ix, max_disp_len=10**5)
        assert {k: doc[k] for k in ("doc_ix", "doc_len", "disp_len", "metadata", "token_ids")} == \
            {k: c[k] for k in ("doc_ix", "doc_len", "disp_len", "metadata", "token_ids")}
    rng = random.Random(3)
    requests = [(s, rng.randrange(len(brute.shards[s]))) for s in range(len(brute.shards)) for _ in range(5)]
    batch = engine.get_docs_by_ranks(list_of_s_and_rank=requests, max_disp_len=16)
    for (s, rank), doc in zip(requests, batch):
        assert doc == engine.get_doc_by_rank(s=s, rank=rank, max_disp_len=16)
        c = cpp(query_type="get_doc_by_rank", s=s, rank=rank, max_disp_len=16)
        assert doc["token_ids"] == c["token_ids"] and doc["needle_offset"] == c["needle_offset"]
    ptrs = [(s, 2 * rng.randrange(len(brute.shards[s]))) for s in range(len(brute.shards)) for _ in range(5)]
    for (s, ptr), doc in zip(ptrs, engine.get_docs_by_ptrs(list_of_s_and_ptr=ptrs, max_disp_len=10**6)):
        assert doc["doc_ix"] == brute.doc_of(s, ptr // 2)
        assert doc["token_ids"] == brute.doc_tokens(doc["doc_ix"])
    assert engine.get_docs_by_ixs(list_of_doc_ix=[0, 1]) == [engine.get_doc_by_ix(doc_ix=0),
                                                             engine.get_doc_by_ix(doc_ix=1)]


def test_several_index_dirs_are_one_corpus(indexes, engine, lmkit_exe):
    both = lmkit.InfiniGramEngine(index_dir=indexes, eos_token_id=EOS)
    second = lmkit.InfiniGramEngine(index_dir=[indexes[1]], eos_token_id=EOS)
    brute_both = BruteIndex(indexes, EOS)
    for q in sample_queries(brute_both, 30, seed=11):
        assert both.count(input_ids=q)["count"] == engine.count(input_ids=q)["count"] + second.count(input_ids=q)["count"]
        assert both.count(input_ids=q)["count"] == brute_both.count(q)
    n_first = engine.get_total_doc_cnt()
    assert both.get_total_doc_cnt() == n_first + second.get_total_doc_cnt()
    assert both.get_doc_by_ix(doc_ix=n_first)["token_ids"] == second.get_doc_by_ix(doc_ix=0)["token_ids"]
    service = CppService(lmkit_exe, indexes)
    try:
        q = sample_queries(brute_both, 1, seed=2)[1]
        assert service(query_type="count", query_ids=q)["count"] == both.count(input_ids=q)["count"]
    finally:
        service.close()


def test_invalid_input_gets_infinigram_error_dicts(engine, brute):
    for bad in [[-1], [65535], [1.0], ["a"], (1, 2), 5, None, [True]]:
        result = engine.count(input_ids=bad)
        assert set(result) == {"error"} and "input_ids must be a list of integers in range [0, 65534]" in result["error"]
        assert "error" in engine.find(input_ids=bad)
        assert "error" in engine.ntd(prompt_ids=bad)
    assert engine.prob(prompt_ids=[1], cont_id=-1) == {"error": "cont_id must be an integer in range [0, 65534]"}
    assert engine.ntd(prompt_ids=[1], max_support=0) == {"error": "max_support must be a positive integer"}
    assert engine.search_docs(input_ids=[1], maxnum=0) == {"error": "maxnum must be a positive integer"}
    assert engine.search_docs(input_ids=[1], max_disp_len=1.5) == {"error": "max_disp_len must be a positive integer"}
    assert "error" in engine.count_cnf(cnf=[])
    assert "error" in engine.count_cnf(cnf=[[]])
    assert "error" in engine.count_cnf(cnf=[[[]]])
    assert engine.find_cnf(cnf=[[[1]]], max_diff_tokens=0) == {"error": "max_diff_tokens must be a positive integer"}
    n_shards = len(brute.shards)
    assert engine.get_doc_by_rank(s=n_shards, rank=0) == {"error": f"s must be an integer in range [0, {n_shards})"}
    tok_cnt = len(brute.shards[0])
    assert engine.get_doc_by_rank(s=0, rank=tok_cnt) == {"error": f"rank must be an integer in range [0, {tok_cnt})"}
    assert engine.get_doc_by_ptr(s=0, ptr=1) == {"error": f"ptr must be an even integer in range [0, {2 * tok_cnt})"}
    n_docs = len(brute.docs)
    assert engine.get_doc_by_ix(doc_ix=n_docs) == {"error": f"doc_ix must be an integer in range [0, {n_docs})"}
    assert "error" in engine.get_docs_by_ixs(list_of_doc_ix=[0, n_docs])
    with pytest.raises(TypeError):
        engine.count()  # a missing argument, as Python reports it
    with pytest.raises(TypeError):
        engine.get_docs_by_ranks(list_of_s_and_rank=5)


def test_constructor_errors_are_clear(indexes, tmp_path):
    with pytest.raises(TypeError, match="eos_token_id"):
        lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id="50256")
    with pytest.raises(ValueError, match="eos_token_id = 70000: must be below vocab_size"):
        lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=70000)
    with pytest.raises(TypeError, match="index_dir"):
        lmkit.InfiniGramEngine(index_dir=5, eos_token_id=EOS)
    with pytest.raises(ValueError, match="token_dtype = 'u32', but the index in .* has 2-byte tokens"):
        lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS, token_dtype="u32")
    with pytest.raises(ValueError, match="Unsupported token dtype: u64"):
        lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS, token_dtype="u64")
    with pytest.raises(ValueError, match="version-4"):
        lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS, version=5)
    with pytest.raises(ValueError, match="bow_ids_path"):
        lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS, bow_ids_path="bow.txt")
    with pytest.raises(ValueError, match="max_support = 0"):
        lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS, max_support=0)
    with pytest.raises(TypeError):
        lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS, no_such_argument=1)
    missing = str(tmp_path / "missing")
    with pytest.raises(lmkit.Error, match=missing):
        lmkit.InfiniGramEngine(index_dir=missing, eos_token_id=EOS)
    # Infini-gram's tuning arguments are accepted; load_to_ram reads the files in; answers are the same.
    tuned = lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS, load_to_ram=True, ds_prefetch_depth=0,
                                   sa_prefetch_depth=0, od_prefetch_depth=0, max_support=5, maxnum=2, max_disp_len=7)
    plain = lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS)
    assert tuned.count(input_ids=[464]) == plain.count(input_ids=[464])
    assert tuned.ntd(prompt_ids=[]) == plain.ntd(prompt_ids=[], max_support=5)
    docs = tuned.search_docs(input_ids=plain.get_doc_by_ix(doc_ix=0)["token_ids"][:1])["documents"]
    assert len(docs) == 2 and all(d["disp_len"] <= 7 for d in docs)


def test_eight_threads_on_one_engine_answer_as_one(engine, brute):
    queries = sample_queries(brute, 200, seed=5)
    def answers():
        out = []
        for q in queries:
            out.append(engine.count(input_ids=q))
            if q:
                out.append(engine.infgram_prob(prompt_ids=q[:-1], cont_id=q[-1]))
                out.append(engine.ntd(prompt_ids=q, max_support=50))
                out.append(engine.search_docs(input_ids=q, maxnum=2, max_disp_len=20))
        return out
    serial = answers()
    results = [None] * 8
    def work(i):
        results[i] = answers()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == serial for r in results)


def releases_the_gil(call, seconds=3.0):
    """True when another thread gets to run while a thread repeats `call`: with a switch interval of 100 s
    the interpreter never takes the GIL from the worker, so the main thread runs only when a call gives it
    up. The worker repeats the call until the main thread has run or `seconds` have passed (a pure-Python
    loop gives False), so the answer does not depend on how busy the machine is."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(100)
    state = {"main_ran": False, "worker_saw_it": False}

    def work():
        deadline = time.monotonic() + seconds
        while not state["main_ran"] and time.monotonic() < deadline:
            call()
        state["worker_saw_it"] = state["main_ran"]

    try:
        thread = threading.Thread(target=work)
        thread.start()  # returns once this thread has the GIL back
        state["main_ran"] = True
        thread.join()
    finally:
        sys.setswitchinterval(old)
    return state["worker_saw_it"]


def test_long_calls_release_the_gil(engine, indexes, brute):
    assert not releases_the_gil(lambda: sum(range(1000)), seconds=1.0)  # the check itself can fail
    index = lmkit.Index(indexes[0])
    queries = sample_queries(brute, 5000, seed=9)
    doc = brute.doc_tokens(0)
    long_text = sum((brute.doc_tokens(d) for d in range(50)), [])
    for call in [lambda: engine.count(input_ids=[464]), lambda: engine.ntd(prompt_ids=[], max_support=10**6),
                 lambda: engine.infgram_ntd(prompt_ids=doc, max_support=10**6),
                 lambda: engine.search_docs(input_ids=doc[:1], maxnum=100, max_disp_len=10**4),
                 lambda: engine.find_cnf(cnf=[[doc[:1]], [doc[1:2] or doc[:1]]], max_diff_tokens=1000),
                 lambda: engine.get_docs_by_ixs(list_of_doc_ix=list(range(len(brute.docs))), max_disp_len=10**4),
                 lambda: index.count_batch(queries), lambda: index.score(long_text)]:
        assert releases_the_gil(call)
