#!/usr/bin/env bash
# ATIS (atis-bio): intent + slots over the frozen encoder, linear heads, learned BIO transitions.
#   bash models/benchmarks/atis/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
train --data "$shared/atis-bio/train.jsonl" --dev "$shared/atis-bio/dev.jsonl" --name atis
evaluate "$shared/atis-bio/dev.jsonl"
evaluate_decoders "$shared/atis-bio/dev.jsonl"
