#!/usr/bin/env python3
"""Builds data/oos-pool.jsonl, the out-of-scope pool that `tolka train` mixes into a shop's
own intents (unless --no-oos-pool) so that every model it trains has out-of-scope detection.

Contents: CLINC150 train utterances (CC BY 3.0, Larson et al. 2019) of the domains a shop's
assistant does not serve (15 per intent; the shop-like, banking and card intents of
prepare_commerce.NOT_OOS and the mapped dialogue intents are left out) and CLINC's own `oos`
queries, plus the team-written out-of-scope messages of data/commerce/train-{en,sv}.jsonl.
Texts only (`{"text", "lang"}`), one per line.

Usage: prepare_oos_pool.py SHARED_DATA_DIR
"""
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prepare_commerce import NOT_OOS, ROOT, read  # noqa: E402

PER_INTENT = 15


def main():
    shared = Path(sys.argv[1])
    rng = random.Random(13)
    by_intent = defaultdict(list)
    for r in read(shared / "clinc150-oos" / "train.jsonl"):
        if r["intent"] not in NOT_OOS:
            by_intent[r["intent"]].append(r["text"])
    rows = []
    for intent in sorted(by_intent):
        texts = by_intent[intent]
        chosen = texts if intent == "oos" else rng.sample(texts, min(PER_INTENT, len(texts)))
        rows += [{"text": t, "lang": "en"} for t in chosen]
    for lang in ("en", "sv"):
        path = ROOT / "data" / "commerce" / f"train-{lang}.jsonl"
        if path.exists():
            rows += [{"text": r["text"], "lang": lang} for r in read(path) if r.get("intent") == "oos"]
    out = ROOT / "data" / "oos-pool.jsonl"
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{out}: {len(rows)} texts", file=sys.stderr)


if __name__ == "__main__":
    main()
