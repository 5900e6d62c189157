"""The examples of Infini-gram's Python package documentation (docs/source/pkg.rst of
liujch1998/infini-gram: "Query Types" 1-6), as a user's script. Only the imports differ: lmkit's
InfiniGramEngine for infini_gram.engine's, and lmkit's GPT-2 tokenizer for transformers' AutoTokenizer
(whose encode() and eos_token_id the examples use). The documentation's figures are for its Pile-val
index; this script prints what it gets, one JSON object, for the test to check.

Usage: infinigram_docs_script.py INDEX_DIR
"""
import json
import sys

from lmkit import InfiniGramEngine  # was: from infini_gram.engine import InfiniGramEngine
from lmkit import Tokenizer  # was: from transformers import AutoTokenizer

tokenizer = Tokenizer("gpt2")  # was: AutoTokenizer.from_pretrained(..., add_bos_token=False, add_eos_token=False)
engine = InfiniGramEngine(index_dir=sys.argv[1], eos_token_id=tokenizer.eos_token_id)
out = {}

# 1.1 Count simple queries
input_ids = tokenizer.encode('natural language processing')
out['input_ids'] = input_ids
out['count'] = engine.count(input_ids=input_ids)
out['count_empty'] = engine.count(input_ids=[])

# 1.2 Count CNF queries
cnf = [
    [tokenizer.encode('natural language processing'), tokenizer.encode('artificial intelligence')]
]
out['cnf_or'] = cnf
out['count_cnf_or'] = engine.count_cnf(cnf=cnf)
cnf = [
    [tokenizer.encode('natural language processing')],
    [tokenizer.encode('deep learning')],
]
out['cnf_and'] = cnf
out['count_cnf_and'] = engine.count_cnf(cnf=cnf)
out['count_cnf_and_1000'] = engine.count_cnf(cnf=cnf, max_diff_tokens=1000)
cnf = [
    [tokenizer.encode('natural language processing'), tokenizer.encode('artificial intelligence')],
    [tokenizer.encode('deep learning')],
]
out['cnf_or_and'] = cnf
out['count_cnf_or_and'] = engine.count_cnf(cnf=cnf)
out['count_this'] = engine.count(input_ids=tokenizer.encode('this'))
out['count_that'] = engine.count(input_ids=tokenizer.encode('that'))
out['count_cnf_this_that'] = engine.count_cnf(cnf=[[tokenizer.encode('this')], [tokenizer.encode('that')]])
out['count_cnf_this_that_10'] = engine.count_cnf(cnf=[[tokenizer.encode('this')], [tokenizer.encode('that')]],
                                                 max_clause_freq=10)

# 2. Prob of the last token
input_ids = tokenizer.encode('natural language processing')
out['prob'] = engine.prob(prompt_ids=input_ids[:-1], cont_id=input_ids[-1])
input_ids = tokenizer.encode('I love natural language processing')
out['prob_unseen_ids'] = input_ids
out['prob_unseen'] = engine.prob(prompt_ids=input_ids[:-1], cont_id=input_ids[-1])

# 3. Next-token distribution
input_ids = tokenizer.encode('natural language')
out['ntd'] = engine.ntd(prompt_ids=input_ids)
input_ids = tokenizer.encode('I love natural language processing')
out['ntd_unseen'] = engine.ntd(prompt_ids=input_ids[:-1])
out['ntd_empty'] = engine.ntd(prompt_ids=[])

# 4. ∞-gram prob
input_ids = tokenizer.encode('I love natural language processing')
out['infgram_prob'] = engine.infgram_prob(prompt_ids=input_ids[:-1], cont_id=input_ids[-1])

# 5. ∞-gram next-token distribution
input_ids = tokenizer.encode('I love natural language')
out['infgram_ntd_ids'] = input_ids
out['infgram_ntd'] = engine.infgram_ntd(prompt_ids=input_ids, max_support=10)

# 6.1 Search with simple queries
input_ids = tokenizer.encode('natural language processing')
find_result = engine.find(input_ids=input_ids)
out['find'] = find_result
s0 = next(s for s, (start, end) in enumerate(find_result['segment_by_shard']) if end > start)
out['doc_by_rank'] = engine.get_doc_by_rank(s=s0, rank=find_result['segment_by_shard'][s0][0], max_disp_len=10)
docs = []
for s, (start, end) in enumerate(find_result['segment_by_shard']):
    for rank in range(start, end):
        doc = engine.get_doc_by_rank(s=s, rank=rank)
        docs.append(doc)
out['docs_by_rank'] = docs
out['search_docs'] = engine.search_docs(input_ids=input_ids, maxnum=3, max_disp_len=20)

# 6.2 Search with CNF queries
cnf = [
    [tokenizer.encode('natural language processing')],
    [tokenizer.encode('deep learning')],
]
find_result = engine.find_cnf(cnf=cnf)
out['find_cnf'] = find_result
docs = []
for s, ptrs in enumerate(find_result['ptrs_by_shard']):
    for ptr in ptrs:
        doc = engine.get_doc_by_ptr(s=s, ptr=ptr, max_disp_len=20)
        docs.append(doc)
out['docs_by_ptr'] = docs
out['total_doc_cnt'] = engine.get_total_doc_cnt()
out['doc_by_ix'] = engine.get_doc_by_ix(doc_ix=out['total_doc_cnt'] - 1)

# Types as the documentation shows them (json would turn tuples into lists).
out['types'] = {
    'count': [type(v).__name__ for v in out['count'].values()],
    'segment': type(out['find']['segment_by_shard'][0]).__name__,
    'ntd_key': sorted({type(k).__name__ for k in out['ntd']['result_by_token_id']}),
    'prob': type(out['prob']['prob']).__name__,
}
json.dump(out, sys.stdout)
