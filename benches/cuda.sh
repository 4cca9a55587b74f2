#!/usr/bin/env bash
# Builds tolka with `--features cuda` on a machine without a system CUDA toolkit, GPU or
# driver: nvcc, the CUDA headers and the CUDA libraries come from NVIDIA's PyPI wheels
# (CUDA 13.0, the version of the H200 machines' driver and libraries), installed once into
# target/cuda-toolkit/ (ignored with target/). The build goes to target/cuda.
# Where `nvidia-smi` answers (a GPU machine) it then also runs the tests with the feature and
# `tolka bench --device cuda` on the peers' 1024 CLINC150 utterances (see compare.sh).
#   bash benches/cuda.sh           (first build ≈ 17 min on the 2-core machine; 1.2 GB of wheels)
# Env: CUDA_COMPUTE_CAP (default: nvidia-smi's, else 90 = H100/H200), JOBS (cargo's), and for
# the bench DATA (utterances; default the peers' sample, made from PEERS=../shared/peers).
#
# The wheels lay out one CUDA root, nvidia/cu13/{bin,include,lib,nvvm}; this script adds what
# a toolkit install has and the wheels lack: targets/x86_64-linux (nvcc.profile's include
# path), lib64, the unversioned lib*.so names the linker wants, and lib/stubs/libcuda.so, a
# link-time stand-in for the driver library (every entry point returns
# CUDA_ERROR_STUB_LIBRARY) made from the driver functions cudarc declares. candle links cudarc
# dynamically, so the binary needs the real libcuda.so.1 (the driver; ≥ 580 for CUDA 13.0) to
# start, even on the CPU; with a driver but no usable GPU, --device cuda is an Error::Cuda.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

wheels=(
  nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88
  nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85 nvidia-cuda-nvrtc==13.0.88
  nvidia-cublas==13.0.2.14 nvidia-curand==10.4.0.35
)
tk=$root/target/cuda-toolkit
cuda=$tk/nvidia/cu13

# 1. The wheels, once (the stamp holds the list; a changed list reinstalls).
if [ "$(cat "$tk/.wheels" 2>/dev/null)" != "${wheels[*]}" ]; then
  echo "== pip: ${wheels[*]}" >&2
  rm -rf "$tk"
  nice -n 10 python3 -m pip install --quiet --no-deps --no-compile --target "$tk" "${wheels[@]}"
  echo "${wheels[*]}" > "$tk/.wheels"
fi

# 2. What the wheels lack of a toolkit's layout.
mkdir -p "$cuda/targets" "$cuda/lib/stubs"
ln -sfn .. "$cuda/targets/x86_64-linux"
ln -sfn lib "$cuda/lib64"
for so in "$cuda"/lib/lib*.so.[0-9]*; do
  base=${so%.so.*}.so
  [ -e "$base" ] || ln -s "$(basename "$so")" "$base"
done
if [ ! -e "$cuda/lib/stubs/libcuda.so" ]; then
  cargo fetch --quiet
  sys=$(cargo metadata --format-version 1 --features cuda | python3 -c '
import json, os, sys
pkgs = json.load(sys.stdin)["packages"]
print(next(os.path.dirname(p["manifest_path"]) for p in pkgs if p["name"] == "cudarc"))
')/src/driver/sys/mod.rs
  grep -oE '^ +fn cu[A-Za-z0-9_]+\(' "$sys" | sed -E 's/^ +fn (.*)\(/int \1(void) { return 34; }/' |
    sort -u > "$cuda/lib/stubs/libcuda.c"
  cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$cuda/lib/stubs/libcuda.so" \
    "$cuda/lib/stubs/libcuda.c"
fi

# 3. The build. cudarc reads `nvcc --version` from PATH and links from CUDA_HOME/lib{,/stubs};
# candle-kernels (cudaforge) takes NVCC and CUDA_COMPUTE_CAP.
export CUDA_HOME=$cuda NVCC=$cuda/bin/nvcc PATH=$cuda/bin:$PATH
export CARGO_TARGET_DIR=$root/target/cuda
gpu=false
if nvidia-smi > /dev/null 2>&1; then
  gpu=true
  cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)
fi
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-${cap:-90}}
nvcc --version | tail -2 >&2
echo "== cargo build --release --features cuda (sm_$CUDA_COMPUTE_CAP)" >&2
start=$(date +%s)
nice -n 10 cargo build --release --features cuda ${JOBS:+--jobs "$JOBS"}
echo "== built in $(($(date +%s) - start)) s: $CARGO_TARGET_DIR/release/tolka" >&2

# 4. On a GPU machine: the tests and the bench, with the wheels' libraries beside the driver's.
if ! $gpu; then
  echo "== no nvidia-smi: build only" >&2
  exit 0
fi
export LD_LIBRARY_PATH=$cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "== cargo test --release --features cuda" >&2
cargo test --release --features cuda
texts=${DATA:-$CARGO_TARGET_DIR/clinc150-texts.txt}
if [ -z "${DATA:-}" ]; then
  peers=${PEERS:-$root/../shared/peers}
  (cd "$peers" && python3 -c 'from common import utterances; print("\n".join(utterances()[0]))') \
    > "$texts"
fi
echo "== tolka bench --device cuda" >&2
"$CARGO_TARGET_DIR/release/tolka" bench --model models/commerce-en --data "$texts" \
  --device cuda --json
