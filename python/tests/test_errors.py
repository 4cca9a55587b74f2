"""Errors: every failure is a TolkaError subclass (or a TypeError naming the argument);
a Rust panic becomes an exception and the interpreter lives on."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tolka
from conftest import assert_close, write_jsonl


def test_hierarchy():
    for cls in (tolka.ModelLoadError, tolka.InvalidInputError, tolka.DeviceError):
        assert issubclass(cls, tolka.TolkaError)
        assert cls.__module__ == "tolka"
    assert issubclass(tolka.TolkaError, Exception)
    assert issubclass(tolka.InvalidInputError, ValueError)


def test_missing_model_dir(tmp_path):
    with pytest.raises(tolka.ModelLoadError, match="missing file") as info:
        tolka.Analyzer(tmp_path / "nowhere")
    assert info.value.path.endswith("tolka.json")
    assert info.value.line is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 0},
        {"batch_size": -1},
        {"batch_size": 100_000},
        {"threads": 0},
        {"max_length": 3},
        {"device": "tpu"},
    ],
)
def test_bad_options(model_dir, kwargs):
    with pytest.raises(tolka.InvalidInputError):
        tolka.Analyzer(model_dir, **kwargs)


def test_batch_size_zero_is_also_value_error(model_dir):
    with pytest.raises(ValueError, match="batch size 0"):
        tolka.Analyzer(model_dir, batch_size=0)


@pytest.mark.skipif(tolka.CUDA, reason="this build has CUDA support")
def test_cuda_without_cuda_build(model_dir):
    with pytest.raises(tolka.DeviceError, match="CUDA"):
        tolka.Analyzer(model_dir, device="cuda:0")


def test_type_errors_name_the_argument(analyzer, tmp_path):
    # In the message itself (not only in a PEP 678 note, which Python < 3.11 lacks).
    with pytest.raises(TypeError) as info:
        analyzer.analyze(5)
    assert str(info.value) == "argument 'text': expected str, got int"
    with pytest.raises(TypeError, match="texts"):
        analyzer.analyze_batch("a single string")
    with pytest.raises(TypeError, match="texts.*item 1 is int"):
        analyzer.analyze_batch(["fine", 3])
    with pytest.raises(TypeError, match="texts"):
        analyzer.analyze_batch(42)
    with pytest.raises(TypeError, match="texts"):
        analyzer.embed([b"bytes"])
    with pytest.raises(TypeError, match="batch_size"):
        tolka.Analyzer(batch_size="32")
    for call, arg in [
        (lambda: tolka.Analyzer(model_dir=3), "model_dir"),
        (lambda: tolka.evaluate(None, 3), "data"),
        (lambda: analyzer.evaluate(None), "data"),
        (lambda: tolka.train([], None, 3), "out"),
        (lambda: tolka.train([], None, tmp_path, encoder=1.5), "encoder"),
    ]:
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value).startswith(f"argument '{arg}'"), str(info.value)


def copy_model(model_dir, tmp_path):
    """A copy of the model whose manifest points at the real encoder by absolute path."""
    dst = tmp_path / "model"
    shutil.copytree(model_dir, dst)
    manifest = json.loads((dst / "tolka.json").read_text())
    encoder = Path(model_dir) / manifest["encoder"]["path"]
    manifest["encoder"]["path"] = str(encoder.resolve())
    (dst / "tolka.json").write_text(json.dumps(manifest))
    return dst, manifest


def test_copied_model_loads(analyzer, model_dir, tmp_path):
    dst, _ = copy_model(model_dir, tmp_path)
    text = "where is my order 113542617735902"
    assert_close(tolka.Analyzer(dst).analyze(text).to_dict(), analyzer.analyze(text).to_dict())


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda m, d: m.update(format_version=99), "format version 99"),
        (lambda m, d: m["encoder"].update(sha256="0" * 64), "encoder mismatch"),
        (lambda m, d: m["intent"]["labels"].append("extra_label"), "shape"),
        (lambda m, d: m["intent"].update(labels=[]), None),
        (lambda m, d: (d / "heads.safetensors").write_bytes(b"not safetensors"), None),
        (lambda m, d: (d / "heads.safetensors").unlink(), "missing file"),
        (lambda m, d: (d / "tolka.json").write_text("{not json"), "invalid JSON"),
    ],
)
def test_corrupt_models(model_dir, tmp_path, corrupt, message):
    dst, manifest = copy_model(model_dir, tmp_path)
    corrupt(manifest, dst)
    if (dst / "tolka.json").read_text() != "{not json":
        (dst / "tolka.json").write_text(json.dumps(manifest))
    with pytest.raises(tolka.ModelLoadError, match=message) as info:
        tolka.Analyzer(dst)
    assert info.value.path and info.value.path.startswith(str(dst))


def test_malformed_data_file(model_dir, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine", "intent": "track_order"}\n{"text": \n')
    with pytest.raises(tolka.InvalidInputError) as info:
        tolka.evaluate(model_dir, path)
    assert info.value.path == str(path) and info.value.line == 2
    with pytest.raises(tolka.InvalidInputError):
        tolka.evaluate(model_dir, tmp_path / "absent.jsonl")
    with pytest.raises(tolka.InvalidInputError):
        tolka.train([path], [], tmp_path / "out")
    with pytest.raises(tolka.InvalidInputError, match="no training"):
        tolka.train([], [], tmp_path / "out")
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    with pytest.raises(tolka.InvalidInputError, match="no training records"):
        tolka.train(empty, None, tmp_path / "out")
    with pytest.raises(TypeError, match="data"):
        tolka.train(3, None, tmp_path / "out")


def test_panic_becomes_tolka_error():
    from tolka import _tolka

    for _ in range(3):
        with pytest.raises(tolka.TolkaError, match="internal error.*boom"):
            _tolka._panic_for_tests("boom")
    # The interpreter and the extension still work.
    assert tolka.Analysis.from_dict({}).to_dict() == {}


def test_panic_does_not_crash_a_fresh_interpreter():
    code = (
        "import tolka, tolka._tolka as t\n"
        "try:\n    t._panic_for_tests('kaboom')\n"
        "except tolka.TolkaError as e:\n    print('caught', type(e).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "caught TolkaError"


def test_counts_refuse_bools_and_huge_ints(model_dir):
    with pytest.raises(TypeError, match="batch_size.*bool"):
        tolka.Analyzer(model_dir, batch_size=True)
    for kwargs in ({"batch_size": 2**70}, {"threads": 2**70}, {"max_length": -(2**70)}):
        (name,) = kwargs
        with pytest.raises(tolka.InvalidInputError, match=name):
            tolka.Analyzer(model_dir, **kwargs)


def test_lone_surrogate_is_invalid_input(analyzer):
    with pytest.raises(tolka.InvalidInputError, match="'text'"):
        analyzer.analyze("a \ud800 b")
    with pytest.raises(tolka.InvalidInputError, match="item 1"):
        analyzer.analyze_batch(["fine", "\udfff"])


def test_an_unknown_precision_is_a_value_error(model_dir):
    with pytest.raises(ValueError, match="unknown precision `f8`"):
        tolka.Analyzer(model_dir, precision="f8")
