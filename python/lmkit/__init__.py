"""lmkit from Python: a thin layer over lmkit's C++ library API (docs/python.md).

    from lmkit import InfiniGramEngine      # Infini-gram's engine: same arguments, methods and dicts
    engine = InfiniGramEngine(index_dir="data/demo/index", eos_token_id=50256)
    engine.count(input_ids=[464, 3329])     # {'count': ..., 'approx': False}

    import lmkit
    index = lmkit.Index("data/demo/index")  # lmkit's own layer: text or ids, numpy results
    index.count("in the beginning")

    model = lmkit.Model.from_pretrained("data/demo/model")
    model.generate("In the beginning", max_new_tokens=20, seed=1).text
    for piece in model.stream("In the beginning"): print(piece, end="", flush=True)
    model.score("And God said")              # numpy float64: ln P(token i | tokens before it)
"""
from ._lmkit import (Completion, Error, Index, InfiniGramEngine, Model, Tokenizer, TokenStream, UsageError,
                     __version__, evaluate)

__all__ = ["Completion", "Error", "Index", "InfiniGramEngine", "Model", "Tokenizer", "TokenStream", "UsageError",
           "__version__", "evaluate"]
