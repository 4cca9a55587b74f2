"""tolka.evaluate equals `tolka eval --json`; tolka.train writes a loadable model."""

import json

import tolka
from conftest import DATA, assert_close, read_jsonl, run_cli, write_jsonl


def test_evaluate_equals_cli(analyzer, model_dir, tmp_path):
    records = read_jsonl(DATA / "bitext-customer-support" / "dev.jsonl", limit=150) + read_jsonl(
        DATA / "clinc150-oos" / "dev.jsonl", limit=150
    )
    path = write_jsonl(tmp_path / "gold.jsonl", records)
    expected = json.loads(run_cli(["eval", "--model", model_dir, "--data", path, "--json"]))
    report = tolka.evaluate(model_dir, path)
    assert_close(report, expected)
    assert report["count"] == 300
    assert set(report) >= {"intent", "entities", "count"}
    assert_close(analyzer.evaluate(str(path)), expected)
    assert json.loads(json.dumps(report)) == report


def test_train_small_model(tmp_path):
    train = read_jsonl(DATA / "bitext-customer-support" / "train.jsonl", limit=300)
    dev = read_jsonl(DATA / "bitext-customer-support" / "dev.jsonl", limit=60)
    train_path = write_jsonl(tmp_path / "train.jsonl", train)
    dev_path = write_jsonl(tmp_path / "dev.jsonl", dev)
    out = tmp_path / "small-model"
    report = tolka.train([train_path], [dev_path], out, epochs=5, seed=7)
    assert report["model_dir"] == str(out)
    heads = {h["head"]: h for h in report["heads"]}
    # 300 Bitext records + 50 texts of the built-in out-of-scope pool (Bitext has no oos).
    assert "intent" in heads and heads["intent"]["train_examples"] == 350
    assert heads["intent"]["dev_examples"] == 60 + 60  # dev gains as many pool texts
    bare = tolka.train([train_path], [dev_path], tmp_path / "bare", epochs=5, oos_pool=False)
    assert {h["head"]: h for h in bare["heads"]}["intent"]["train_examples"] == 300
    assert json.loads(json.dumps(report)) == report
    manifest = json.loads((out / "tolka.json").read_text())
    assert manifest["name"] == "small-model"
    analysis = tolka.Analyzer(out).analyze("where is my order 00004587345")
    assert analysis.intent.label in manifest["intent"]["labels"] + [manifest["intent"]["oos_label"]]
    scores = tolka.evaluate(out, dev_path)
    assert scores["count"] == 60 and 0.0 <= scores["intent"]["accuracy"] <= 1.0
