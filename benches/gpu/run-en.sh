#!/usr/bin/env bash
# On the GPU machine (the device tool), carried folder .gpu: CUDA tests of the default model, bench beside PyTorch CUDA, commerce-en training variants. Made by benches/gpu/prepare.sh.
set -x
root=$PWD; G=$root/.gpu; O=${OUT:-/tmp/out}; mkdir -p $O
exec > >(tee $O/run1.log) 2>&1
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv
nproc; free -g | head -2
# Encoder: f16 copy (unused word rows zero) back to f32.
d=models/base/all-MiniLM-L6-v2; mkdir -p $d; cp $G/config.json $G/tokenizer.json $d/
xz -T0 -dc $G/minilm-f16.safetensors.xz > /tmp/m16.st
python3 -c "
from safetensors.numpy import load_file, save_file; import numpy as np
t = load_file('/tmp/m16.st'); save_file({k: v.astype(np.float32) for k, v in t.items()}, '$d/model.safetensors')"
sha=$(sha256sum $d/model.safetensors | cut -d' ' -f1)
for m in models/commerce-en models/benchmarks/*; do
  [ -f $m/tolka.json ] && python3 - $m/tolka.json $sha <<'PY'
import json, sys
p, sha = sys.argv[1:]; m = json.load(open(p))
if m["encoder"]["name"].startswith("all-MiniLM"):
    m["encoder"]["sha256"] = sha; json.dump(m, open(p, "w"), indent=2)
PY
done
# Binaries where the test binary expects them.
[ "$root" = /work/main ] || { mkdir -p /work; ln -sfn "$root" /work/main; }
mkdir -p target/cuda/release
tar xJf $G/bins.tar.xz -C /tmp && cp /tmp/bins/tolka target/cuda/release/tolka && cp /tmp/bins/it /tmp/it
libs=$(dirname $(find /usr /opt -name 'libcublas.so.13*' 2>/dev/null | head -1)); echo "cublas in $libs"
for n in libcurand.so.10 libnvrtc.so.13 libcudart.so.13; do dirname $(find /usr /opt -name "$n*" 2>/dev/null | head -1); done | sort -u > /tmp/libdirs
export LD_LIBRARY_PATH=$libs:$(paste -sd: /tmp/libdirs):${LD_LIBRARY_PATH:-}
ldd target/cuda/release/tolka | grep -E "not found|cuda|cublas|curand|nvrtc"
T=target/cuda/release/tolka
# 1. Bench first, on an idle GPU: tolka (cuda) beside PyTorch CUDA, same texts.
timeout 100 $T bench --model models/commerce-en --data $G/clinc.txt --device cuda --json | tee $O/bench-cuda.json
timeout 90 python3 benches/cuda_peer.py $G/clinc.txt | tee $O/peer-cuda.jsonl
python3 -c "import onnxruntime as o; print('ort providers', o.get_available_providers())"
# 2. Training variants (GPU), in the background.
mkdir -p /tmp/m /tmp/prep && tar xJf $G/prep-en.tar.xz -C /tmp/prep
train() { out=$1; shift; RAYON_NUM_THREADS=4 timeout 330 $T train --data /tmp/prep/prep-en/train.jsonl --dev /tmp/prep/prep-en/dev.jsonl \
  --out /tmp/m/$out --name commerce-en --seed 13 --hidden 256 --neutral-band 0 --rules --finetune lora \
  --lora-alpha 16 --finetune-lr 3e-3 --finetune-head-lr 3e-2 --device cuda "$@" > /tmp/m/$out.log 2>&1; echo "$out rc=$?"; }
train en-e1 --lora-rank 8 --finetune-epochs 1 --finetune-max-records 14000 &
train en-e2 --lora-rank 8 --finetune-epochs 2 --finetune-max-records 14000 &
train en-e2-all --lora-rank 8 --finetune-epochs 2 --finetune-max-records 40000 &
# 3. The CUDA tests meanwhile.
RAYON_NUM_THREADS=4 timeout 300 /tmp/it cuda::the_default cuda::finetuning --test-threads 1 2>&1 | tail -30
wait
for f in /tmp/m/en-*.log; do echo "== $f"; tail -12 $f; done
ls -la /tmp/m/*/
tar cf $O/models-en.tar -C /tmp/m .
