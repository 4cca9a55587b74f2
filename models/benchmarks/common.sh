# Sourced by models/benchmarks/*/recipe.sh: paths and helpers shared by the recipes.
#   $here: the benchmark folder (the model package is written there)
#   $shared: the shared datasets (first recipe argument, default ../shared/data)
set -euo pipefail
root=$(cd "$here/../../.." && pwd)
shared=${1:-$root/../shared/data}
cd "$root"
bash models/fetch-encoder.sh >/dev/null
cargo build --release --quiet --bin tolka
tolka() { "${CARGO_TARGET_DIR:-$root/target}/release/tolka" "$@"; }

# train ARGS...: trains into $here, logging to $here/train.log with the wall-clock seconds.
train() {
  local start=$SECONDS
  tolka train --out "$here" --seed 13 "$@" 2>&1 | grep -v '^\s*$' | tee "$here/train.log"
  echo "training wall-clock seconds (encoding included): $((SECONDS - start))" | tee -a "$here/train.log"
}

# evaluate DEV [NAME]: dev scores of the package in $here as $here/NAME.json (default eval).
evaluate() {
  tolka eval --model "$here" --data "$1" --json > "$here/${2:-eval}.json"
  cat "$here/${2:-eval}.json"
}

# evaluate_decoders DEV: dev scores of the entity decoders argmax and constrained (eval-argmax.json,
# eval-constrained.json) on copies of the package whose manifest names that decoder.
evaluate_decoders() {
  local d tmp
  for d in argmax constrained; do
    tmp=$(mktemp -d)
    cp "$here/heads.safetensors" "$tmp/"
    python3 - "$here/tolka.json" "$tmp/tolka.json" "$d" "$here" <<'PY'
import json, os, sys
src, dst, decoder, here = sys.argv[1:]
m = json.load(open(src))
m["entities"]["decoder"] = decoder
m["encoder"]["path"] = os.path.normpath(os.path.join(here, m["encoder"]["path"]))
json.dump(m, open(dst, "w"), indent=2)
PY
    tolka eval --model "$tmp" --data "$1" --json > "$here/eval-$d.json"
    echo "$d: $(cat "$here/eval-$d.json")"
    rm -rf "$tmp"
  done
}
