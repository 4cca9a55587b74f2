#!/usr/bin/env bash
# `tolka bench` next to the PyTorch and ONNX Runtime peers of ../shared/peers: the same 1024
# utterances (the peers' seeded sample of CLINC150 dev), the same thread count, one run.
# Needs the peers' venv (bash ../shared/peers/setup.sh); exports the ONNX model if missing.
#   bash benches/compare.sh            (≈8 min on the 2-core machine; run it on an idle one)
# tolka runs three times, in f32, in f16 (f16 weights, f32 sums; AVX-512 or AVX2) and in
# int8 (where the CPU has AVX-512 VNNI); the bench reports the precision that ran. Prints the
# tables of the README's performance section and writes them to benches/results/compare.md,
# the numbers to benches/results/compare.json and the plot to docs/img/throughput.svg.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$root/../shared/peers}
py=${PY:-$HOME/.cache/tolka-peers-venv/bin/python}
export PEER_THREADS=${PEER_THREADS:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root"
cargo build --release --quiet
(cd "$peers" && "$py" -c 'from common import utterances; print("\n".join(utterances()[0]))') \
  > "$out/texts.txt"
[ -f "${PEER_CACHE:-$HOME/.cache/tolka-peers}/minilm_l6_embed.onnx" ] ||
  (cd "$peers" && "$py" export_onnx.py > /dev/null)
load() { cut -d' ' -f1 /proc/loadavg; }
before=$(load)
echo "load before: $before" >&2
for precision in f32 f16 int8; do
  echo "== tolka bench --precision $precision" >&2
  target/release/tolka bench --data "$out/texts.txt" --batch-sizes 1,8,32,128 --repeats 3 \
    --threads "$PEER_THREADS" --precision "$precision" --json > "$out/tolka-$precision.json"
done
echo "== pytorch" >&2
(cd "$peers" && "$py" bench_torch.py "$out/peers.jsonl" > /dev/null)
echo "== onnxruntime" >&2
(cd "$peers" && "$py" bench_onnx.py "$out/peers.jsonl" > /dev/null)
after=$(load)
echo "load after: $after" >&2
mkdir -p benches/results docs/img
{
  echo "$(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$PEER_THREADS threads, load $before before, $after after"
  echo
  python3 benches/compare_report.py "$out/peers.jsonl" benches/results/compare.json \
    docs/img/throughput.svg "$out"/tolka-{f32,f16,int8}.json
} | tee benches/results/compare.md
