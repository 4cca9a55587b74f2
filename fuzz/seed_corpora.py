#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/seed-* from the repository's real files.

Run from anywhere: python3 fuzz/seed_corpora.py. The seeds are small (tens of KB) and
committed; what libFuzzer adds to the corpus directories is not (see fuzz/.gitignore).
"""
import json
import pathlib
import struct

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
MODEL = ROOT / "models" / "commerce-en"

RASA = """version: "3.1"
nlu:
- intent: check_stock
  examples: |
    - do you have [Air Max 90](product) in stock?
    - finns [linneskjortan]{"entity": "product", "value": "linneskjorta"} i lager
    - is the [Nike](brand:nike) [hoodie](product) back
- synonym: nike
  examples: |
    - Nike Inc
- intent: greet
  examples:
  - text: hej
  - text: hello there
"""


def texts(path, n, step):
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[::step][:n]]


def write(target, seeds):
    out = FUZZ / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("seed-*"):
        old.unlink()
    for i, seed in enumerate(seeds):
        (out / f"seed-{i:03}").write_bytes(seed)


def main():
    pii = texts("data/pii/pii-cases.jsonl", 60, 2)
    commerce = texts("data/commerce/dev-en.jsonl", 20, 50) + texts(
        "data/commerce/dev-sv.jsonl", 20, 50
    )
    sample = pii + commerce
    write("rules", [bytes([i % 3]) + t.encode() for i, t in enumerate(sample)])
    write("analyze", [t.encode() for t in sample[::2]])

    jsonl = "\n".join(
        (ROOT / "data/commerce/train-en.jsonl").read_text(encoding="utf-8").splitlines()[:3]
        + (ROOT / "data/commerce/train-sv.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    ).encode()
    write("data", [b"\x00" + jsonl, b"\x01" + RASA.encode(), b"\x02" + jsonl, b"\x03" + RASA.encode()])

    manifest = (MODEL / "tolka.json").read_bytes()
    heads = (MODEL / "heads.safetensors").read_bytes()
    adapters = (MODEL / "adapters.safetensors").read_bytes()

    def patch(selector, offset, blob):
        return bytes([selector]) + struct.pack("<I", offset) + blob[offset : offset + 96]

    write(
        "model_files",
        [
            b"\x00" + manifest,
            patch(1, 0, heads),
            patch(1, 8, heads),
            patch(1, 4096, heads),
            patch(2, 0, adapters),
            patch(2, 8, adapters),
            b"\x03" + struct.pack("<I", 200),
        ],
    )


if __name__ == "__main__":
    main()
