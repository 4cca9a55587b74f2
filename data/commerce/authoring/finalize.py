#!/usr/bin/env python3
"""Builds data/commerce/{train,dev}-{en,sv}.jsonl from the authoring files.

train-LANG: the lead's lists (lead-LANG-*.py through compact.py) and the other writers' files
(train-LANG-*.jsonl, converted from *.authored.jsonl by spans.py), concatenated.
dev-LANG: dev/dev-LANG.authored.jsonl (kept apart from the training sources) converted by spans.py, minus every message whose text
(lower-cased, punctuation dropped) also occurs in train-LANG: short common messages ("hej",
"where is my order?") were written by both sides independently, and a dev copy of a training
text would only measure memory.
Usage: python3 finalize.py   (from any directory)
"""
import json, re, subprocess, sys
from pathlib import Path

here = Path(__file__).resolve().parent
out = here.parent
norm = lambda t: re.sub(r"[\W_]+", " ", t.lower()).strip()

for lang in ("en", "sv"):
    rows = []
    for src in sorted(here.glob(f"lead-{lang}-*.py")):
        tmp = here / f"{src.stem}.jsonl"
        subprocess.run([sys.executable, here / "compact.py", src, tmp], check=True)
        rows += tmp.read_text(encoding="utf-8").splitlines()
    for src in sorted(here.glob(f"train-{lang}-*.authored.jsonl")):
        tmp = here / src.name.replace(".authored", "")
        subprocess.run([sys.executable, here / "spans.py", src, tmp], check=True, stdout=subprocess.DEVNULL)
        rows += tmp.read_text(encoding="utf-8").splitlines()
    (out / f"train-{lang}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    seen = {norm(json.loads(r)["text"]) for r in rows}
    dev_src = here / "dev" / f"dev-{lang}.authored.jsonl"
    if not dev_src.exists():
        continue
    tmp = here / f"dev-{lang}.converted.jsonl"
    subprocess.run([sys.executable, here / "spans.py", dev_src, tmp], check=True, stdout=subprocess.DEVNULL)
    dev = tmp.read_text(encoding="utf-8").splitlines()
    tmp.unlink()
    kept = [r for r in dev if norm(json.loads(r)["text"]) not in seen]
    (out / f"dev-{lang}.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(f"{lang}: train {len(rows)}, dev {len(kept)} ({len(dev) - len(kept)} of {len(dev)} dropped as training texts)")
