#!/usr/bin/env bash
# CLINC150 (clinc150-oos): 150 intents + `oos` as a trained class, linear head, out-of-scope
# threshold tuned on dev.
#   bash models/benchmarks/clinc150/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
train --data "$shared/clinc150-oos/train.jsonl" --dev "$shared/clinc150-oos/dev.jsonl" --name clinc150 --lr 0.01
evaluate "$shared/clinc150-oos/dev.jsonl"
