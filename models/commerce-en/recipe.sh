#!/usr/bin/env bash
# Reproduces models/commerce-en (44 commerce intents + oos, entities, 3-class sentiment, 28
# emotions) from data/commerce and the shared datasets (see models/prepare_commerce.py):
#   bash models/commerce-en/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
# LoRA adapters (rank 8, attention projections) are fine-tuned for two epochs jointly on the
# intent, entity and sentiment records (every intent/entity record, GoEmotions filling up to
# 14,000), then the heads, temperature, out-of-scope threshold, entity transitions and
# emotion thresholds are fitted on the adapted encoder over all records. Run it with
# RAYON_NUM_THREADS set to the cores you give it; the time it took is in train.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${1:-$root/../shared/data}
work=${TOLKA_WORK:-$(mktemp -d)}
cd "$root"
bash models/fetch-encoder.sh
python3 models/prepare_commerce.py "$shared" "$work" --langs en
cargo build --release --quiet
time target/release/tolka train \
  --data "$work/train.jsonl" --dev "$work/dev.jsonl" \
  --out models/commerce-en --name commerce-en --seed 13 \
  --hidden 256 --neutral-band 0 --rules \
  --finetune lora --lora-rank 8 --lora-alpha 16 --finetune-epochs 2 \
  --finetune-lr 3e-3 --finetune-head-lr 3e-2 --finetune-max-records 14000
