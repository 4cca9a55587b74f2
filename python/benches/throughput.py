"""Python-side throughput of Analyzer.analyze_batch on the inputs of `cargo bench --bench
analyze`: the first 1024 utterances of data/clinc150-oos/dev.jsonl.

    python python/benches/throughput.py [--batch-size 32] [--repeats 3] [--threads N]
"""

import argparse
import json
import time
from pathlib import Path

import tolka

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("-n", type=int, default=1024)
    args = parser.parse_args()

    with open(REPO / "data" / "clinc150-oos" / "dev.jsonl", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()][: args.n]
    analyzer = tolka.Analyzer(batch_size=args.batch_size, threads=args.threads)
    analyzer.analyze_batch(texts[:64])  # warm-up
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        analyzer.analyze_batch(texts)
        times.append(time.perf_counter() - start)
    best = min(times)
    print(
        json.dumps(
            {
                "texts": len(texts),
                "batch_size": args.batch_size,
                "threads": args.threads,
                "seconds": [round(t, 3) for t in times],
                "utterances_per_s_best": round(len(texts) / best, 1),
                "utterances_per_s_median": round(len(texts) / sorted(times)[len(times) // 2], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
