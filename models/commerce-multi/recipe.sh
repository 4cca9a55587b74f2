#!/usr/bin/env bash
# Reproduces models/commerce-multi (English + Swedish on multilingual-e5-small; the same 44
# commerce intents + oos, entities, 3-class sentiment and 28 emotions as commerce-en) from
# data/commerce and the shared datasets (see models/prepare_commerce.py):
#   bash models/commerce-multi/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
# LoRA adapters (rank 8, attention projections) are fine-tuned for one epoch on every intent
# and entity record, GoEmotions filling up to 10,000; the heads are then fitted on all records.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${1:-$root/../shared/data}
work=${TOLKA_WORK:-$(mktemp -d)}
cd "$root"
bash models/fetch-multilingual.sh
python3 models/prepare_commerce.py "$shared" "$work" --langs en,sv --goemotions 20000
cargo build --release --quiet
time target/release/tolka train \
  --data "$work/train.jsonl" --dev "$work/dev.jsonl" \
  --encoder models/base/multilingual-e5-small \
  --out models/commerce-multi --name commerce-multi --seed 13 \
  --hidden 256 --neutral-band 0 --rules \
  --finetune lora --lora-rank 8 --lora-alpha 16 --finetune-epochs 1 \
  --finetune-lr 3e-3 --finetune-head-lr 3e-2 --finetune-max-records 10000
