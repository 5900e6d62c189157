"""A numpy brute force over an index's token arrays (tokenized.S of every shard), independent of lmkit's
engine: occurrences by comparing every window, continuations by looking at the next position."""
import glob
import os

import numpy as np

SEPARATOR = 0xFFFF  # 2-byte tokens: the indexes of these tests are built with GPT-2's tokenizer


class BruteIndex:
    def __init__(self, dirs, eos):
        self.eos = eos
        self.shards = []  # one uint16 array per shard, in engine order (directory, then shard number)
        for d in dirs:
            names = sorted(glob.glob(os.path.join(d, "tokenized.*")), key=lambda p: int(p.rsplit(".", 1)[1]))
            for name in names:
                self.shards.append(np.fromfile(name, dtype="<u2"))
        # Documents: (shard, first token position, end position) in doc_ix order.
        self.docs = []
        for s, arr in enumerate(self.shards):
            seps = np.flatnonzero(arr == SEPARATOR)
            ends = list(seps[1:]) + [len(arr)]
            self.docs += [(s, int(b) + 1, int(e)) for b, e in zip(seps, ends)]

    def token_count(self):
        return sum(len(a) for a in self.shards)

    def positions(self, ids):
        """Start positions of `ids` in every shard: a list of arrays."""
        m = len(ids)
        out = []
        for arr in self.shards:
            if m == 0:
                out.append(np.arange(len(arr)))
            elif m > len(arr):
                out.append(np.arange(0))
            else:
                windows = np.lib.stride_tricks.sliding_window_view(arr, m)
                out.append(np.flatnonzero((windows == np.asarray(ids, dtype=np.uint16)).all(axis=1)))
        return out

    def count(self, ids):
        return int(sum(len(p) for p in self.positions(ids)))

    def next_tokens(self, ids):
        """The token after every occurrence; a document end (separator or end of shard) is the EOS."""
        out = []
        for arr, pos in zip(self.shards, self.positions(ids)):
            after = pos + len(ids)
            nxt = np.full(len(after), self.eos, dtype=np.int64)
            inside = after < len(arr)
            tokens = arr[after[inside]].astype(np.int64)
            tokens[tokens == SEPARATOR] = self.eos
            nxt[inside] = tokens
            out.append(nxt)
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def prob(self, prompt, cont):
        nxt = self.next_tokens(prompt)
        prompt_cnt, cont_cnt = len(nxt), int((nxt == cont).sum())
        return {"prompt_cnt": prompt_cnt, "cont_cnt": cont_cnt, "prob": cont_cnt / prompt_cnt if prompt_cnt else -1.0}

    def ntd(self, prompt):
        nxt = self.next_tokens(prompt)
        ids, counts = np.unique(nxt, return_counts=True)
        return {
            "prompt_cnt": len(nxt),
            "result_by_token_id": {int(t): {"cont_cnt": int(c), "prob": int(c) / len(nxt)} for t, c in zip(ids, counts)},
            "approx": False,
        }

    def suffix_len(self, prompt):
        k = len(prompt)
        while k > 0 and self.count(prompt[len(prompt) - k:]) == 0:
            k -= 1
        return k

    def infgram_prob(self, prompt, cont):
        k = self.suffix_len(prompt)
        result = self.prob(prompt[len(prompt) - k:], cont)
        result["suffix_len"] = k
        return result

    def infgram_ntd(self, prompt):
        k = self.suffix_len(prompt)
        result = self.ntd(prompt[len(prompt) - k:])
        result["suffix_len"] = k
        return result

    def doc_tokens(self, doc_ix):
        s, b, e = self.docs[doc_ix]
        return [int(t) for t in self.shards[s][b:e]]

    def doc_of(self, s, pos):
        """doc_ix of token position `pos` of shard `s` (a separator belongs to the document it starts)."""
        for ix, (ds, b, e) in enumerate(self.docs):
            if ds == s and b - 1 <= pos < max(e, b):
                return ix
        raise ValueError(f"position {pos} of shard {s} is in no document")

    def cnf_ptrs(self, cnf, max_diff_tokens):
        """lmkit's CNF semantics (docs/query-api.md): byte offsets of anchor-clause occurrences with every
        other clause starting within max_diff_tokens tokens in the same document. Without subsampling."""
        clause_pos, clause_cnt = [], []
        for clause in cnf:
            per_shard = [set() for _ in self.shards]
            cnt = 0
            for term in clause:
                for s, pos in enumerate(self.positions(term)):
                    per_shard[s].update(int(p) for p in pos)
                    cnt += len(pos)
            clause_pos.append(per_shard)
            clause_cnt.append(cnt)
        ptrs = [[] for _ in self.shards]
        if min(clause_cnt) == 0:
            return ptrs
        anchor = clause_cnt.index(min(clause_cnt))
        for s in range(len(self.shards)):
            for p in sorted(clause_pos[anchor][s]):
                doc = self.doc_of(s, p)
                if all(
                    any(abs(q - p) <= max_diff_tokens and self.doc_of(s, q) == doc for q in clause_pos[c][s])
                    for c in range(len(cnf))
                    if c != anchor
                ):
                    ptrs[s].append(2 * p)
        return ptrs
