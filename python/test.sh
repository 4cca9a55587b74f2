#!/usr/bin/env bash
# Builds and installs the Python package into python/.venv, then runs the pytest suite.
# Run from anywhere; needs the base encoder (bash models/fetch-encoder.sh) and ideally the
# release CLI (cargo build --release) for the comparison tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=python/.venv
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet pytest 'numpy>=1.21'
# Ray is optional: without it the Ray example's tests are skipped with the reason.
"$VENV/bin/python" -m pip install --quiet 'ray[data]' \
    || echo "python/test.sh: could not install ray; its tests will be skipped"
# The README's install command (maturin comes from the registry); --force-reinstall so that
# an unchanged version number still gets the current source.
"$VENV/bin/python" -m pip install --quiet --force-reinstall --no-deps ./python
"$VENV/bin/python" -m pytest python/tests -q "$@"
