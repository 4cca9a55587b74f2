#!/usr/bin/env bash
# Banking77 10-shot: the same seeded sample of 10 training records per intent as
# banking77-10shot-linear, prototype classifier (cosine to class centroids, no training;
# only the softmax temperature is fitted on dev).
#   bash models/benchmarks/banking77-10shot-prototype/recipe.sh [SHARED_DATA_DIR]
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
train --data "$shared/banking77/train.jsonl" --dev "$shared/banking77/dev.jsonl" --name banking77-10shot-prototype --per-label 10 --classifier prototype
evaluate "$shared/banking77/dev.jsonl"
