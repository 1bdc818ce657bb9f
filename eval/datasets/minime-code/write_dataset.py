#!/usr/bin/env python3
"""Writes queries.jsonl and qrels/{dev,test}.tsv from queries_src.py: odd-numbered queries are dev
(for tuning), even-numbered ones test (for reporting). Usage, from this folder: python3 write_dataset.py"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from queries_src import Q
ids = {json.loads(l)['_id'] for l in open('corpus.jsonl', encoding='utf-8')}
os.makedirs('qrels', exist_ok=True)
with open('queries.jsonl', 'w', encoding='utf-8') as f:
    for qid, text, _ in Q:
        f.write(json.dumps({'_id': qid, 'text': text}, ensure_ascii=False) + '\n')
splits = {'dev': [], 'test': []}
for n, (qid, _, judged) in enumerate(Q):
    for doc, grade in judged.items():
        assert doc in ids, (qid, doc)
        splits['dev' if n % 2 == 0 else 'test'].append(f'{qid}\t{doc}\t{grade}')
for split, rows in splits.items():
    with open(f'qrels/{split}.tsv', 'w', encoding='utf-8') as f:
        f.write('query-id\tcorpus-id\tscore\n' + '\n'.join(rows) + '\n')
print(len(Q), 'queries;', {s: len(r) for s, r in splits.items()}, 'judgements')
