#!/usr/bin/env bash
# On the GPU machine, carried folder .gpu2 (after run-en.sh or cold): the multilingual CUDA test, bench and training variants. Made by benches/gpu/prepare.sh.
set -x
root=$PWD; G=$root/.gpu2; O=${OUT:-/tmp/out}; mkdir -p $O
exec > >(tee $O/run2.log) 2>&1
T=target/cuda/release/tolka
[ "$root" = /work/main ] || { mkdir -p /work; ln -sfn "$root" /work/main; }
if [ ! -x /tmp/it ]; then echo "cold machine: unpacking the binaries"; mkdir -p target/cuda/release; tar xJf $G/bins.tar.xz -C /tmp && cp /tmp/bins/tolka $T && cp /tmp/bins/it /tmp/it; fi
export LD_LIBRARY_PATH=$(dirname $(find /usr /opt -name 'libcublas.so.13*' 2>/dev/null | head -1)):$(for n in libcurand.so.10 libnvrtc.so.13 libcudart.so.13; do dirname $(find /usr /opt -name "$n*" 2>/dev/null | head -1); done | sort -u | paste -sd:)
d=models/base/multilingual-e5-small; mkdir -p $d; cp $G/e5-config.json $d/config.json
xz -T0 -dc $G/e5.e5s1.xz > $d/model.e5s1; xz -dc $G/e5-tokenizer.json.xz > $d/tokenizer.json
sha=$(sha256sum $d/model.e5s1 | cut -d' ' -f1)
python3 - models/commerce-multi/tolka.json $sha <<'PY'
import json, sys
p, sha = sys.argv[1:]; m = json.load(open(p)); m["encoder"]["sha256"] = sha; json.dump(m, open(p, "w"), indent=2)
PY
timeout 150 $T bench --model models/commerce-multi --data $G/clinc.txt --device cuda --json --batch-sizes 1,32,128 | tee $O/bench-multi-cuda.json
mkdir -p /tmp/m2 /tmp/prep && tar xJf $G/prep-multi.tar.xz -C /tmp/prep
train() { out=$1; shift; RAYON_NUM_THREADS=5 timeout 330 $T train --data /tmp/prep/prep-multi/train.jsonl --dev /tmp/prep/prep-multi/dev.jsonl \
  --encoder $d --out /tmp/m2/$out --name commerce-multi --seed 13 --hidden 256 --neutral-band 0 --rules --finetune lora \
  --lora-alpha 16 --finetune-lr 3e-3 --finetune-head-lr 3e-2 --device cuda "$@" > /tmp/m2/$out.log 2>&1; echo "$out rc=$?"; }
train multi-e2 --lora-rank 8 --finetune-epochs 2 --finetune-max-records 10000 &
train multi-e2-all --lora-rank 8 --finetune-epochs 2 --finetune-max-records 34000 &
if [ -f models/base/all-MiniLM-L6-v2/model.safetensors ]; then tests=cuda::; else tests=cuda::the_multilingual; fi
RAYON_NUM_THREADS=4 timeout 300 /tmp/it $tests --test-threads 1 2>&1 | tail -20
wait
for f in /tmp/m2/*.log; do echo "== $f"; tail -12 $f; done
tar cf $O/models-multi.tar -C /tmp/m2 .
