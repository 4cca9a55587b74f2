"""Tag a large transcript collection with tolka on Ray Data: one Analyzer per worker.

    python examples/ray_tag.py transcripts/*.jsonl --output tagged/ --concurrency 4

Each worker process loads the model once (``TolkaTagger.__init__``) and then analyses batches
of records with ``Analyzer.analyze_batch``; Ray Data streams the files through the workers, so
memory stays bounded whatever the collection's size. On a laptop ``ray.init()`` starts a local
instance; on a cluster, run the same script with ``RAY_ADDRESS`` set (or ``ray job submit``):
nothing in the code changes. Every node needs ``tolka`` installed and the model at the same
path (or ``TOLKA_MODEL`` / ``--model`` pointing at a shared file system).

Use the CLI (``tolka tag``) for one machine: it already uses every core. Use this when the
collection is too large for one machine, or the data already lives in a Ray pipeline.

Output: the input records with the columns ``intent``, ``intent_confidence``,
``out_of_scope``, ``sentiment``, ``sentiment_score``, ``entities`` (a list of
``{label, text, start, end, confidence}``) and ``analysis`` (the full analysis as the JSON
string that ``tolka tag`` writes).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, Optional

import numpy as np

import tolka


class TolkaTagger:
    """A Ray Data callable class: holds one Analyzer per worker and tags numpy batches."""

    def __init__(
        self,
        model_dir: Optional[str] = None,
        text_field: str = "text",
        batch_size: int = 32,
        threads: Optional[int] = None,
    ) -> None:
        self.analyzer = tolka.Analyzer(model_dir, batch_size=batch_size, threads=threads)
        self.text_field = text_field

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        texts = ["" if t is None else str(t) for t in batch[self.text_field]]
        analyses = self.analyzer.analyze_batch(texts)
        columns: Dict[str, Any] = {
            "intent": [],
            "intent_confidence": [],
            "out_of_scope": [],
            "sentiment": [],
            "sentiment_score": [],
            "entities": [],
            "analysis": [],
        }
        for a in analyses:
            columns["intent"].append(a.intent.label if a.intent else None)
            columns["intent_confidence"].append(a.intent.confidence if a.intent else None)
            columns["out_of_scope"].append(a.intent.out_of_scope if a.intent else None)
            columns["sentiment"].append(a.sentiment.label if a.sentiment else None)
            columns["sentiment_score"].append(a.sentiment.score if a.sentiment else None)
            columns["entities"].append(
                [
                    {
                        "label": e.label,
                        "text": e.text,
                        "start": e.start,
                        "end": e.end,
                        "confidence": e.confidence,
                    }
                    for e in (a.entities or [])
                ]
            )
            columns["analysis"].append(a.to_json())
        out = dict(batch)
        for name, values in columns.items():
            if name == "entities":
                array = np.empty(len(values), dtype=object)
                array[:] = values
                out[name] = array
            else:
                out[name] = np.array(values)
        return out


def tag(
    ds: "ray.data.Dataset",  # noqa: F821
    model_dir: Optional[str] = None,
    text_field: str = "text",
    concurrency: int = 2,
    batch_size: int = 256,
    analyzer_batch_size: int = 32,
    cpus_per_worker: float = 1,
) -> "ray.data.Dataset":  # noqa: F821
    """Adds tolka's analysis to every row of `ds`, with `concurrency` Analyzer workers."""
    threads = max(1, int(cpus_per_worker))
    return ds.map_batches(
        TolkaTagger,
        fn_constructor_kwargs={
            "model_dir": model_dir,
            "text_field": text_field,
            "batch_size": analyzer_batch_size,
            "threads": threads,
        },
        concurrency=concurrency,
        batch_size=batch_size,
        batch_format="numpy",
        num_cpus=cpus_per_worker,
    )


def main() -> None:
    import ray

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", help="JSONL files (or directories) of records")
    parser.add_argument("--output", required=True, help="output directory (JSONL files)")
    parser.add_argument("--model", default=None, help="model directory (default: tolka's)")
    parser.add_argument("--text-field", default="text")
    parser.add_argument("--concurrency", type=int, default=2, help="Analyzer workers")
    parser.add_argument("--cpus-per-worker", type=float, default=1)
    parser.add_argument("--batch-size", type=int, default=256, help="records per Ray batch")
    args = parser.parse_args()

    ray.init()  # local instance, or the cluster in RAY_ADDRESS
    ds = ray.data.read_json(args.inputs)
    tagged = tag(
        ds,
        model_dir=args.model,
        text_field=args.text_field,
        concurrency=args.concurrency,
        batch_size=args.batch_size,
        cpus_per_worker=args.cpus_per_worker,
    )
    tagged.write_json(args.output)
    print(json.dumps({"output": args.output}))


if __name__ == "__main__":
    main()
