#!/usr/bin/env bash
# Banking77 10-shot: a seeded sample of 10 training records per intent (`--per-label 10`,
# seed 13), linear head trained with AdamW (early stopping on the full dev set).
#   bash models/benchmarks/banking77-10shot-linear/recipe.sh [SHARED_DATA_DIR]
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
train --data "$shared/banking77/train.jsonl" --dev "$shared/banking77/dev.jsonl" --name banking77-10shot-linear --lr 0.01 --per-label 10
evaluate "$shared/banking77/dev.jsonl"
