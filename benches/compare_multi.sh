#!/usr/bin/env bash
# `tolka bench` of models/commerce-multi (multilingual-e5-small, 4-bit base + LoRA) next to
# ONNX Runtime running the same encoder (benches/peer_multi.py: the dequantised weights with
# the adapters merged, f32 plain, f32 BERT-fused, ORT's dynamic int8), on the same 1024 texts
# (data/commerce/dev-sv.jsonl, then the first 60 lines of dev-en.jsonl), the same threads.
# Needs the peers' venv (bash ../shared/peers/setup.sh) and models/fetch-multilingual.sh;
# exports the ONNX graphs once to ~/.cache/tolka-peers (≈1 min, ≈1 GB).
#   bash benches/compare_multi.sh      (run it on an idle machine; ≈30 min on 2 cores)
# Prints a Markdown table (b1/b8/b32/b128 utt/s, p50 ms at batch 1, peak RSS, cold start)
# and writes it to benches/results/compare-multi.md (OUT=FILE elsewhere).
# Knobs: PEER_N (1024 texts), PEER_REPEATS (3), PEER_THREADS (2), PEER_COLD (3 cold starts),
# TOLKA_BUILD=0 (skip cargo build), PY (the peers' Python), TOLKA_PY (a Python with the tolka
# module for the embedding check, default python/.venv/bin/python).
# Smoke test: PEER_N=32 PEER_REPEATS=1 PEER_COLD=1 OUT=/tmp/m.md bash benches/compare_multi.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PY:-$HOME/.cache/tolka-peers-venv/bin/python}
export PEER_THREADS=${PEER_THREADS:-2} PEER_N=${PEER_N:-1024} PEER_REPEATS=${PEER_REPEATS:-3}
model=${TOLKA_MODEL:-models/commerce-multi}
export TOLKA_MODEL=$root/$model
report=${OUT:-$root/benches/results/compare-multi.md}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
[ -x "$py" ] || { echo "no peers' venv at $py: bash ../shared/peers/setup.sh" >&2; exit 1; }
[ -f models/base/multilingual-e5-small/model.e5s1 ] || bash models/fetch-multilingual.sh
[ "${TOLKA_BUILD:-1}" = 0 ] || cargo build --release --quiet
"$py" benches/peer_multi.py texts "$out/texts.txt"
"$py" benches/peer_multi.py export > /dev/null   # cached; prints the embedding check once
load() { cut -d' ' -f1 /proc/loadavg; }
before=$(load)
echo "load before: $before" >&2
for precision in f32 f16 int8; do
  echo "== tolka bench --precision $precision" >&2
  target/release/tolka bench --model "$model" --data "$out/texts.txt" \
    --batch-sizes 1,8,32,128 --n "$PEER_N" --repeats "$PEER_REPEATS" \
    --threads "$PEER_THREADS" --precision "$precision" --json > "$out/tolka-$precision.json"
  "$py" benches/peer_multi.py cold-tolka target/release/tolka "$precision" "$out/peers.jsonl" \
    > /dev/null
done
echo "== onnxruntime (f32, f32 fused, int8)" >&2
"$py" benches/peer_multi.py run "$out/texts.txt" "$out/peers.jsonl" > /dev/null
after=$(load)
echo "load after: $after" >&2
mkdir -p "$(dirname "$report")"
header="$(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), \
$PEER_THREADS threads, load $before before, $after after"
"$py" benches/peer_multi.py report "$out/peers.jsonl" "$header" "$out"/tolka-{f32,f16,int8}.json \
  | tee "$report"
