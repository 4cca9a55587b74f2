"""PyTorch on CUDA, the peer for `tolka bench --device cuda`: transformers' BertModel forward
and mean pooling of models/base/all-MiniLM-L6-v2, tokenisation included, on the same
utterances and batch sizes (median of 3 timed passes after a warm-up, utterances in file order).
   python3 benches/cuda_peer.py TEXTS.txt [N]        prints one JSON line per row
Rows: fp32, and bf16 (autocast) as the fast-GPU reference. Needs torch, transformers, tokenizers."""
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer
from transformers import BertModel

root = Path(__file__).resolve().parent.parent
model_dir = root / "models/base/all-MiniLM-L6-v2"
texts = [t for t in Path(sys.argv[1]).read_text().splitlines() if t][: int(sys.argv[2]) if len(sys.argv) > 2 else 1024]
tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
tok.enable_truncation(128)
model = BertModel.from_pretrained(str(model_dir)).eval().cuda()


def run(bs, dtype):
    for i in range(0, len(texts), bs):
        enc = tok.encode_batch(texts[i : i + bs])
        n = max(len(e.ids) for e in enc)
        ids = torch.tensor([e.ids + [0] * (n - len(e.ids)) for e in enc]).cuda(non_blocking=True)
        mask = torch.tensor([[1] * len(e.ids) + [0] * (n - len(e.ids)) for e in enc]).cuda(non_blocking=True)
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=dtype == "bf16"):
            h = model(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).to(h.dtype)
            pooled = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)
        pooled.float().cpu()


for dtype in ("fp32", "bf16"):
    for bs in (1, 8, 32, 128):
        run(bs, dtype)
        times = []
        for _ in range(3):
            torch.cuda.synchronize()
            t = time.perf_counter()
            run(bs, dtype)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
        t = statistics.median(times)
        print(json.dumps({"peer": f"pytorch-cuda-{dtype}", "batch": bs, "n": len(texts),
                          "utt_per_s": round(len(texts) / t, 1),
                          "ms_per_batch": round(1000 * t / -(-len(texts) // bs), 3),
                          "torch": torch.__version__, "gpu": torch.cuda.get_device_name()}), flush=True)
