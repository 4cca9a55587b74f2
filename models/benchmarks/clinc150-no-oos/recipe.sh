#!/usr/bin/env bash
# CLINC150 without out-of-scope training data: the 100 `oos` records are dropped from train
# (`--drop-label oos`); dev keeps its `oos` records, on which the temperature-calibrated
# max-probability threshold is tuned.
#   bash models/benchmarks/clinc150-no-oos/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
train --data "$shared/clinc150-oos/train.jsonl" --dev "$shared/clinc150-oos/dev.jsonl" --name clinc150-no-oos --lr 0.01 --drop-label oos
evaluate "$shared/clinc150-oos/dev.jsonl"
