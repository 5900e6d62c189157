"""lmkit from Python: a thin layer over lmkit's C++ library API (docs/python.md).

    from lmkit import InfiniGramEngine      # Infini-gram's engine: same arguments, methods and dicts
    engine = InfiniGramEngine(index_dir="data/demo/index", eos_token_id=50256)
    engine.count(input_ids=[464, 3329])     # {'count': ..., 'approx': False}

    import lmkit
    index = lmkit.Index("data/demo/index")  # lmkit's own layer: text or ids, numpy results
    index.count("in the beginning")
"""
from ._lmkit import Error, Index, InfiniGramEngine, Tokenizer, UsageError, __version__

__all__ = ["Error", "Index", "InfiniGramEngine", "Tokenizer", "UsageError", "__version__"]
