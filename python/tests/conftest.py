"""Shared fixtures: the real default model, the repository paths and the CLI."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import tolka

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def model_dir() -> str:
    return tolka.default_model_dir()


@pytest.fixture(scope="session")
def analyzer() -> "tolka.Analyzer":
    """One analyzer on the default model, shared by the whole session (as in an app)."""
    return tolka.Analyzer()


def cli_command() -> list:
    """The `tolka` CLI: $TOLKA_CLI, else target/release/tolka, else `cargo run --release`."""
    if os.environ.get("TOLKA_CLI"):
        return [os.environ["TOLKA_CLI"]]
    binary = REPO / "target" / "release" / "tolka"
    if binary.is_file():
        return [str(binary)]
    if shutil.which("cargo"):
        return ["cargo", "run", "--release", "--quiet", "--bin", "tolka", "--"]
    pytest.skip("no tolka CLI: build it with `cargo build --release` or set TOLKA_CLI")


def run_cli(args, cwd=REPO) -> str:
    result = subprocess.run(
        cli_command() + [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def write_jsonl(path: Path, records) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def read_jsonl(path: Path, limit=None) -> list:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
            if limit is not None and len(out) >= limit:
                break
    return out


def _instant(value):
    """A timestamp of a rule value (RFC 3339), else None."""
    import datetime

    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def assert_close(a, b, tol=1e-5, where="$"):
    """Deep equality of JSON values, floats within `tol`. Instants resolved by the rule layer
    ("in an hour") follow the clock of each call, so they may differ by the seconds between
    the two calls (at most 120 s here); dates and everything else must be equal."""
    if _instant(a) is not None and _instant(b) is not None:
        assert abs((_instant(a) - _instant(b)).total_seconds()) <= 120, f"{where}: {a!r} vs {b!r}"
    elif isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), f"{where}: {a!r} vs {b!r}"
        assert abs(a - b) <= tol, f"{where}: {a!r} vs {b!r}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{where}: keys {list(a)} vs {b!r}"
        for k in a:
            assert_close(a[k], b[k], tol, f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{where}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, tol, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"
