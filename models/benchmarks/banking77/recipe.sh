#!/usr/bin/env bash
# Banking77, all training data: 77 intents, linear head.
#   bash models/benchmarks/banking77/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
train --data "$shared/banking77/train.jsonl" --dev "$shared/banking77/dev.jsonl" --name banking77 --lr 0.01
evaluate "$shared/banking77/dev.jsonl"
