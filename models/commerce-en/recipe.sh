#!/usr/bin/env bash
# Reproduces models/commerce-en from the shared datasets:
#   bash models/commerce-en/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
# LoRA adapters (rank 8, attention projections) are fine-tuned for one epoch jointly on the
# intent, entity and sentiment records; the heads, temperature, out-of-scope threshold and
# entity transitions are then fitted on the adapted encoder. About 20 minutes on 2 cores
# (17.5 min of it fine-tuning); run it with RAYON_NUM_THREADS set to the cores you give it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${1:-$root/../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
bash models/fetch-encoder.sh
python3 models/prepare_commerce.py "$shared" "$work" 10000
cargo run --release --quiet -- train \
  --data "$work/train.jsonl" --dev "$work/dev.jsonl" \
  --out models/commerce-en --name commerce-en --seed 13 \
  --hidden 256 --neutral-band 0 --rules \
  --finetune lora --lora-rank 8 --lora-alpha 16 --finetune-epochs 1 \
  --finetune-lr 3e-3 --finetune-head-lr 3e-2
