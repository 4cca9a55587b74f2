#!/usr/bin/env bash
# SLURP (slurp-en, text only): intent + slots, linear heads, learned BIO transitions.
#   bash models/benchmarks/slurp/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
train --data "$shared/slurp-en/train.jsonl" --dev "$shared/slurp-en/dev.jsonl" --name slurp
evaluate "$shared/slurp-en/dev.jsonl"
evaluate_decoders "$shared/slurp-en/dev.jsonl"
