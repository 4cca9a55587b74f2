"""The Ray Data example (examples/ray_tag.py) on a local Ray instance."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, assert_close, read_jsonl

ray = pytest.importorskip(
    "ray", reason="ray is not installed (pip install 'ray[data]'); the Ray example is untested"
)
pytest.importorskip("ray.data", reason="ray is installed without Ray Data (pip install 'ray[data]')")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ray_tag.py"


def load_example():
    spec = importlib.util.spec_from_file_location("ray_tag", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    yield
    ray.shutdown()


def test_map_batches_one_analyzer_per_worker(local_ray, analyzer):
    ray_tag = load_example()
    records = read_jsonl(DATA / "examples" / "transcript.jsonl") + [
        {"text": t, "conversation": "extra", "turn": i, "speaker": "customer"}
        for i, t in enumerate(
            r["text"] for r in read_jsonl(DATA / "clinc150-oos" / "dev.jsonl", limit=200)
        )
    ]
    ds = ray.data.from_items(records)
    rows = ray_tag.tag(ds, concurrency=2, batch_size=32).take_all()
    assert len(rows) == len(records)
    rows.sort(key=lambda r: (r["conversation"], r["turn"]))
    records.sort(key=lambda r: (r["conversation"], r["turn"]))
    expected = analyzer.analyze_batch([r["text"] for r in records])
    for row, record, analysis in zip(rows, records, expected):
        assert row["text"] == record["text"]
        assert_close(json.loads(row["analysis"]), analysis.to_dict())
        assert row["intent"] == analysis.intent.label
        assert bool(row["out_of_scope"]) == analysis.intent.out_of_scope
        assert row["sentiment"] == analysis.sentiment.label
        assert [e["text"] for e in row["entities"]] == [e.text for e in analysis.entities]


def test_command_line(tmp_path):
    out = tmp_path / "tagged"
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            str(DATA / "examples" / "transcript.jsonl"),
            "--output",
            str(out),
            "--concurrency",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(l) for f in sorted(out.glob("*.json*")) for l in f.read_text().splitlines()]
    assert len(lines) == 32
    assert all("intent" in l and "analysis" in l for l in lines)
