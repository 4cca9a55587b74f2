#!/usr/bin/env bash
# SST-2 (sst2-glue) sentiment, linear head. Trains on a seeded sample of 20,000 of the
# 67,349 training sentences (encoding all of them takes ~6 min on 2 cores; set
# SST2_TRAIN=all for the full set). Licence of SST-2: unknown, research use (see SOURCE.md).
#   bash models/benchmarks/sst2/recipe.sh [SHARED_DATA_DIR]   (default ../shared/data)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$shared/sst2-glue/train.jsonl" "$work/train.jsonl" "${SST2_TRAIN:-20000}" <<'PY'
import random, sys
src, dst, n = sys.argv[1:]
lines = open(src, encoding="utf-8").readlines()
if n != "all":
    keep = sorted(random.Random(13).sample(range(len(lines)), int(n)))
    lines = [lines[i] for i in keep]
open(dst, "w", encoding="utf-8").writelines(lines)
PY
train --data "$work/train.jsonl" --dev "$shared/sst2-glue/dev.jsonl" --name sst2
evaluate "$shared/sst2-glue/dev.jsonl"
