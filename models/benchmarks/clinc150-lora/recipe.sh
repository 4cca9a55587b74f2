#!/usr/bin/env bash
# CLINC150 (clinc150-oos) with the encoder fine-tuned: LoRA adapters (rank 8, alpha 16) on the
# attention q/k/v/output projections of all-MiniLM-L6-v2, trained for one epoch over all
# 15,100 training records (adapter lr 3e-3, temporary-head lr 3e-2, batch 32, 472 steps)
# jointly with a temporary intent head; then the package's linear
# head, temperature and out-of-scope threshold are fitted on the adapted encoder's features
# exactly as in ../clinc150. Only adapters.safetensors (≈ 0.6 MiB) and the heads are stored;
# the adapters are merged into the fetched base weights at load time.
#   bash models/benchmarks/clinc150-lora/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
# Run it with RAYON_NUM_THREADS set to the cores you give it (see docs/accuracy.md for times).
# The committed package was trained by this exact `tolka train` command with --out /tmp/lora/run2
# (train.log) and copied here, its manifest's encoder path rewritten to ../../base/...
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
train --data "$shared/clinc150-oos/train.jsonl" --dev "$shared/clinc150-oos/dev.jsonl" --name clinc150-lora --lr 0.01 \
  --finetune lora --lora-rank 8 --lora-alpha 16 --finetune-epochs 1 --finetune-lr 3e-3 --finetune-head-lr 3e-2
evaluate "$shared/clinc150-oos/dev.jsonl"
