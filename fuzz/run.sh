#!/usr/bin/env bash
# Runs each fuzz target for SECONDS seconds (default 600), two at a time, and prints the
# final libFuzzer line of each. `bash fuzz/run.sh 10` is a short smoke run.
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`), and the encoder
# weights under models/base (models/fetch-encoder.sh) for model_files and analyze.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
targets=(${TARGETS:-rules data analyze model_files})
logs=${LOGS:-fuzz/logs}
mkdir -p "$logs"
nice -n 19 cargo +nightly fuzz build --release
# The built targets run directly (`cargo fuzz run` would rebuild with other flags).
bin=${CARGO_TARGET_DIR:-fuzz/target}/x86_64-unknown-linux-gnu/release
run() {
  local t=$1 extra=()
  [[ $t == analyze ]] && extra=(-max_len=2048)
  mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
  nice -n 19 "$bin/$t" "fuzz/corpus/$t" -artifact_prefix="fuzz/artifacts/$t/" \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=120 "${extra[@]}" >"$logs/$t.log" 2>&1
}
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    run "$t" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
done
for t in "${targets[@]}"; do
  echo "$t: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$logs/$t.log" || grep -m1 -E 'ERROR|panicked' "$logs/$t.log" || echo 'no result')"
done
exit $status
