#!/usr/bin/env python3
"""Builds the training and dev JSONL of models/commerce-en from ../shared/data.

- intents + entities: bitext-customer-support (27 intents, 7 entity types), as is;
- out of scope: CLINC150 utterances of domains unrelated to a shop (banking, credit cards and
  shopping-like intents removed), 25 per intent in train and 5 in dev, plus CLINC's own `oos`
  queries, all labelled `oos` and with `entities: []` (they contain none of the shop's entity
  types, which teaches the entity head what is not an entity);
- sentiment: sst2-glue (negative/positive; research-only licence, see models/README.md).

Usage: prepare_commerce.py SHARED_DATA_DIR OUT_DIR [SST2_TRAIN]
  writes OUT_DIR/{train,dev}.jsonl; with SST2_TRAIN, train keeps a seeded sample of that many
  SST-2 sentences (the LoRA recipe of commerce-en uses 10000: fine-tuning time grows with the
  records, and 67k movie-review sentences would drown the 6.5k shop records)
"""
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

# CLINC150 intents that a shop's customer-support bot could reasonably serve or that overlap
# the Bitext intents (orders, payments, accounts, cards, bills): not used as out-of-scope.
NOT_OOS = {
    # banking domain
    "transfer", "transactions", "balance", "freeze_account", "pay_bill", "bill_balance",
    "bill_due", "interest_rate", "routing", "min_payment", "order_checks", "pin_change",
    "report_fraud", "account_blocked", "spending_history",
    # credit cards domain
    "credit_score", "report_lost_card", "credit_limit", "rewards_balance", "new_card",
    "application_status", "card_declined", "international_fees", "apr", "redeem_rewards",
    "credit_limit_change", "damaged_card", "replacement_card_duration", "improve_credit_score",
    "expiration_date",
    # shopping and account intents of other domains, and ambiguous meta commands
    "order", "order_status", "shopping_list", "shopping_list_update", "user_name",
    "change_user_name", "cancel",
}


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def oos_examples(records, per_intent, rng):
    by_intent = defaultdict(list)
    for r in records:
        if r["intent"] not in NOT_OOS:
            by_intent[r["intent"]].append(r)
    out = []
    for intent in sorted(by_intent):
        rows = by_intent[intent]
        chosen = rows if intent == "oos" else rng.sample(rows, min(per_intent, len(rows)))
        out += [{"text": r["text"], "intent": "oos", "entities": [], "lang": "en"} for r in chosen]
    return out


def main():
    shared, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(13)
    for split, per_intent in (("train", 25), ("dev", 5)):
        rows = read(shared / "bitext-customer-support" / f"{split}.jsonl")
        rows += oos_examples(read(shared / "clinc150-oos" / f"{split}.jsonl"), per_intent, rng)
        rows += read(shared / "sst2-glue" / f"{split}.jsonl")
        with open(out / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{split}: {len(rows)} records", file=sys.stderr)
    if len(sys.argv) > 3:
        subsample_sst2(out / "train.jsonl", int(sys.argv[3]))


def subsample_sst2(path, n):
    """Keeps every non-SST-2 record and a seeded sample of n SST-2 ones, shuffled."""
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    sst = [r for r in rows if "sentiment" in r and "intent" not in r]
    other = [r for r in rows if not ("sentiment" in r and "intent" not in r)]
    rng = random.Random(13)
    rng.shuffle(sst)
    rows = other + sst[:n]
    rng.shuffle(rows)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"train: {len(rows)} records after keeping {n} SST-2 sentences", file=sys.stderr)


if __name__ == "__main__":
    main()
