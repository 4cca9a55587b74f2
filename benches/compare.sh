#!/usr/bin/env bash
# tolka's criterion bench next to the PyTorch peer of ../shared/peers, same utterances, same
# run. Needs the peers' venv (bash ../shared/peers/setup.sh).
#   bash benches/compare.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers=${PEERS:-$root/../shared/peers}
py=${PY:-$HOME/.cache/tolka-peers-venv/bin/python}
out=$(mktemp -d)
cd "$peers"
"$py" -c 'from common import utterances; print("\n".join(utterances()[0]))' > "$out/texts.txt"
cd "$root"
export PEER_THREADS=${PEER_THREADS:-2}
echo "== tolka (criterion, $(wc -l < "$out/texts.txt") utterances)"
TOLKA_BENCH_TEXTS="$out/texts.txt" RAYON_NUM_THREADS=$PEER_THREADS \
  cargo bench --bench analyze -- --noplot 2>&1 | grep -E "^cpu_analyze_batch|thrpt" | tee "$out/tolka.txt"
echo "== pytorch peer"
(cd "$peers" && "$py" bench_torch.py "$out/peers.jsonl" > /dev/null)
grep '"peer": "pytorch"' "$out/peers.jsonl" || true
python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
tolka, current = {}, None
for line in open(f"{out}/tolka.txt"):
    m = re.match(r"cpu_analyze_batch/(\d+)", line)
    if m:
        current = int(m.group(1))
    m = re.search(r"thrpt:\s+\[\s*\S+\s+\S+\s+(\S+)\s+(\S+)", line)
    if m and current is not None:
        value, unit = float(m.group(1)), m.group(2)
        tolka[current] = value * (1000 if unit.startswith("Kelem") else 1)
torch = {r["batch"]: r["sent_per_s_tok_incl"] for r in map(json.loads, open(f"{out}/peers.jsonl"))
         if r.get("peer") == "pytorch" and "batch" in r}
print("| batch | tolka utt/s | pytorch sent/s (tok incl) | ratio |")
print("|---:|---:|---:|---:|")
for bs in sorted(tolka):
    t = torch.get(bs)
    print(f"| {bs} | {tolka[bs]:.1f} | {t if t else 'n/a'} | {tolka[bs] / t:.2f}x |" if t else f"| {bs} | {tolka[bs]:.1f} | n/a | |")
PY
