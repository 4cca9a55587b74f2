#!/usr/bin/env python3
"""ONNX Runtime peer for models/commerce-multi (multilingual-e5-small), run by
benches/compare_multi.sh with the peers' venv (~/.cache/tolka-peers-venv, see
../shared/peers/setup.sh).

The peer runs the very encoder tolka runs: the Q4_0 weights of
models/base/multilingual-e5-small/model.e5s1 dequantised to f32 (as src/model/e5s1.rs does)
with the package's LoRA adapters merged (W + alpha/rank * B A, as src/model/lora.rs does at
load), as a Hugging Face BertModel (0-based absolute positions, token type 0, exact GELU)
+ attention-masked mean pooling + L2 norm ("mean_normalized"), exported to ONNX (legacy
exporter, opset 17, dynamic batch and sequence). Variants: the plain f32 export, the same
graph after ONNX Runtime's BERT fusion optimiser, and ONNX Runtime's own dynamic int8
quantisation (QInt8 weights, per channel) of the plain export. Tokens are tolka's: the
XLM-R tokenizer.json without special tokens, then <s> + "query:" pieces + the text's first
(max_length - specials) pieces + </s>, padded per batch with <pad>.

Subcommands:
  texts OUT                    the 1024 benchmark texts (dev-sv.jsonl, then the first 60 of
                               dev-en.jsonl), one per line
  export                       build and cache the ONNX files (~/.cache/tolka-peers), verify
                               them against torch and against tolka's own embeddings
  run TEXTS OUT_JSONL          per variant: cold starts and a throughput/latency/RSS run,
                               each in fresh processes; JSON lines to OUT_JSONL
  cold-tolka BIN PRECISION OUT_JSONL
                               process start -> first analysis of `tolka tag`
  report PEERS_JSONL HEADER TOLKA-PRECISION.json...
                               the Markdown table
Knobs: TOLKA_MODEL (models/commerce-multi), PEER_N (1024), PEER_REPEATS (3), PEER_THREADS (2),
PEER_COLD (3 cold starts per system), PEER_CACHE (~/.cache/tolka-peers), TOLKA_PY (a Python
with the tolka module, default python/.venv/bin/python; the check is skipped without one).
"""
import hashlib
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = Path(os.environ.get("TOLKA_MODEL", ROOT / "models/commerce-multi"))
BATCH_SIZES = (1, 8, 32, 128)
N_UTT = int(os.environ.get("PEER_N", "1024"))
REPEATS = int(os.environ.get("PEER_REPEATS", "3"))
THREADS = int(os.environ.get("PEER_THREADS", "2"))
COLD = int(os.environ.get("PEER_COLD", "3"))
CACHE = Path(os.environ.get("PEER_CACHE", Path.home() / ".cache/tolka-peers"))
TOLKA_PY = Path(os.environ.get("TOLKA_PY", ROOT / "python/.venv/bin/python"))
RECIPE = "e5s1-lora-bert-meanl2-opset17-v1"  # bump when the export changes
VARIANTS = (("onnxruntime", "f32"), ("onnxruntime-fused", "fused"), ("onnxruntime-int8", "int8"))


def manifest() -> dict:
    return json.loads((MODEL / "tolka.json").read_text())


def encoder_dir() -> Path:
    return (MODEL / manifest()["encoder"]["path"]).resolve()


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --- tokens exactly as tolka builds them (src/model/encoder.rs) -----------------------------

class Tokens:
    def __init__(self):
        from tokenizers import Tokenizer
        enc = encoder_dir()
        config = json.loads((enc / "config.json").read_text())
        tok = Tokenizer.from_file(str(enc / "tokenizer.json"))
        tok.no_padding()
        tok.no_truncation()
        probe = tok.encode("a", add_special_tokens=True)
        mask = probe.special_tokens_mask
        content = [i for i, s in enumerate(mask) if s == 0]
        first = content[0] if content else 0
        last = content[-1] + 1 if content else first
        self.prefix = list(probe.ids[:first])
        prefix_text = config.get("input_prefix", "")
        if prefix_text.strip():
            self.prefix += tok.encode(prefix_text.rstrip(), add_special_tokens=False).ids
        self.suffix = list(probe.ids[last:])
        self.pad = int(config["pad_token_id"])
        self.max_length = int(manifest().get("max_length") or config["max_position_embeddings"])
        self.window = self.max_length - len(self.prefix) - len(self.suffix)
        self.tok = tok

    def sequences(self, texts):
        encs = self.tok.encode_batch(list(texts), add_special_tokens=False)
        return [self.prefix + e.ids[: self.window] + self.suffix for e in encs]

    def __call__(self, texts):
        import numpy as np
        seqs = self.sequences(texts)
        n, length = len(seqs), max(len(s) for s in seqs)
        ids = np.full((n, length), self.pad, dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.int64)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = s
            mask[i, : len(s)] = 1
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


# --- the E5S1 file (src/model/e5s1.rs) --------------------------------------------------------

LAYER = {"q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
         "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
         "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
         "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
         "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
         "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
         "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
         "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias"}
EMB = {"emb.word": "embeddings.word_embeddings.weight",
       "emb.pos": "embeddings.position_embeddings.weight",
       "emb.type": "embeddings.token_type_embeddings.weight",
       "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias"}


def read_e5s1(path: Path):
    """Header dict and {HF BERT name: f32 array} of an E5S1 file; Q4_0 = 32 weights per
    block: f16 scale, 16 bytes (low nibbles weights 0-15, high nibbles 16-31), (q - 8) * scale."""
    import numpy as np
    buf = path.read_bytes()
    if buf[:4] != b"E5S1" or struct.unpack_from("<I", buf, 4)[0] != 1:
        sys.exit(f"{path}: not an E5S1 version 1 file")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, 8)
    (eps,) = struct.unpack_from("<f", buf, 36)
    block, n_pieces, bos, eos, pad, unk = struct.unpack_from("<6i", buf, 40)
    assert block == 32, block
    (blob_len,) = struct.unpack_from("<Q", buf, 64)
    pos = 72 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len  # offsets, scores, blob
    pos += 4  # normalisation map entry count
    (norm_bytes,) = struct.unpack_from("<I", buf, pos)
    pos += 4 + norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    names = dict(EMB)
    for layer in range(layers):
        names |= {f"l{layer}.{k}": f"encoder.layer.{layer}.{v}" for k, v in LAYER.items()}
    shapes = {"emb.word": (vocab, hidden), "emb.pos": (max_pos, hidden),
              "emb.type": (type_vocab, hidden)}
    for layer in range(layers):
        for k in ("q.w", "k.w", "v.w", "ao.w"):
            shapes[f"l{layer}.{k}"] = (hidden, hidden)
        shapes[f"l{layer}.fi.w"] = (ffn, hidden)
        shapes[f"l{layer}.fo.w"] = (hidden, ffn)
    tensors, dtypes = {}, {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2: pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype, n, offset, n_bytes = struct.unpack_from("<BIQQ", buf, pos)
        pos += 1 + 4 + 8 + 8
        data = np.frombuffer(buf, dtype=np.uint8, count=n_bytes, offset=offset)
        if dtype == 0:
            values = data.view("<f4").astype(np.float32)
        elif dtype == 1:
            blocks = data.reshape(-1, 18)
            scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # [blocks, 1]
            qs = blocks[:, 2:]
            q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
            values = (q * scale).reshape(-1)
        else:
            sys.exit(f"{path}: tensor {name} has unknown dtype {dtype}")
        assert values.size == n, (name, values.size, n)
        tensors[names[name]] = values.reshape(shapes.get(name, (n,)))
        dtypes[name] = "f32" if dtype == 0 else "q4_0"
    assert set(tensors) == set(names.values()), set(names.values()) ^ set(tensors)
    header = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
                  max_pos=max_pos, type_vocab=type_vocab, eps=eps, bos=bos, eos=eos, pad=pad,
                  unk=unk)
    return header, tensors, dtypes


LORA_PATHS = {"query": "attention.self.query", "key": "attention.self.key",
              "value": "attention.self.value", "attention_output": "attention.output.dense",
              "intermediate": "intermediate.dense", "output": "output.dense"}


def merge_lora(tensors: dict, layers: int) -> str:
    """Adds alpha/rank * B A to every adapted weight (src/model/lora.rs::merge)."""
    import numpy as np
    from safetensors.numpy import load_file
    lora = manifest().get("adapters")
    if not lora:
        return "none"
    adapters = load_file(str(MODEL / lora.get("file", "adapters.safetensors")))
    scale = float(lora["alpha"]) / max(int(lora["rank"]), 1)
    used = 0
    for layer in range(layers):
        for target in lora["targets"]:
            base = f"encoder.layer.{layer}.{LORA_PATHS[target]}"
            a = adapters[f"{base}.lora_a"].astype(np.float32)
            b = adapters[f"{base}.lora_b"].astype(np.float32)
            w = tensors[f"{base}.weight"]
            tensors[f"{base}.weight"] = (w + (b @ a) * np.float32(scale)).astype(np.float32)
            used += 2
    assert used == len(adapters), f"{len(adapters) - used} adapter tensors not used"
    return f"rank {lora['rank']}, alpha {lora['alpha']}, targets {','.join(lora['targets'])}"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def paths() -> dict:
    """Cache paths of the three graphs, keyed by weights, adapters and recipe."""
    h = hashlib.sha256(RECIPE.encode())
    h.update(sha256(encoder_dir() / "model.e5s1").encode())
    adapters = manifest().get("adapters")
    if adapters:
        h.update(sha256(MODEL / adapters.get("file", "adapters.safetensors")).encode())
    stem = f"e5small_{MODEL.name}_{h.hexdigest()[:12]}"
    return {"f32": CACHE / f"{stem}.onnx", "fused": CACHE / f"{stem}_fused.onnx",
            "int8": CACHE / f"{stem}_int8.onnx", "info": CACHE / f"{stem}.json"}


VERIFY_TEXTS = [
    "Hej, jag vill avbryta min order SE-48213. Den har väl inte skickats än?",
    "where is my order 113542617735902, it is late",
    "hej",
    "Åre 😀 ok",
    "Kan jag byta storlek på skorna jag köpte förra veckan?",
    "I want to cancel my subscription and get a refund for last month",
    # longer than the 128-token window: both sides keep its first window only
    " ".join(["Jag har väntat på mitt paket från er i över tre veckor nu och ingen svarar"] * 12),
]


def export():
    """Builds (once) and verifies the three ONNX graphs; writes <stem>.json beside them."""
    import numpy as np
    p = paths()
    if p["info"].exists() and all(p[k].exists() for k in ("f32", "int8")):
        info = json.loads(p["info"].read_text())
        log(f"cached export: {p['f32'].parent}/{p['f32'].stem}* ({info['fused_status']})")
        return info
    import torch
    import torch.nn.functional as F
    from transformers import BertConfig, BertModel
    torch.set_num_threads(THREADS)
    CACHE.mkdir(parents=True, exist_ok=True)
    enc = encoder_dir()
    header, tensors, dtypes = read_e5s1(enc / "model.e5s1")
    lora = merge_lora(tensors, header["layers"])
    config = BertConfig.from_json_file(str(enc / "config.json"))
    for key, field in (("hidden", "hidden_size"), ("layers", "num_hidden_layers"),
                       ("heads", "num_attention_heads"), ("ffn", "intermediate_size"),
                       ("vocab", "vocab_size"), ("max_pos", "max_position_embeddings"),
                       ("type_vocab", "type_vocab_size")):
        assert getattr(config, field) == header[key], (field, getattr(config, field), header)
    config.hidden_act = "gelu"  # exact (erf) GELU, as tolka
    config.position_embedding_type = "absolute"
    config._attn_implementation = "eager"  # plain matmul/softmax, as the MiniLM peer export
    bert = BertModel(config, add_pooling_layer=False).eval()
    missing, unexpected = bert.load_state_dict(
        {k: torch.from_numpy(v) for k, v in tensors.items()}, strict=False)
    assert not unexpected, unexpected
    assert all("position_ids" in m or "token_type_ids" in m for m in missing), missing
    del tensors

    class Embedder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            e = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return F.normalize(e, p=2, dim=1, eps=1e-12)

    model = Embedder(bert).eval()
    tok = Tokens()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = {k: torch.from_numpy(v) for k, v in tok(VERIFY_TEXTS[:2]).items()}
    axes = {n: {0: "batch", 1: "seq"} for n in names} | {"sentence_embedding": {0: "batch"}}
    t0 = time.perf_counter()
    with torch.inference_mode():
        torch.onnx.export(model, tuple(sample[n] for n in names), str(p["f32"]),
                          input_names=names, output_names=["sentence_embedding"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    log(f"exported {p['f32']} ({p['f32'].stat().st_size / 1e6:.0f} MB, "
        f"{time.perf_counter() - t0:.0f} s)")

    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(str(p["f32"]), str(p["int8"]), weight_type=QuantType.QInt8,
                     per_channel=True)
    log(f"quantised {p['int8']} ({p['int8'].stat().st_size / 1e6:.0f} MB)")

    fused_status = "not built"
    try:
        from onnxruntime.transformers.optimizer import optimize_model
        opt = optimize_model(str(p["f32"]), model_type="bert", num_heads=header["heads"],
                             hidden_size=header["hidden"])
        stats = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
        opt.save_model_to_file(str(p["fused"]))
        fused_status = "fusions " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items()))
        if stats.get("Attention", 0) + stats.get("MultiHeadAttention", 0) < header["layers"]:
            fused_status += " (attention not fused in every layer)"
    except Exception as e:  # noqa: BLE001 - report and go on without the fused row
        fused_status = f"fusion failed: {e!r}"[:300]
        p["fused"].unlink(missing_ok=True)
    log(fused_status)

    # Verification: ONNX graphs against torch, and everything against tolka itself.
    import onnxruntime as ort
    feeds = tok(VERIFY_TEXTS)
    with torch.inference_mode():
        ref = model(*(torch.from_numpy(feeds[n]) for n in names)).numpy()
    got = {}
    for key in ("f32", "fused", "int8"):
        if p[key].exists():
            s = ort.InferenceSession(str(p[key]), providers=["CPUExecutionProvider"])
            got[key] = s.run(None, {i.name: feeds[i.name] for i in s.get_inputs()})[0]
    verify = {f"max_abs_onnx_{k}_vs_torch": float(np.abs(v - ref).max()) for k, v in got.items()}
    tolka = tolka_embeddings(VERIFY_TEXTS)
    if tolka is not None:
        for key, v in [("torch", ref)] + list(got.items()):
            name = "torch" if key == "torch" else f"onnx_{key}"
            verify[f"max_abs_{name}_vs_tolka"] = float(np.abs(v - tolka).max())
            verify[f"min_cos_{name}_vs_tolka"] = float((v * tolka).sum(1).min())
    else:
        verify["tolka"] = f"skipped: no tolka module at {TOLKA_PY}"
    if "fused" in got and verify["max_abs_onnx_fused_vs_torch"] > 1e-3:
        fused_status += " (does not match torch: row dropped)"
        p["fused"].unlink()
    lengths = [len(s) for s in tok.sequences(VERIFY_TEXTS)]
    info = {"recipe": RECIPE, "model": str(MODEL.relative_to(ROOT)) if MODEL.is_relative_to(ROOT)
            else str(MODEL), "e5s1_dtypes": sorted(set(dtypes.values())), "lora": lora,
            "max_length": tok.max_length, "prefix_ids": tok.prefix, "suffix_ids": tok.suffix,
            "verify_lengths": lengths, "fused_status": fused_status, "verify": verify,
            "torch": torch.__version__, "onnxruntime": ort.__version__,
            "sizes_mb": {k: round(p[k].stat().st_size / 1e6, 1)
                         for k in ("f32", "fused", "int8") if p[k].exists()}}
    p["info"].write_text(json.dumps(info, indent=1) + "\n")
    for k, v in verify.items():
        log(f"  {k}: {v:.3g}" if isinstance(v, float) else f"  {k}: {v}")
    return info


def tolka_embeddings(texts):
    """tolka's own embeddings (Analyzer.embed of the Python module) of `texts`, or None."""
    import numpy as np
    if not TOLKA_PY.exists():
        return None
    out = CACHE / "tolka_embed.npy"
    code = ("import sys, json, numpy as np, tolka; "
            "a = tolka.Analyzer(sys.argv[1], threads=int(sys.argv[2])); "
            "np.save(sys.argv[3], a.embed(json.loads(sys.stdin.read())))")
    r = subprocess.run([str(TOLKA_PY), "-c", code, str(MODEL), str(THREADS), str(out)],
                       input=json.dumps(texts), text=True, capture_output=True)
    if r.returncode != 0:
        log(f"tolka embed failed: {r.stderr[-500:]}")
        return None
    e = np.load(out)
    out.unlink()
    return e


# --- texts ------------------------------------------------------------------------------------

def write_texts(out: Path):
    texts = []
    for name, take in (("dev-sv.jsonl", None), ("dev-en.jsonl", 60)):
        lines = [json.loads(l)["text"] for l in (ROOT / "data/commerce" / name).open()
                 if l.strip()]
        texts += lines[:take]
    assert all(t.strip() and "\n" not in t and "\r" not in t for t in texts)
    out.write_text("\n".join(texts) + "\n")
    log(f"{len(texts)} texts -> {out}")


# --- measurement ------------------------------------------------------------------------------

def percentile(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def child(graph: str, texts_path: str, spawned: float, cold_only: bool):
    """One fresh process: import, session, first embedding (cold start from `spawned`, the
    parent's time.monotonic() just before it started this process); then, unless cold_only,
    the table of ../shared/peers/common.py::run_table and the peak RSS."""
    import numpy as np
    import onnxruntime as ort
    tok = Tokens()
    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(graph, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]

    def forward(enc):
        return sess.run(None, {n: enc[n] for n in names})[0]

    first = forward(tok(["warm up"]))
    cold = time.monotonic() - spawned
    print(json.dumps({"cold_start_s": cold}), flush=True)
    if cold_only:
        return
    assert first.shape == (1, 384) and abs(float(np.linalg.norm(first)) - 1) < 1e-3
    texts = [l for l in Path(texts_path).read_text().splitlines() if l.strip()][:N_UTT]
    n = len(texts)
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for bs in BATCH_SIZES:
        bt = [texts[i:i + bs] for i in range(0, n, bs)]
        pre = [tok(b) for b in bt]
        for e in pre[: max(2, 64 // bs)]:  # warm-up, as common.py
            forward(e)
        t_excl, t_incl = [], []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            for e in pre:
                forward(e)
            t_excl.append(time.perf_counter() - t0)
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            for b in bt:
                forward(tok(b))
            t_incl.append(time.perf_counter() - t0)
        print(json.dumps({"batch": bs, "n": n,
                          "sent_per_s_tok_incl": round(n / statistics.median(t_incl), 1),
                          "sent_per_s_tok_excl": round(n / statistics.median(t_excl), 1)}),
              flush=True)
    lat = []
    for t in texts:
        t0 = time.perf_counter()
        forward(tok([t]))
        lat.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"latency_ms_p50": round(percentile(lat, 50), 3),
                      "latency_ms_p95": round(percentile(lat, 95), 3),
                      "loaded_rss_mb": round(rss_loaded, 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                           / 1024, 1)}), flush=True)


def spawn(cmd, env=None):
    """Runs cmd; returns (seconds from spawn to its first stdout line, all stdout lines)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    first = proc.stdout.readline()
    t_first = time.monotonic() - t0
    rest = proc.stdout.read()
    if proc.wait() != 0:
        sys.exit(f"{' '.join(map(str, cmd))}: exit status {proc.returncode}")
    return t_first, [l for l in (first + rest).splitlines() if l.strip()]


def emit(record, out: Path):
    record = record | {"load1": round(os.getloadavg()[0], 2)}
    line = json.dumps(record)
    print(line, flush=True)
    with open(out, "a") as f:
        f.write(line + "\n")


def run(texts_path: str, out: Path):
    import onnxruntime as ort
    info = export()
    p = paths()
    emit({"peer": "meta", "onnxruntime": ort.__version__, "threads": THREADS,
          "repeats": REPEATS, "n": N_UTT, "fused": info["fused_status"],
          "max_length": info["max_length"], "lora": info["lora"],
          "verify": info["verify"]}, out)
    me = [sys.executable, str(Path(__file__).resolve())]
    for peer, variant in VARIANTS:
        if not p[variant].exists():
            log(f"{peer}: no graph ({info['fused_status']})")
            continue
        colds = []
        for _ in range(COLD):
            t = time.monotonic()
            _, lines = spawn(me + ["child", str(p[variant]), texts_path, repr(t), "cold"])
            colds.append(json.loads(lines[0])["cold_start_s"])
        emit({"peer": peer, "cold_start_s": round(statistics.median(colds), 3),
              "cold_starts_s": [round(c, 3) for c in colds]}, out)
        t = time.monotonic()
        _, lines = spawn(me + ["child", str(p[variant]), texts_path, repr(t), "table"])
        for line in lines[1:]:
            emit({"peer": peer} | json.loads(line), out)


def cold_tolka(binary: str, precision: str, out: Path):
    """Process start -> first analysis line of `tolka tag` on one text, PEER_COLD times."""
    one = CACHE / "cold-one.txt"
    CACHE.mkdir(parents=True, exist_ok=True)
    one.write_text("hej, var är min beställning?\n")
    colds = []
    for _ in range(COLD):
        t, _ = spawn([binary, "tag", "--model", str(MODEL), "--threads", str(THREADS),
                      "--precision", precision, str(one)])
        colds.append(t)
    emit({"peer": f"tolka-{precision}", "cold_start_s": round(statistics.median(colds), 3),
          "cold_starts_s": [round(c, 3) for c in colds]}, out)


# --- report -------------------------------------------------------------------------------------

def report(peers_path, header, *tolka_paths):
    """tolka_paths: `tolka-PRECISION.json` files of `tolka bench --precision PRECISION`."""
    tolka = {Path(p).stem.removeprefix("tolka-"): json.load(open(p)) for p in tolka_paths}
    peers = [json.loads(l) for l in open(peers_path) if l.strip()]
    rows = {}
    for precision, t in tolka.items():
        name = f"tolka {precision}"
        if t["precision"] != precision:
            name += f" (ran {t['precision']}: the CPU lacks the instructions)"
        cold = next((r["cold_start_s"] for r in peers
                     if r.get("peer") == f"tolka-{precision}" and "cold_start_s" in r), None)
        rows[name] = {"tput": {r["batch_size"]: r["utterances_per_s"] for r in t["results"]},
                      "p50": t["latency_ms"]["p50"], "rss": t.get("peak_rss_mb"),
                      "cold": cold, "cold_in": t.get("cold_start_ms", 0) / 1e3, "n": t["n"]}
    label = {"onnxruntime": "ORT f32", "onnxruntime-fused": "ORT f32 BERT-fused",
             "onnxruntime-int8": "ORT int8 (dynamic, per channel)"}
    meta = next((r for r in peers if r.get("peer") == "meta"), {})
    for r in peers:
        if r.get("peer") not in label:
            continue
        row = rows.setdefault(label[r["peer"]], {"tput": {}})
        if "batch" in r:
            row["tput"][r["batch"]] = r["sent_per_s_tok_incl"]
            row["n"] = r["n"]
        for k, v in (("latency_ms_p50", "p50"), ("peak_rss_mb", "rss"), ("cold_start_s", "cold")):
            if k in r:
                row[v] = r[k]
    fmt = lambda v, f: "n/a" if v is None else format(v, f)  # noqa: E731
    lines = [header, "",
             "| system | b1 utt/s | b8 utt/s | b32 utt/s | b128 utt/s | p50 ms (b1) "
             "| peak RSS MB | cold start s |", "|---|" + "---:|" * 7]
    for name, r in rows.items():
        cells = [fmt(r["tput"].get(b), ".1f") for b in BATCH_SIZES]
        cells += [fmt(r.get("p50"), ".2f"), fmt(r.get("rss"), ".0f"), fmt(r.get("cold"), ".2f")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ns = sorted({r.get("n") for r in rows.values() if r.get("n")})
    v = meta.get("verify", {})
    lines += ["",
              f"- the first {'/'.join(map(str, ns))} of 1024 texts (data/commerce/dev-sv.jsonl, "
              f"then the first 60 lines of dev-en.jsonl), {meta.get('threads', THREADS)} "
              f"threads, median of "
              f"{meta.get('repeats', REPEATS)} passes, batches in file order; ONNX Runtime "
              f"{meta.get('onnxruntime', '?')}.",
              "- tolka: `tolka bench` (the whole analysis: encoder, intent/entity/sentiment/"
              "emotion heads, rules), LoRA adapters merged into the 4-bit base's f32 weights "
              "at load; peak RSS is the bench's VmHWM.",
              "- ORT: the same weights (model.e5s1 dequantised, the LoRA adapters merged) as a "
              "BertModel + mean pooling + L2 norm, the embedding only, tokenisation (tolka's "
              "tokens: <s> query: text </s>, at most "
              f"{meta.get('max_length', 128)} tokens) inside the timed loop; peak RSS is "
              "ru_maxrss of a fresh process per graph. BERT fusion: "
              f"{meta.get('fused', '?')}.",
              "- cold start: process start to the first result, median of fresh processes: "
              "`tolka tag` on one text (first output line), Python + imports + session + one "
              "embedding for ORT (tolka bench's in-process load + first analysis: "
              + ", ".join(f"{n} {r['cold_in']:.2f} s" for n, r in rows.items() if "cold_in" in r)
              + ")."]
    if v:
        lines.append("- embeddings checked: " + ", ".join(
            f"{k.removeprefix('max_abs_')} {x:.1e}" for k, x in v.items()
            if k.startswith("max_abs") and isinstance(x, float)) + " (max |Δ|, 7 texts); "
            f"ORT int8 vs tolka: min cosine {v.get('min_cos_onnx_int8_vs_tolka', float('nan')):.3f}")
    print("\n".join(lines))


def main():
    cmd, args = sys.argv[1] if len(sys.argv) > 1 else "", sys.argv[2:]
    if cmd == "texts":
        write_texts(Path(args[0]))
    elif cmd == "export":
        info = export()
        print(json.dumps(info, indent=1))
    elif cmd == "run":
        run(args[0], Path(args[1]))
    elif cmd == "child":
        child(args[0], args[1], float(args[2]), args[3] == "cold")
    elif cmd == "cold-tolka":
        cold_tolka(args[0], args[1], Path(args[2]))
    elif cmd == "report":
        report(args[0], args[1], *args[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
