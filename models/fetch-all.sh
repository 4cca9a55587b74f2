#!/usr/bin/env bash
# Fetches every base encoder the tests use: all-MiniLM-L6-v2 (default) and
# multilingual-e5-small (4-bit E5S1). Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/fetch-encoder.sh"
bash "$here/fetch-multilingual.sh"
