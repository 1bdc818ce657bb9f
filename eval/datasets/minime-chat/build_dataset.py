#!/usr/bin/env python3
"""Writes corpus.jsonl (one chat turn per document), queries.jsonl and qrels/{dev,test}.tsv from
chats_src.py and queries_src.py: odd-numbered queries are dev (tuning), even-numbered test (reporting).
Usage, from this folder: python3 build_dataset.py"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chats_src import CHATS
from queries_src import Q
ids = set()
with open('corpus.jsonl', 'w', encoding='utf-8') as f:
    for chat, date, turns in CHATS:
        for n, text in enumerate(turns):
            doc = f'{chat}-{n:02d}'
            ids.add(doc)
            speaker = 'user' if n % 2 == 0 else 'assistant'
            f.write(json.dumps({'_id': doc, 'title': f'chat {date} {speaker}', 'text': text}, ensure_ascii=False) + '\n')
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
print(len(ids), 'turns;', len(Q), 'queries;', {s: len(r) for s, r in splits.items()}, 'judgements')
