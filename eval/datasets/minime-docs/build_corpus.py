#!/usr/bin/env python3
"""Builds corpus.jsonl of the minime-docs dataset from the project's own documents.

Each source document is split into passages at Markdown headings (## and deeper, outside code
fences); a section longer than MAX_CHARS is cut at blank lines into parts of about TARGET_CHARS.
Passage ids are stable as long as the sources do not change: <doc>-<nnn> in reading order.

Usage: build_corpus.py SHARED_DIR OUT_DIR   (SHARED_DIR holds SPEC.md and seeds/)
"""
import json
import os
import re
import sys

SOURCES = [
    ("spec", "SPEC.md", "MiniMe product specification"),
    ("minime", "seeds/000_c41b36ad61bb6dc0.txt", "MiniMe build plan"),
    ("aimos", "seeds/001_2860e3f4ad182abf.txt", "AIM-OS low-cost execution plan"),
    ("agentengine", "seeds/002_170da2ed7e72662a.txt", "Agent Engine build plan"),
    ("nima", "seeds/003_753b0bf68f68e956.txt", "Nima master prompt"),
    ("mnemosyne", "seeds/004_a64496bb3bdb6686.txt", "Mnemosyne implementation guide"),
]
TARGET_CHARS = 1000
MAX_CHARS = 1600
MIN_CHARS = 80
HEADING = re.compile(r"^(#{2,4})\s+(.*\S)\s*$")


def sections(text):
    """(heading, body) pairs; '#' lines inside ``` fences are code comments, not headings."""
    heading, lines, fenced = None, [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if match:
            yield heading, "\n".join(lines).strip()
            heading, lines = match.group(2).strip(), []
        else:
            lines.append(line)
    yield heading, "\n".join(lines).strip()


def parts(body):
    if len(body) <= MAX_CHARS:
        yield body
        return
    current = ""
    for paragraph in re.split(r"\n\s*\n", body):
        if current and len(current) + len(paragraph) > TARGET_CHARS:
            yield current.strip()
            current = ""
        current += paragraph + "\n\n"
    if current.strip():
        yield current.strip()


def main(shared, out):
    with open(os.path.join(out, "corpus.jsonl"), "w", encoding="utf-8") as corpus:
        for key, relative, title in SOURCES:
            with open(os.path.join(shared, relative), encoding="utf-8", errors="replace") as f:
                text = f.read()
            n = 0
            for heading, body in sections(text):
                for part in parts(body):
                    if len(part) < MIN_CHARS:
                        continue
                    n += 1
                    record = {"_id": f"{key}-{n:03d}", "title": f"{title}: {heading}" if heading else title, "text": part}
                    corpus.write(json.dumps(record, ensure_ascii=False) + "\n")
            print(f"{key}: {n} passages", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
