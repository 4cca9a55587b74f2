#!/usr/bin/env bash
# SNIPS (snips-bio): intent + slots over the frozen encoder, linear heads, learned BIO transitions.
#   bash models/benchmarks/snips/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
train --data "$shared/snips-bio/train.jsonl" --dev "$shared/snips-bio/dev.jsonl" --name snips
evaluate "$shared/snips-bio/dev.jsonl"
evaluate_decoders "$shared/snips-bio/dev.jsonl"
