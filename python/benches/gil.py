"""Measures what releasing the GIL buys: two Python threads, each running analyze_batch on
one half of 256 CLINC150 dev utterances (one Rust worker thread per analyzer, so that Rust
does not already use every core), against one thread doing both halves. Prints the ratio;
ideal is 0.5 on two idle cores. A benchmark, not a test: wall-clock depends on the machine.

    python/.venv/bin/python python/benches/gil.py
"""
import json
import threading
import time
from pathlib import Path

import tolka

DATA = Path(__file__).resolve().parents[2] / "data" / "clinc150-oos" / "dev.jsonl"
texts = [json.loads(line)["text"] for line in DATA.open()][:256]
analyzers = [tolka.Analyzer(threads=1) for _ in range(2)]
halves = [texts[:128], texts[128:]]
analyzers[0].analyze_batch(halves[0][:8])  # warm-up

start = time.perf_counter()
for half in halves:
    analyzers[0].analyze_batch(half)
sequential = time.perf_counter() - start

start = time.perf_counter()
threads = [threading.Thread(target=a.analyze_batch, args=(h,)) for a, h in zip(analyzers, halves)]
for t in threads:
    t.start()
for t in threads:
    t.join()
parallel = time.perf_counter() - start
print(f"one thread {sequential:.2f} s, two threads {parallel:.2f} s, ratio {parallel / sequential:.2f}")
