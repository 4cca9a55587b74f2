#!/usr/bin/env python3
"""Builds the training and dev JSONL of models/commerce-multi from ../shared/data.

Everything of models/commerce-en (see prepare_commerce.py: Bitext intents and entities,
CLINC150 out-of-scope, SST-2 sentiment), on the multilingual encoder, plus Swedish named
entities: uner-sv (CC BY-SA 4.0) and swedish-ner-webbnyheter2012 (CC BY 4.0), labels PER,
ORG, LOC. MISC (webbnyheter only; uner-sv leaves such names unlabelled) is dropped so that
both corpora mean the same thing by an unlabelled word.

SST-2 train is subsampled to 12,000 sentences (seeded) to bound encoding time on a 2-core
machine. swe-sentiment-emoji-sv is research/hobby-only: it is used for evaluation only
(OUT_DIR/eval/), never for training.

Usage: prepare_multi.py SHARED_DATA_DIR OUT_DIR
Writes OUT_DIR/{train,dev}.jsonl and the evaluation files OUT_DIR/eval/*.jsonl.
"""
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prepare_commerce import oos_examples, read  # noqa: E402

NER_LABELS = {"PER", "ORG", "LOC"}
SST2_TRAIN = 12000


def ner(rows):
    out = []
    for r in rows:
        ents = [e for e in r.get("entities", []) if e["label"] in NER_LABELS]
        out.append({"text": r["text"], "entities": ents, "lang": r.get("lang", "sv")})
    return out


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{path}: {len(rows)} records", file=sys.stderr)


def main():
    shared, out = Path(sys.argv[1]), Path(sys.argv[2])
    (out / "eval").mkdir(parents=True, exist_ok=True)
    rng = random.Random(13)
    for split, per_intent in (("train", 25), ("dev", 5)):
        rows = read(shared / "bitext-customer-support" / f"{split}.jsonl")
        rows += oos_examples(read(shared / "clinc150-oos" / f"{split}.jsonl"), per_intent, rng)
        sst2 = read(shared / "sst2-glue" / f"{split}.jsonl")
        if split == "train":
            sst2 = random.Random(13).sample(sst2, SST2_TRAIN)
        rows += sst2
        for corpus in ("uner-sv", "swedish-ner-webbnyheter2012"):
            rows += ner(read(shared / corpus / f"{split}.jsonl"))
        write(out / f"{split}.jsonl", rows)
    # Evaluation sets, one per language and task.
    for corpus in ("uner-sv", "swedish-ner-webbnyheter2012", "uner-en"):
        write(out / "eval" / f"{corpus}.jsonl", ner(read(shared / corpus / "dev.jsonl")))
    swe = read(shared / "swe-sentiment-emoji-sv" / "dev.jsonl")
    write(out / "eval" / "swe-sentiment.jsonl", swe)
    write(out / "eval" / "swe-sentiment-polar.jsonl",
          [r for r in swe if r["sentiment"] in ("positive", "negative")])


if __name__ == "__main__":
    main()
