#!/usr/bin/env bash
# Reproduces models/commerce-multi (English + Swedish, multilingual-e5-small) from the shared
# datasets, then evaluates it on every English and Swedish dev set:
#   bash models/commerce-multi/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${1:-$root/../shared/data}
work=${TOLKA_WORK:-$(mktemp -d)}
cd "$root"
bash models/fetch-multilingual.sh
python3 models/prepare_multi.py "$shared" "$work"
cargo build --release --quiet
tolka=target/release/tolka
time "$tolka" train \
  --data "$work/train.jsonl" --dev "$work/dev.jsonl" \
  --encoder models/base/multilingual-e5-small \
  --out models/commerce-multi --name commerce-multi --seed 13 \
  --hidden 256 --neutral-band 0 --rules
for data in "$shared/bitext-customer-support/dev.jsonl" "$shared/sst2-glue/dev.jsonl" \
  "$work"/eval/*.jsonl; do
  echo "== $data"
  "$tolka" eval --model models/commerce-multi --data "$data" --json
  echo
done
