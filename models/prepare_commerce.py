#!/usr/bin/env python3
"""Builds the training and dev JSONL of the commerce models (commerce-en, commerce-multi).

One taxonomy for both: Bitext's 27 customer-support intents, 17 shopping, after-purchase and
dialogue intents, and `oos` (definitions and borderline rules: data/README.md). Sources:

- data/commerce/train-{en,sv}.jsonl: written by the team (intent, sentiment, entities incl.
  `product` and `brand`); data/commerce/dev-{en,sv}.jsonl are the authored dev sets;
- bitext-customer-support: its 27 intents and 7 entity types, as is (CDLA-Sharing-1.0);
- CLINC150 (CC BY 3.0): the intents whose meaning equals one of ours (CLINC_MAP), out-of-scope
  from the domains a shop does not serve (25 per intent in train, 5 in dev) and CLINC's `oos`;
- Banking77 (CC BY 4.0): the intents whose meaning equals one of ours (BANKING_MAP), at most
  40 per intent in train and 10 in dev;
- GoEmotions (CC BY 4.0): sentiment (negative / neutral / positive, GoEmotions' own grouping)
  and 28 emotion labels; `[NAME]` masks become sampled first names so that the heads do not
  learn the mask token. `--goemotions N` keeps a seeded N of train (all of dev).

Usage: prepare_commerce.py SHARED_DATA_DIR OUT_DIR [--langs en|en,sv] [--goemotions N]
Writes OUT_DIR/{train,dev}.jsonl and OUT_DIR/eval/clinc150-dev.jsonl (CLINC150 dev on the taxonomy).
"""
import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# CLINC150 intents with the same meaning as a commerce intent.
CLINC_MAP = {
    "greeting": "greeting", "goodbye": "goodbye", "thank_you": "thanks", "yes": "affirm",
    "no": "deny", "are_you_a_bot": "bot_challenge", "order_status": "track_order",
    "card_declined": "payment_issue",
}
# CLINC150 intents that a shop's assistant could reasonably serve, or that overlap the
# commerce intents in meaning (orders, payments, accounts, cards, bills), or that are
# ambiguous meta commands: neither mapped nor used as out-of-scope.
NOT_OOS = set(CLINC_MAP) | {
    # banking domain
    "transfer", "transactions", "balance", "freeze_account", "pay_bill", "bill_balance",
    "bill_due", "interest_rate", "routing", "min_payment", "order_checks", "pin_change",
    "report_fraud", "account_blocked", "spending_history",
    # credit cards domain
    "credit_score", "report_lost_card", "credit_limit", "rewards_balance", "new_card",
    "application_status", "international_fees", "apr", "redeem_rewards",
    "credit_limit_change", "damaged_card", "replacement_card_duration", "improve_credit_score",
    "expiration_date",
    # shopping and account intents of other domains, and meta commands
    "order", "shopping_list", "shopping_list_update", "user_name", "change_user_name", "cancel",
    "repeat", "maybe", "what_can_i_ask_you", "how_old_are_you", "who_made_you", "what_is_your_name",
}
# Banking77 intents with the same meaning as a commerce intent.
BANKING_MAP = {
    "transaction_charged_twice": "payment_issue", "declined_card_payment": "payment_issue",
    "Refund_not_showing_up": "track_refund", "request_refund": "get_refund",
    "terminate_account": "delete_account", "edit_personal_details": "edit_account",
    "passcode_forgotten": "recover_password",
}
NAMES = ["Anna", "Erik", "Maria", "Johan", "Sara", "Lars", "Emma", "Karl", "Lisa", "Ahmed",
         "Fatima", "Oskar", "Elin", "James", "Emily", "Michael", "Sophie", "David", "Olivia",
         "Noah", "Chloe", "Ali", "Ingrid", "Mohammed", "Priya", "Lucas", "Maja", "Liam"]


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def clinc(records, per_intent, rng):
    """Mapped CLINC intents, and out-of-scope from the domains a shop does not serve."""
    by_intent = defaultdict(list)
    for r in records:
        by_intent[r["intent"]].append(r)
    out = []
    for intent in sorted(by_intent):
        rows = by_intent[intent]
        if intent in CLINC_MAP:
            label = CLINC_MAP[intent]
        elif intent in NOT_OOS:
            continue
        else:
            label = "oos"
            rows = rows if intent == "oos" else rng.sample(rows, min(per_intent, len(rows)))
        out += [{"text": r["text"], "intent": label, "entities": [], "lang": "en"} for r in rows]
    return out


def banking(records, per_intent, rng):
    by_intent = defaultdict(list)
    for r in records:
        if r["intent"] in BANKING_MAP:
            by_intent[r["intent"]].append(r)
    out = []
    for intent in sorted(by_intent):
        rows = rng.sample(by_intent[intent], min(per_intent, len(by_intent[intent])))
        out += [{"text": r["text"], "intent": BANKING_MAP[intent], "lang": "en"} for r in rows]
    return out


def goemotions(records, n, rng):
    if n is not None and n < len(records):
        records = rng.sample(records, n)
    out = []
    for r in records:
        text = r["text"]
        while "[NAME]" in text:
            text = text.replace("[NAME]", rng.choice(NAMES), 1)
        row = {"text": text, "emotions": r["emotions"], "lang": "en"}
        if "sentiment" in r:
            row["sentiment"] = r["sentiment"]
        out.append(row)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shared", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--langs", default="en")
    ap.add_argument("--goemotions", type=int, default=None)
    args = ap.parse_args()
    langs = [l for l in args.langs.split(",") if l]
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(13)
    for split, per_intent, per_banking in (("train", 25, 40), ("dev", 5, 10)):
        rows = [dict(r, lang="en") for r in read(args.shared / "bitext-customer-support" / f"{split}.jsonl")]
        rows += clinc(read(args.shared / "clinc150-oos" / f"{split}.jsonl"), per_intent, rng)
        rows += banking(read(args.shared / "banking77" / f"{split}.jsonl"), per_banking, rng)
        go = read(args.shared / "goemotions" / f"{split}.jsonl")
        rows += goemotions(go, args.goemotions if split == "train" else None, rng)
        for lang in langs:
            path = ROOT / "data" / "commerce" / f"{split}-{lang}.jsonl"
            if path.exists():
                rows += read(path)
            elif split == "train":
                sys.exit(f"{path} is missing")
            else:
                print(f"note: {path} is missing; dev has no authored records", file=sys.stderr)
        rng.shuffle(rows)
        with open(args.out / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{split}: {len(rows)} records", file=sys.stderr)
    # Evaluation: all of CLINC150's dev split on the taxonomy (every unrelated utterance as oos).
    (args.out / "eval").mkdir(exist_ok=True)
    rows = clinc(read(args.shared / "clinc150-oos" / "dev.jsonl"), 10**6, rng)
    with open(args.out / "eval" / "clinc150-dev.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
