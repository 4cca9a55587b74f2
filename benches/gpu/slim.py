"""Makes GPU-transfer copies of the two base encoders that keep only the word-embedding rows
of the tokens in the given texts (other rows zero, so they compress away). MiniLM also goes
to f16 (restored to f32 on the GPU machine). Results are exact for texts whose tokens are kept."""
import json, lzma, os, struct, sys
from pathlib import Path
import numpy as np
from safetensors.numpy import load_file, save_file
from tokenizers import Tokenizer

base = Path(__file__).resolve().parents[2] / "models/base"
out = sys.argv[1]
files = sys.argv[2:]
texts = []
for f in files:
    for line in open(f, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            continue
        if f.endswith(".jsonl"):
            try:
                r = json.loads(line)
            except Exception:
                continue
            if isinstance(r, dict):
                for k in ("text", "utterance"):
                    if isinstance(r.get(k), str):
                        texts.append(r[k])
        else:
            texts.append(line)
print("texts", len(texts))
os.makedirs(out, exist_ok=True)

def used(tok_path):
    tok = Tokenizer.from_file(tok_path)
    tok.no_truncation()
    ids = set()
    for i in range(0, len(texts), 4096):
        for e in tok.encode_batch(texts[i:i+4096]):
            ids.update(e.ids)
    for t in range(0, 10):
        ids.add(t)
    return ids

# MiniLM
d = f"{base}/all-MiniLM-L6-v2"
ids = used(f"{d}/tokenizer.json")
print("minilm kept rows", len(ids))
t = load_file(f"{d}/model.safetensors")
for k, v in t.items():
    if k.endswith("word_embeddings.weight"):
        mask = np.zeros(v.shape[0], bool); mask[list(ids)] = True
        v = v.copy(); v[~mask] = 0; t[k] = v
t = {k: v.astype(np.float16) for k, v in t.items()}
save_file(t, f"{out}/minilm-f16.safetensors")

# e5
d = f"{base}/multilingual-e5-small"
ids = used(f"{d}/tokenizer.json")
print("e5 kept rows", len(ids))
b = bytearray(open(f"{d}/model.e5s1", "rb").read())
p = 8
hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", b, p); p += 28
p += 4  # eps
block, n_pieces, bos, eos, pad, unk = struct.unpack_from("<6i", b, p); p += 24
blob, = struct.unpack_from("<Q", b, p); p += 8
p += (n_pieces + 1) * 4 + n_pieces * 4 + blob
n_norm, nbytes = struct.unpack_from("<iI", b, p); p += 8 + nbytes
n_dir, = struct.unpack_from("<i", b, p); p += 4
for _ in range(n_dir):
    ln, = struct.unpack_from("<H", b, p); p += 2
    name = b[p:p+ln].decode(); p += ln
    dtype = b[p]; p += 1
    count, off, nb = struct.unpack_from("<IQQ", b, p); p += 20
    if name == "emb.word":
        row = hidden // 32 * 18
        assert dtype == 1 and nb == vocab * row, (dtype, nb, vocab, row)
        keep = np.zeros(vocab, bool); keep[[i for i in ids if i < vocab]] = True
        arr = np.frombuffer(b, np.uint8, nb, off).reshape(vocab, row).copy()
        arr[~keep] = 0
        b[off:off+nb] = arr.tobytes()
        print("zeroed", (~keep).sum(), "of", vocab)
with lzma.open(f"{out}/e5.e5s1.xz", "wb", preset=6) as f:
    f.write(bytes(b))
with lzma.open(f"{out}/e5-tokenizer.json.xz", "wb", preset=6) as f:
    f.write(open(f"{d}/tokenizer.json", "rb").read())
