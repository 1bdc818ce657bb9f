#!/usr/bin/env python3
"""Cut this repository's C# sources into passages: one documented method, constructor or property
(with its doc comment) per passage; members without a /// comment are numbered but left out. Usage, from this folder: python3 build_corpus.py SRC ."""
import json, os, re, sys

src, out = sys.argv[1], sys.argv[2]
MEMBER = re.compile(r'^    (?:\[[^\]]*\]\s*)*(?:(?:public|private|internal|protected|static|async|override|sealed|virtual|readonly|partial|abstract)\s+)+[^;=]*?\b(\w+)\s*(?:<[^>]*>)?\s*\(')
TYPE = re.compile(r'^(?:public |internal )?(?:static |sealed |abstract |partial )*(?:class|record|struct|interface) (\w+)')
docs = []
for root, dirs, files in os.walk(src):
    dirs[:] = sorted(d for d in dirs if d not in ('bin', 'obj'))
    for name in sorted(files):
        if not name.endswith('.cs'):
            continue
        path = os.path.join(root, name)
        rel = os.path.relpath(path, src)
        lines = open(path, encoding='utf-8').read().split('\n')
        typename = None
        i = 0
        while i < len(lines):
            t = TYPE.match(lines[i])
            if t:
                typename = t.group(1)
            m = MEMBER.match(lines[i])
            if m and typename:
                # include the doc comment and attributes above
                start = i
                while start > 0 and re.match(r'^    (///|\[)', lines[start - 1]):
                    start -= 1
                # find the end: a line "    }" after a "    {" or a line ending with ';' for expression bodies
                end = i
                if '=>' in lines[i] or (i + 1 < len(lines) and lines[i + 1].strip().startswith('=>')):
                    while end < len(lines) and not lines[end].rstrip().endswith(';'):
                        end += 1
                else:
                    while end < len(lines) and lines[end].rstrip() != '    }':
                        end += 1
                body = '\n'.join(l[4:] if l.startswith('    ') else l for l in lines[start:end + 1]).strip()
                n = end - i + 1
                if 4 <= n <= 70 and len(body) >= 200:
                    docs.append({'_id': '', 'title': f'{rel}: {typename}.{m.group(1)}', 'text': body})
                i = end + 1
                continue
            i += 1
for n, d in enumerate(docs):
    d['_id'] = f'code-{n:04d}'
# Only documented members: keeps the corpus small enough to embed in a few minutes on a laptop.
docs = [d for d in docs if '///' in d['text']]
with open(os.path.join(out, 'corpus.jsonl'), 'w', encoding='utf-8') as f:
    for d in docs:
        f.write(json.dumps(d, ensure_ascii=False) + '\n')
print(len(docs), 'passages')
