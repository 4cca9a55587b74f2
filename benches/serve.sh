#!/usr/bin/env bash
# `tolka serve` under load, next to `tolka bench` in-process, in one run, on the same texts
# (the English commerce dev set: natural shoppers' messages).
#   bash benches/serve.sh [SECONDS_PER_STEP]       (default 10; ≈3 min in all)
# 1, 8, 32 and 128 closed-loop clients (examples/loadgen.rs, one keep-alive connection each)
# send single texts to POST /v1/analyze; then 256 clients against a server with
# --max-queue 64 (far past capacity): only 200s and 429s should come back, and the server's
# peak RSS stays bounded. The load generator runs on the same machine and takes its share of
# the cores. Writes benches/results/serve.md and prints it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
threads=${THREADS:-$(nproc)}
out=$(mktemp -d)
cd "$root"
cargo build --release --quiet --bin tolka --example loadgen
python3 -c '
import json, sys
for line in open("data/commerce/dev-en.jsonl"):
    print(json.loads(line)["text"].replace("\n", " "))' > "$out/texts.txt"
tolka=target/release/tolka
loadgen=target/release/examples/loadgen
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT

echo "== tolka bench (in process)" >&2
$tolka bench --data "$out/texts.txt" --n 825 --batch-sizes 1,32 --repeats 3 --threads "$threads" \
  --json > "$out/bench.json"

start() {
  $tolka serve --port 0 --threads "$threads" "$@" > "$out/port" 2> "$out/server.log" &
  server=$!
  for _ in $(seq 100); do grep -q listening "$out/port" 2>/dev/null && break; sleep 0.1; done
  address=$(sed 's|.*http://||' "$out/port")
}
stop() {
  kill -TERM "$server"; wait "$server" || { echo "server exited $?" >&2; exit 1; }; server=""
}
rss() { grep VmHWM "/proc/$server/status" | awk '{print $2 / 1024}'; }

start
for clients in 1 8 32 128; do
  echo "== $clients clients" >&2
  $loadgen "$address" "$clients" "$secs" "$out/texts.txt" > "$out/load-$clients.json"
done
echo "$(rss)" > "$out/rss-normal"
metrics=$(curl -s "http://$address/metrics" | grep -E '^tolka_batch_size_(sum|count) ')
stop

echo "== 256 clients, --max-queue 64" >&2
start --max-queue 64
$loadgen "$address" 256 "$secs" "$out/texts.txt" > "$out/load-overload.json"
echo "$(rss)" > "$out/rss-overload"
stop

python3 - "$out" "$threads" "$metrics" <<'PY' | tee benches/results/serve.md
import json, sys, os
out, threads, metrics = sys.argv[1], sys.argv[2], sys.argv[3]
bench = json.load(open(f"{out}/bench.json"))
rows = {r["batch_size"]: r for r in bench["results"]}
best = max(r["utterances_per_s"] for r in bench["results"])
b1 = rows[1]
m = dict(l.split() for l in metrics.splitlines())
mean_batch = float(m["tolka_batch_size_sum"]) / max(float(m["tolka_batch_size_count"]), 1)
print(f"One run, {threads} threads, the 825 English commerce dev messages; "
      f"load generator on the same machine.\n")
lat = bench["latency_ms"]
print("| | texts/s | p50 ms | p99 ms | share of in-process best |")
print("|---|---:|---:|---:|---:|")
print(f"| in-process `tolka bench`, batch 1 | {b1['utterances_per_s']:.0f} | {lat['p50']:.2f} | (p95 {lat['p95']:.2f}) | {b1['utterances_per_s']/best:.0%} |")
print(f"| in-process `tolka bench`, best batch | {best:.0f} | | | 100% |")
for c in (1, 8, 32, 128):
    r = json.load(open(f"{out}/load-{c}.json"))
    print(f"| `tolka serve`, {c} clients | {r['ok_per_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['ok_per_s']/best:.0%} |")
o = json.load(open(f"{out}/load-overload.json"))
print(f"\nMean server batch over the four client steps: {mean_batch:.1f} texts. "
      f"Peak RSS after them: {float(open(f'{out}/rss-normal').read()):.0f} MB.")
print(f"\n256 clients against `--max-queue 64`: statuses {o['statuses']}, "
      f"{o['connection_errors']} connection errors, {o['ok_per_s']:.0f} answered/s, "
      f"p99 of answered {o['p99_ms']:.1f} ms, server peak RSS "
      f"{float(open(f'{out}/rss-overload').read()):.0f} MB.")
PY
