"""lmkit's own layer: lmkit.Index (text or ids, batches, numpy scores, the JSON service, building) and
lmkit.Tokenizer, checked against InfiniGramEngine, the numpy brute force and the CLI-built index."""
import numpy as np
import pytest

import lmkit
from brute import BruteIndex
from conftest import EOS


@pytest.fixture(scope="session")
def index(indexes):
    return lmkit.Index(indexes[0])


def test_counts_from_text_ids_and_arrays_agree(index, indexes):
    brute = BruteIndex(indexes[:1], EOS)
    tokenizer = lmkit.Tokenizer("gpt2")
    text = "natural language processing"
    ids = tokenizer.encode(text)
    assert index.tokenize(text) == ids
    assert index.count(text) == index.count(ids) == index.count(np.array(ids, dtype=np.int32)) == brute.count(ids)
    queries = [ids, ids[:1], [], "deep learning", tokenizer.encode(" deep learning")]
    counts = index.count_batch(queries)
    assert counts.dtype == np.uint64
    assert list(counts) == [brute.count(q if isinstance(q, list) else tokenizer.encode(q)) for q in queries]
    assert tokenizer.decode(ids) == text and tokenizer.eos_token_id == EOS
    assert tokenizer.encode_batch([text, "deep learning"]) == [ids, tokenizer.encode("deep learning")]
    assert index.ntd(ids[:-1], max_support=10**6) == {k: v for k, v in brute.ntd(ids[:-1]).items()}
    assert index.token_count == brute.token_count() and index.document_count == len(brute.docs)
    assert index.token_width == 2 and index.eos_token_id == EOS


def test_score_is_infgram_prob_of_every_token(index, indexes):
    engine = lmkit.InfiniGramEngine(index_dir=indexes[0], eos_token_id=EOS)
    ids = lmkit.Tokenizer("gpt2").encode("we study deep learning this that natural language models")
    scores = index.score(ids)
    assert scores["prob"].dtype == np.float64 and scores["suffix_len"].shape == (len(ids),)
    for i, token in enumerate(ids):
        want = engine.infgram_prob(prompt_ids=ids[:i], cont_id=token)
        assert scores["suffix_len"][i] == want["suffix_len"]
        assert scores["prob"][i] == pytest.approx(max(want["prob"], 0.0))


def test_json_service_and_errors(index, tmp_path):
    reply = index.query({"query_type": "count", "query": "deep learning"})
    assert reply["count"] == index.count("deep learning")
    with pytest.raises(lmkit.Error, match="query_type"):
        index.query({"query_type": "no_such_query", "query": "x"})
    with pytest.raises(ValueError, match=r"query\[1\] = -3: not a token id"):
        index.count([1, -3])
    with pytest.raises(TypeError, match=r"query\[0\]: expected an int token id, got float"):
        index.count([1.5])
    with pytest.raises(TypeError, match="numpy array of dtype float64"):
        index.count(np.array([1.0]))
    with pytest.raises(lmkit.Error, match=str(tmp_path / "none")):
        lmkit.Index(str(tmp_path / "none"))
    with pytest.raises(lmkit.UsageError):
        lmkit.Tokenizer("no-such-tokenizer-spec")


def test_build_from_texts_and_ids(tmp_path, index):
    texts = ["natural language processing is useful", "deep learning\nnatural language processing"]
    summary = lmkit.Index.build_from_texts(str(tmp_path / "t"), texts, tokenizer="gpt2")
    assert summary["documents"] == 2
    built = lmkit.Index(tmp_path / "t")
    # Both occurrences start a document or a line, where GPT-2 gives "natural" without its space.
    assert built.count("natural language processing") == 2
    assert built.count(" natural language processing") == 0
    assert built.count("deep learning") == 1
    docs = [[1, 2, 3], [2, 3], [3]]
    lmkit.Index.build_from_ids(tmp_path / "i", docs, vocab_size=10)
    by_ids = lmkit.Index(tmp_path / "i")
    assert [by_ids.count(q) for q in ([3], [2, 3], [1, 2, 3], [3, 1])] == [3, 2, 1, 0]
    with pytest.raises(lmkit.Error):
        lmkit.Index.build_from_ids(tmp_path / "i", docs, vocab_size=10)  # exists already
