#!/usr/bin/env python3
"""Converts the team's compact authoring lists into the project's JSONL.

A compact file is Python defining DATA = {intent: [line, ...]} and LANG. A line may start with
"-:" (negative) or "+:" (positive), else neutral; entities are marked [text](label).
Usage: compact.py IN.py OUT.jsonl
"""
import json, re, runpy, sys

ANN = re.compile(r"\[([^\]]+)\]\(([a-z_]+)\)")

def convert(line, intent, lang):
    sentiment = "neutral"
    if line.startswith("-:"):
        sentiment, line = "negative", line[2:].lstrip()
    elif line.startswith("+:"):
        sentiment, line = "positive", line[2:].lstrip()
    text, spans, last = "", [], 0
    for m in ANN.finditer(line):
        text += line[last:m.start()]
        start = len(text)
        text += m.group(1)
        spans.append({"start": start, "end": len(text), "label": m.group(2)})
        last = m.end()
    text += line[last:]
    return {"text": text, "intent": intent, "entities": spans, "sentiment": sentiment, "lang": lang}

def main(src, dst):
    ns = runpy.run_path(src)
    with open(dst, "w", encoding="utf-8") as f:
        for intent, lines in ns["DATA"].items():
            for line in lines:
                f.write(json.dumps(convert(line, intent, ns["LANG"]), ensure_ascii=False) + "\n")

if __name__ == "__main__":
    main(*sys.argv[1:3])
