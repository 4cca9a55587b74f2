#!/usr/bin/env bash
# Soak: `tolka serve` at about 70 % of its measured capacity for a while (default 600 s),
# sampling the server's RSS every 30 s. Capacity is first measured with 32 closed-loop
# clients for 10 s on the same texts (the English commerce dev set).
#   bash benches/soak.sh [SECONDS]        writes benches/results/soak.md
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600}
out=$(mktemp -d)
cd "$root"
cargo build --release --quiet --bin tolka --example loadgen
python3 -c '
import json
for line in open("data/commerce/dev-en.jsonl"):
    print(json.loads(line)["text"].replace("\n", " "))' > "$out/texts.txt"
target/release/tolka serve --port 0 > "$out/port" 2> "$out/server.log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 100); do grep -q listening "$out/port" 2>/dev/null && break; sleep 0.1; done
address=$(sed 's|.*http://||' "$out/port")
capacity=$(target/release/examples/loadgen "$address" 32 10 "$out/texts.txt" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["ok_per_s"])')
rate=$(python3 -c "print(round(0.7 * $capacity, 1))")
echo "capacity $capacity/s; soaking at $rate/s for $secs s" >&2
rss() { awk '/VmRSS/ {print $2 / 1024}' "/proc/$server/status"; }
target/release/examples/loadgen "$address" 16 "$secs" "$out/texts.txt" "$rate" > "$out/soak.json" &
load=$!
samples=()
while kill -0 "$load" 2>/dev/null; do samples+=("$(rss)"); sleep 30; done
wait "$load"
kill -TERM "$server"; code=0; wait "$server" || code=$?
python3 - "$out/soak.json" "$capacity" "$rate" "$code" "${samples[@]}" <<'PY' | tee benches/results/soak.md
import json, sys
r = json.load(open(sys.argv[1]))
capacity, rate, code = sys.argv[2], sys.argv[3], sys.argv[4]
rss = [float(x) for x in sys.argv[5:]]
print(f"Soak: {r['seconds']:.0f} s at {rate} requests/s (70 % of the {capacity}/s measured "
      f"with 32 clients), 16 paced clients, English commerce dev messages.\n")
print(f"- answered {r['ok_per_s']:.1f}/s, statuses {r['statuses']}, "
      f"{r['connection_errors']} connection errors, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms")
print(f"- server RSS every 30 s (MB): {', '.join(f'{x:.0f}' for x in rss)}")
print(f"- RSS first → last sample: {rss[0]:.0f} → {rss[-1]:.0f} MB; exit code after SIGTERM: {code}")
PY
