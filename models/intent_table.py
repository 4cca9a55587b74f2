#!/usr/bin/env python3
"""Per-intent accuracy and the most frequent confusions of a model on a labelled JSONL file,
as Markdown (for docs/accuracy.md). Usage: intent_table.py MODEL DATA.jsonl"""
import collections, json, subprocess, sys

model, data = sys.argv[1:3]
gold = [json.loads(l)["intent"] for l in open(data, encoding="utf-8") if l.strip()]
out = subprocess.run(["target/release/tolka", "tag", "--model", model, data],
                     capture_output=True, text=True, check=True).stdout.splitlines()
pred = [json.loads(l)["analysis"]["intent"]["label"] for l in out]
total, right, confused = collections.Counter(gold), collections.Counter(), collections.Counter()
for g, p in zip(gold, pred):
    if g == p:
        right[g] += 1
    else:
        confused[(g, p)] += 1
print("| intent | n | accuracy |\n|---|---:|---:|")
for intent in sorted(total, key=lambda i: (right[i] / total[i], i)):
    print(f"| {intent} | {total[intent]} | {right[intent] / total[intent]:.2f} |")
print("\n| gold → predicted | n |\n|---|---:|")
for (g, p), n in confused.most_common(12):
    print(f"| {g} → {p} | {n} |")
