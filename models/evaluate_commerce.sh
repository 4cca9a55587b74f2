#!/usr/bin/env bash
# Evaluates a commerce model on every dev set docs/accuracy.md reports (JSON per set):
#   bash models/evaluate_commerce.sh models/commerce-en [SHARED_DATA_DIR]
set -euo pipefail
model=$1
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${2:-$root/../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
python3 models/prepare_commerce.py "$shared" "$work" --langs "" --goemotions 0 2>/dev/null
for data in data/commerce/dev-en.jsonl data/commerce/dev-sv.jsonl \
  data/bitext-customer-support/dev.jsonl "$work/eval/clinc150-dev.jsonl" \
  "$shared/goemotions/dev.jsonl" "$shared/tweeteval-sentiment/dev.jsonl" \
  "$shared/swe-sentiment-emoji-sv/dev.jsonl"; do
  [ -f "$data" ] || continue
  printf '%s\t' "${data#"$work"/}"
  target/release/tolka eval --model "$model" --data "$data" --json
done
