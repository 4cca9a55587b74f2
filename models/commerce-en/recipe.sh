#!/usr/bin/env bash
# Reproduces models/commerce-en from the shared datasets:
#   bash models/commerce-en/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${1:-$root/../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
bash models/fetch-encoder.sh
python3 models/prepare_commerce.py "$shared" "$work"
cargo run --release --quiet -- train \
  --data "$work/train.jsonl" --dev "$work/dev.jsonl" \
  --out models/commerce-en --name commerce-en --seed 13 \
  --hidden 256 --neutral-band 0 --rules
