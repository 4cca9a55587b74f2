#!/usr/bin/env bash
# Packs what a lent GPU machine (the `device` tool) needs into .gpu/ and .gpu2/: that machine
# has no Rust toolchain and reaches nothing, and each call carries at most 64 MiB with the
# working tree. .gpu: the CUDA builds of `tolka` and of the integration tests (stripped, one
# xz archive), all-MiniLM-L6-v2 in f16 with the word-embedding rows of unused tokens zeroed
# (slim.py; restored to f32 there, exact for every text of the data below), the prepared
# commerce-en training data and the bench texts. .gpu2: the same binaries, the slimmed
# multilingual-e5-small and the commerce-multi training data.
#   bash benches/gpu/prepare.sh [SHARED_DATA_DIR]    (default ../shared/data; ~45 min cold)
# Then, in the session: run(command="bash benches/gpu/run-en.sh", carry=[".gpu"]), and at once
# after it (the machine stays warm 30 s) run(command="bash benches/gpu/run-multi.sh",
# carry=[".gpu2"]). Both folders must be in .git/info/exclude (this script adds them).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${1:-$root/../shared/data}
cd "$root"
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || printf '/.gpu/\n/.gpu2/\n' >> .git/info/exclude
bash benches/cuda.sh
cuda=$root/target/cuda-toolkit/nvidia/cu13
export CUDA_HOME=$cuda NVCC=$cuda/bin/nvcc PATH=$cuda/bin:$PATH CARGO_TARGET_DIR=$root/target/cuda
export CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-90}
it=$(cargo test --release --features cuda --test it --no-run --message-format=json |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "it" and m.get("executable"):
        print(m["executable"])')
work=$root/target/gpu; rm -rf "$work"; mkdir -p "$work/bins" .gpu .gpu2
cp target/cuda/release/tolka "$work/bins/tolka"; cp "$it" "$work/bins/it"; strip "$work/bins/"*
tar cf - -C "$work" bins | xz -T0 -9 > .gpu/bins.tar.xz
cp .gpu/bins.tar.xz .gpu2/
python3 models/prepare_commerce.py "$shared" "$work/prep-en" --langs en
python3 models/prepare_commerce.py "$shared" "$work/prep-multi" --langs en,sv --goemotions 20000
(cd "$root/../shared/peers" && python3 -c 'from common import utterances; print("\n".join(utterances()[0]))') > .gpu/clinc.txt
cp .gpu/clinc.txt .gpu2/
tar cJf .gpu/prep-en.tar.xz -C "$work" prep-en
tar cJf .gpu2/prep-multi.tar.xz -C "$work" prep-multi
python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q tokenizers safetensors numpy
"$work/venv/bin/python" benches/gpu/slim.py "$work/slim" data/commerce/*.jsonl data/pii/*.jsonl \
  "$work"/prep-en/*.jsonl "$work"/prep-multi/*.jsonl .gpu/clinc.txt
xz -T0 -6 -c "$work/slim/minilm-f16.safetensors" > .gpu/minilm-f16.safetensors.xz
cp models/base/all-MiniLM-L6-v2/{config.json,tokenizer.json} .gpu/
cp models/base/multilingual-e5-small/config.json .gpu2/e5-config.json
cp "$work/slim/e5.e5s1.xz" "$work/slim/e5-tokenizer.json.xz" .gpu2/
du -sh .gpu .gpu2
