"""lmkit.Model and lmkit.evaluate against the CLI: a tiny byte-level model trained here by `lmkit train`
generates what `lmkit generate` generates with the same options and seed, scores what `lmkit eval`
scores, and serves many Python threads at once as it serves one."""
import json
import math
import subprocess
import threading

import numpy as np
import pytest

import lmkit

LINES = ["In the beginning God created the heaven and the earth.",
         "And the earth was without form, and void; and darkness was upon the face of the deep.",
         "And God said, Let there be light: and there was light.",
         "And God saw the light, that it was good: and God divided the light from the darkness."]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "corpus.txt"
    path.write_text("".join(line + "\n" for _ in range(30) for line in LINES))
    return str(path)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory, lmkit_exe, corpus):
    root = tmp_path_factory.mktemp("model")
    config = root / "micro.json"
    config.write_text(json.dumps({"n_layer": 1, "n_head": 2, "n_embd": 16, "n_positions": 48}))
    out = root / "run"
    subprocess.run([lmkit_exe, "--quiet", "--threads", "2", "train", "--data", corpus, "--tokenizer", "bytes",
                    "--config", str(config), "--batch", "4", "--ctx", "32", "--steps", "60", "--seed", "3",
                    "--out", str(out)], check=True, capture_output=True)
    return str(out)


@pytest.fixture(scope="session")
def model(model_dir):
    return lmkit.Model.from_pretrained(model_dir)


@pytest.fixture(scope="session")
def byte_index(tmp_path_factory, lmkit_exe, corpus):
    # 2-byte tokens: with 1-byte ones the separator 0xFF is also a byte the model may sample, which the
    # ∞-gram refuses as context.
    out = tmp_path_factory.mktemp("model") / "index"
    subprocess.run([lmkit_exe, "--quiet", "index", "build", "--tokenizer", "bytes", "--corpus", corpus,
                    "--token-width", "2", "--out", str(out)], check=True, capture_output=True)
    return str(out)


def cli_generate(exe, model_dir, prompts, *options):
    args = [exe, "--quiet", "generate", "--model", model_dir, "--json", *options]
    for p in prompts:
        args += ["--prompt", p]
    return json.loads(subprocess.run(args, check=True, capture_output=True).stdout)["results"]


SAMPLING = dict(max_new_tokens=24, temperature=0.9, top_k=40, top_p=0.95, seed=11)
SAMPLING_FLAGS = ["--max-new-tokens", "24", "--temperature", "0.9", "--top-k", "40", "--top-p", "0.95", "--seed", "11"]


def test_generate_equals_the_cli(model, model_dir, lmkit_exe):
    want = cli_generate(lmkit_exe, model_dir, ["And God"], *SAMPLING_FLAGS)[0]
    got = model.generate("And God", **SAMPLING)
    assert isinstance(got, lmkit.Completion)
    assert got.ids == want["ids"] and got.prompt_ids == want["prompt_ids"]
    assert got.finish_reason == want["finish_reason"] and got.finish_reason in ("stop", "length", "context")
    assert got.text == want["text"].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    assert str(got) == got.text and model.detokenize(got.ids) == got.text
    # The same prompt as ids, and a batch (prompt i samples with seed + i), as the CLI's batch.
    assert model.generate(model.tokenize("And God"), **SAMPLING).ids == got.ids
    prompts = ["And God", "In the", "darkness"]
    batch = model.generate(prompts, **SAMPLING)
    assert [c.ids for c in batch] == [r["ids"] for r in cli_generate(lmkit_exe, model_dir, prompts, *SAMPLING_FLAGS)]
    # Greedy with a stop string: the text ends before it, as the CLI's.
    stop_flags = ["--max-new-tokens", "40", "--temperature", "0", "--stop", "th"]
    want = cli_generate(lmkit_exe, model_dir, ["And"], *stop_flags)[0]
    got = model.generate("And", max_new_tokens=40, temperature=0, stop="th")
    assert (got.ids, got.text, got.finish_reason) == (want["ids"], want["text"], want["finish_reason"])


def test_generate_with_an_index_equals_the_cli(model, model_dir, byte_index, lmkit_exe):
    index = lmkit.Index(byte_index)
    want = cli_generate(lmkit_exe, model_dir, ["And God"], *SAMPLING_FLAGS, "--index", byte_index,
                        "--lambda-sparse", "0.7", "--lambda-dense", "0.2")[0]
    got = model.generate("And God", index=index, lambda_sparse=0.7, lambda_dense=0.2, **SAMPLING)
    assert got.ids == want["ids"] and got.finish_reason == want["finish_reason"]
    assert got.ids != model.generate("And God", **SAMPLING).ids, "the mixture changed nothing"


def test_stream_yields_what_generate_returns(model):
    # Few likely tokens: the trained model's text is then UTF-8, which the pieces join to exactly (a
    # byte that is not UTF-8 becomes U+FFFD in the piece that holds it).
    options = dict(SAMPLING, max_new_tokens=30, top_k=4)
    whole = model.generate("And God", **options)
    stream = model.stream("And God", **options)  # (its completion may come before the first next())
    pieces = list(stream)
    assert "\ufffd" not in whole.text
    assert pieces and all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces) == whole.text
    assert stream.completion.ids == whole.ids and stream.completion.finish_reason == whole.finish_reason
    assert list(stream) == []  # exhausted


def test_a_dropped_or_failing_stream_ends_cleanly(model, byte_index):
    # Dropped after two pieces, closed, and left by an exception in the loop's body: each ends the
    # worker (no hang, no crash) and the model still works.
    for _ in range(3):
        stream = model.stream("And", max_new_tokens=40, seed=1)
        next(stream), next(stream)
        del stream
    with model.stream("And", max_new_tokens=40, seed=1) as stream:
        next(stream)
    assert list(stream) == []
    with pytest.raises(KeyError):
        for piece in model.stream("And", max_new_tokens=40, seed=1):
            raise KeyError(piece)
    # Generation that would not end by itself (the mixture runs past the context) ends at close() or
    # when the iterator is dropped: the completion never comes, and nothing waits for 10^7 tokens.
    index = lmkit.Index(byte_index)
    endless = dict(max_new_tokens=10**7, index=index, lambda_sparse=0.5, lambda_dense=0.5)
    stream = model.stream("And", **endless)
    next(stream)
    stream.close()
    assert stream.completion is None and list(stream) == []
    stream = model.stream("And", **endless)
    next(stream)
    del stream
    # A prompt the API refuses once generation starts: raised by the iterator, as lmkit.UsageError.
    with pytest.raises(lmkit.UsageError, match="context of 48"):
        list(model.stream("x" * 60))
    assert model.generate("And", max_new_tokens=5, seed=1).ids == model.generate("And", max_new_tokens=5, seed=1).ids


def eval_documents(path, texts):
    with open(path, "w") as f:
        for t in texts:
            f.write(json.dumps({"text": t}) + "\n")


def test_score_agrees_with_lmkit_eval(model, model_dir, lmkit_exe, tmp_path):
    texts = ["And God said, Let there be light.", "In the beginning the earth was void.", "darkness upon the deep"]
    data = str(tmp_path / "eval.jsonl")
    eval_documents(data, texts)
    report = json.loads(subprocess.run([lmkit_exe, "--quiet", "eval", "--model", model_dir, "--data", data,
                                        "--no-ngram", "--json"], check=True, capture_output=True).stdout)
    gpt = next(r for r in report["models"] if r["model"] == "gpt")
    scores = [model.score(t) for t in texts]
    assert all(s.dtype == np.float64 and s.shape == (len(model.tokenize(t)),) for s, t in zip(scores, texts))
    # A first token has a log-prob when the tokenizer has an end-of-text token to predict it from.
    first_scored = model.eos_token_id is not None
    assert all(math.isnan(s[0]) != first_scored for s in scores)
    logprobs = np.concatenate([s if first_scored else s[1:] for s in scores])
    assert np.all(logprobs < 0)
    assert logprobs.size == gpt["tokens"]
    assert math.exp(-logprobs.sum() / logprobs.size) == pytest.approx(gpt["perplexity"], rel=1e-6)  # float32 logits, batched otherwise
    # The same through lmkit.evaluate, with the open model or its directory.
    for source in (model, model_dir):
        rows = lmkit.evaluate(data, model=source, ngram=False)["models"]
        assert [(r["model"], r["tokens"]) for r in rows] == [(r["model"], r["tokens"]) for r in report["models"]]
        assert rows[0]["perplexity"] == pytest.approx(gpt["perplexity"], rel=1e-12)
    # Ids score as their text; without the end-of-text start the first token has no log-prob.
    ids = model.tokenize(texts[0])
    assert np.array_equal(model.score(ids), scores[0], equal_nan=True)
    assert np.array_equal(model.score(np.array(ids, dtype=np.int64)), scores[0], equal_nan=True)
    no_start = model.score(ids, from_eos=False)
    assert math.isnan(no_start[0]) and np.all(no_start[1:] < 0)


def test_score_with_an_index_mixes_the_infgram(model, byte_index):
    index = lmkit.Index(byte_index)
    text = "And God said, Let there be light"
    alone = model.score(text)
    mixed = model.score(text, index=index, lambda_sparse=0.5, lambda_dense=0.5)
    assert mixed.shape == alone.shape and not np.allclose(mixed[1:], alone[1:])
    # With λ = 0 the mixture is the model alone.
    only_gpt = model.score(text, index=index, lambda_sparse=0, lambda_dense=0)
    assert np.allclose(only_gpt, alone, atol=1e-9, equal_nan=True)


def test_many_threads_score_and_generate_as_one(model):
    texts = [f"{LINES[i % 4]} {i}" for i in range(16)]
    serial = [model.score(t) for t in texts]
    serial_gen = [model.generate(t[:10], max_new_tokens=12, seed=i).ids for i, t in enumerate(texts)]
    results, gens, errors = {}, {}, []

    def work(worker):
        try:
            for _ in range(3):
                for i in range(worker, len(texts), 8):
                    results.setdefault(i, []).append(model.score(texts[i]))
                    gens.setdefault(i, []).append(model.generate(texts[i][:10], max_new_tokens=12, seed=i).ids)
        except Exception as e:  # reported below: an exception in a thread does not fail the test by itself
            errors.append(e)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i in range(len(texts)):
        assert len(results[i]) == 3 and all(np.array_equal(r, serial[i], equal_nan=True) for r in results[i])
        assert gens[i] == [serial_gen[i]] * 3


def test_errors_name_what_is_wrong(model, tmp_path, byte_index):
    missing = str(tmp_path / "no-such-model")
    with pytest.raises(lmkit.Error, match="no-such-model"):
        lmkit.Model.from_pretrained(missing)
    with pytest.raises(TypeError, match="dir"):
        lmkit.Model.from_pretrained(3)
    for field, value in [("top_p", 1.5), ("top_p", 0.0), ("temperature", -1.0), ("top_k", -1),
                         ("max_new_tokens", -2)]:
        with pytest.raises(ValueError, match=field):
            model.generate("And", **{field: value})
        with pytest.raises(ValueError, match=field):
            model.stream("And", **{field: value})
    with pytest.raises(ValueError, match="top_p = 1.5"):
        model.generate("And", top_p=1.5)
    with pytest.raises(ValueError, match="stop"):
        model.generate("And", stop=[""])
    with pytest.raises(TypeError, match=r"stop\[1\]"):
        model.generate("And", stop=["a", 3])
    with pytest.raises(ValueError, match="prompt"):
        model.generate([])
    with pytest.raises(TypeError, match=r"prompt\[1\]"):
        model.generate(["And", [1, 2]])
    with pytest.raises(ValueError, match="vocabulary size"):
        model.generate([10**6])
    with pytest.raises(TypeError, match="one prompt"):
        model.stream(["And", "God"])
    index = lmkit.Index(byte_index)
    with pytest.raises(ValueError, match="lambda_sparse"):
        model.generate("And", index=index)
    with pytest.raises(ValueError, match="index"):
        model.generate("And", lambda_sparse=0.5, lambda_dense=0.5)
    with pytest.raises(ValueError, match="lambda_dense = 2"):
        model.score("And", index=index, lambda_sparse=0.5, lambda_dense=2.0)
    with pytest.raises(TypeError, match="lmkit.Index"):
        model.score("And", index="not an index", lambda_sparse=0.5, lambda_dense=0.5)
    with pytest.raises(ValueError, match=r"tokens\[1\]"):
        model.score([1, -5])
