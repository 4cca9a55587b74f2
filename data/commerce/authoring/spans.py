#!/usr/bin/env python3
"""Turns authored records into the project's JSONL format.

Input lines: {"text": str, "intent": str, "sentiment": str, "lang": "en"|"sv",
              "entities": [{"text": str, "label": str, "nth": int (optional, 0-based occurrence)}]}
Output lines: the same with entities as {"start", "end", "label"} character offsets (end exclusive).
Usage: python3 spans.py IN.jsonl OUT.jsonl   (fails naming the line of any entity text not found)
"""
import json, sys

INTENTS = set("""cancel_order change_order change_shipping_address check_cancellation_fee check_invoice
check_payment_methods check_refund_policy complaint contact_customer_service contact_human_agent
create_account delete_account delivery_options delivery_period edit_account get_invoice get_refund
newsletter_subscription payment_issue place_order recover_password registration_problems review
set_up_shipping_address switch_account track_order track_refund product_search product_availability
product_recommendation product_info size_advice compare_products discount_code return_item
exchange_item damaged_or_wrong_item missing_delivery greeting goodbye thanks affirm deny
bot_challenge oos""".split())
LABELS = {"order_id", "invoice_id", "account_type", "person_name", "delivery_city",
          "delivery_country", "refund_amount", "product", "brand"}
SENT = {"negative", "neutral", "positive"}

def main(src, dst):
    out, errors = [], []
    for no, line in enumerate(open(src, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            text = r["text"]
            assert r["intent"] in INTENTS, f"unknown intent {r['intent']}"
            assert r["sentiment"] in SENT, f"unknown sentiment {r['sentiment']}"
            assert r["lang"] in ("en", "sv"), "lang must be en or sv"
            spans = []
            for e in r.get("entities", []):
                assert e["label"] in LABELS, f"unknown entity label {e['label']}"
                pos, nth = -1, e.get("nth", 0)
                for _ in range(nth + 1):
                    pos = text.find(e["text"], pos + 1)
                    assert pos >= 0, f"entity text {e['text']!r} not found"
                start = len(text[:pos])  # str indices are code points in Python
                spans.append({"start": start, "end": start + len(e["text"]), "label": e["label"]})
            spans.sort(key=lambda s: s["start"])
            out.append({"text": text, "intent": r["intent"], "entities": spans,
                        "sentiment": r["sentiment"], "lang": r["lang"]})
        except Exception as exc:  # report every bad line at once
            errors.append(f"{src}:{no}: {exc}")
    if errors:
        sys.exit("\n".join(errors))
    with open(dst, "w", encoding="utf-8") as f:
        for r in out:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{dst}: {len(out)} records")

if __name__ == "__main__":
    main(*sys.argv[1:3])
