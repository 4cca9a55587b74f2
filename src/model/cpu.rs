//! A BERT forward pass for the CPU on plain `f32` buffers, without padding.
//!
//! The texts of a batch are packed one after another, so the dense layers (≈ 95 % of the
//! work) multiply only real tokens: no row is spent on padding, whatever the mix of lengths.
//! Attention runs per text and head. The dense layers run an AVX-512 kernel over weights
//! packed once at load ([`PackedDense`]; int8 with [`Precision::Int8`]), or, on a CPU without
//! AVX-512, call the `gemm` crate (the kernels candle itself uses) with weights stored
//! transposed once at load. The bias, and the residual where there is one, are written into
//! the output before the product accumulates onto it. GELU and LayerNorm run in place, in parallel over
//! rows. Nothing asks the operating system anything per call.
//!
//! It loads the same Hugging Face weights as `candle_transformers::models::bert::BertModel`
//! and computes the same function: a test pins it to the reference within 1e-4.

use candle_core::Tensor;
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config, HiddenAct};
use gemm::Parallelism;
use rayon::prelude::*;

use crate::model::Precision;
use crate::model::bert::{encoder_root, fused_qkv};
use crate::model::e5s1::Q4Rows;
use crate::model::int8::{self, QDense};
use crate::model::packed::PackedDense;
use crate::model::{SendPtr, dense_rows};

/// Element-wise work below this many values runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 14;

/// Whether the element-wise loops may run their AVX-512 builds.
fn avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vl")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the element-wise loops may run their AVX2 builds (with FMA).
fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Defines `$name`, which runs the `#[inline(always)]` function `$generic` compiled for
/// AVX-512 where the CPU has it (its loops then vectorise sixteen floats wide instead of
/// the four of the baseline x86-64 target), else for AVX2 with FMA (eight wide), else as it
/// is.
macro_rules! multiversion {
    ($(#[$doc:meta])* $vis:vis unsafe fn $name:ident = $generic:ident($($arg:ident: $ty:ty),*)) => {
        $(#[$doc])*
        $vis unsafe fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")]
                unsafe fn wide($($arg: $ty),*) {
                    // SAFETY: forwarded from the caller.
                    unsafe { $generic($($arg),*) }
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn narrow($($arg: $ty),*) {
                    // SAFETY: forwarded from the caller.
                    unsafe { $generic($($arg),*) }
                }
                if avx512() {
                    // SAFETY: the CPU has the features `wide` is compiled for; the rest is
                    // the caller's contract.
                    return unsafe { wide($($arg),*) };
                }
                if avx2() {
                    // SAFETY: as above, for `narrow`.
                    return unsafe { narrow($($arg),*) };
                }
            }
            // SAFETY: the caller's contract.
            unsafe { $generic($($arg),*) }
        }
    };
}

/// `y = x·Wᵀ + b`, with `Wᵀ` stored `[inputs, outputs]` row-major, or `W` quantised to int8
/// (then the f32 copy is dropped).
#[derive(Debug, Clone)]
pub(crate) struct Dense {
    weight_t: Vec<f32>,
    packed: Option<PackedDense>,
    int8: Option<QDense>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Dense {
    /// Width of the output.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    fn load(
        vb: &VarBuilder,
        name: &str,
        outputs: usize,
        inputs: usize,
    ) -> candle_core::Result<Self> {
        let vb = vb.pp(name);
        Self::new(
            &vb.get((outputs, inputs), "weight")?,
            &vb.get(outputs, "bias")?,
        )
    }

    /// From a checkpoint's `[outputs, inputs]` weight and `[outputs]` bias.
    pub fn new(weight: &Tensor, bias: &Tensor) -> candle_core::Result<Self> {
        let (outputs, inputs) = weight.dims2()?;
        let weight: Vec<f32> = weight.flatten_all()?.to_vec1()?;
        // `[inputs, outputs]`, transposed in cache-sized tiles (candle's strided copy walks
        // one element at a time and was the slowest step of loading a model).
        let mut weight_t = vec![0f32; weight.len()];
        const TILE: usize = 32;
        for o0 in (0..outputs).step_by(TILE) {
            for i0 in (0..inputs).step_by(TILE) {
                for o in o0..(o0 + TILE).min(outputs) {
                    for i in i0..(i0 + TILE).min(inputs) {
                        weight_t[i * outputs + o] = weight[o * inputs + i];
                    }
                }
            }
        }
        Ok(Self {
            weight_t,
            packed: None,
            int8: None,
            bias: bias.to_vec1()?,
            inputs,
            outputs,
        })
    }

    /// Packs the weights for the AVX-512 or AVX2 kernel where the CPU has one (then the
    /// `gemm` copy is dropped).
    pub fn pack(self) -> Self {
        self.pack_as(false)
    }

    /// [`Dense::pack`], the weights as `f16` with `half`.
    fn pack_as(mut self, half: bool) -> Self {
        if let Some(p) = PackedDense::new(&self.weight_t, self.inputs, self.outputs, half) {
            self.packed = Some(p);
            self.weight_t = Vec::new();
        }
        self
    }

    /// Switches the product to int8 where the CPU has AVX-512 VNNI; packs it in f32
    /// elsewhere.
    fn quantise(mut self) -> Self {
        let mut weight = vec![0f32; self.weight_t.len()];
        for (k, row) in self.weight_t.chunks_exact(self.outputs).enumerate() {
            for (j, &w) in row.iter().enumerate() {
                weight[j * self.inputs + k] = w;
            }
        }
        match QDense::new(&weight, self.outputs, self.inputs) {
            Some(q) => {
                self.int8 = Some(q);
                self.weight_t = Vec::new();
                self
            }
            None => self.pack(),
        }
    }

    /// Whether the product runs in int8.
    fn is_int8(&self) -> bool {
        self.int8.is_some()
    }

    /// Whether the product reads `f16` weights.
    fn is_half(&self) -> bool {
        self.packed.as_ref().is_some_and(PackedDense::is_half)
    }

    /// `out = x·Wᵀ + b`, or `out += x·Wᵀ + b` with `accumulate` (a residual already in `out`).
    pub fn forward(&self, x: &[f32], out: &mut [f32], accumulate: bool) {
        let rows = dense_rows(x, out, self.inputs, self.outputs);
        for row in out.chunks_exact_mut(self.outputs) {
            if accumulate {
                row.iter_mut().zip(&self.bias).for_each(|(y, b)| *y += b);
            } else {
                row.copy_from_slice(&self.bias);
            }
        }
        if rows == 0 {
            return;
        }
        if let Some(q) = &self.int8 {
            q.forward(x, out);
            return;
        }
        if let Some(p) = &self.packed {
            p.forward(x, out);
            return;
        }
        // SAFETY: the three buffers hold exactly the [rows, outputs], [rows, inputs] and
        // [inputs, outputs] row-major matrices described by these dimensions and strides
        // (asserted above and by construction), and `out` does not alias the inputs.
        unsafe {
            gemm::gemm(
                rows,
                self.outputs,
                self.inputs,
                out.as_mut_ptr(),
                1,
                self.outputs as isize,
                true,
                x.as_ptr(),
                1,
                self.inputs as isize,
                self.weight_t.as_ptr(),
                1,
                self.outputs as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                Parallelism::Rayon(rayon::current_num_threads()),
            );
        }
    }
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

impl Norm {
    fn load(vb: &VarBuilder, size: usize, eps: f64) -> candle_core::Result<Self> {
        let vb = vb.pp("LayerNorm");
        Ok(Self {
            weight: vb.get(size, "weight")?.to_vec1()?,
            bias: vb.get(size, "bias")?.to_vec1()?,
            eps: eps as f32,
        })
    }

    /// Normalises every row of `xs` in place.
    fn forward(&self, xs: &mut [f32]) {
        // SAFETY: the rows are as wide as the weights and biases.
        for_rows(xs, self.weight.len(), |row| unsafe {
            normalise(row, &self.weight, &self.bias, self.eps)
        });
    }
}

multiversion! {
    /// LayerNorm of one row in place.
    ///
    /// # Safety
    /// `weight` and `bias` are as long as `row`.
    unsafe fn normalise = normalise_generic(row: &mut [f32], weight: &[f32], bias: &[f32], eps: f32)
}

#[inline(always)]
unsafe fn normalise_generic(row: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = lanes_sum(row, |x| x) / n;
    let var = lanes_sum(row, |x| (x - mean) * (x - mean)) / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((x, w), b) in row.iter_mut().zip(weight).zip(bias) {
        *x = (*x - mean) * inv * w + b;
    }
}

/// Runs `f` on every `width`-long row of `xs`, in parallel when there is enough work.
fn for_rows(xs: &mut [f32], width: usize, f: impl Fn(&mut [f32]) + Sync) {
    if xs.len() < PARALLEL_MIN {
        xs.chunks_exact_mut(width).for_each(f);
    } else {
        let chunk = (PARALLEL_MIN / 4 / width).max(1) * width;
        let len = xs.len();
        let ptr = SendPtr(xs.as_mut_ptr());
        crate::model::team::for_each(len.div_ceil(chunk), &|t| {
            let start = t * chunk;
            let end = (start + chunk).min(len);
            // SAFETY: task `t` owns elements `start..end` of `xs`, which no other task touches.
            let rows = unsafe { std::slice::from_raw_parts_mut(ptr.get().add(start), end - start) };
            rows.chunks_exact_mut(width).for_each(&f);
        });
    }
}

struct Layer {
    qkv: Dense,
    attention_out: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    output: Dense,
    output_norm: Norm,
}

/// The encoder (embeddings + transformer layers) of a BERT-family model, for the CPU.
/// The word embedding: f32 rows, or the 4-bit blocks of an E5S1 file dequantised a row at
/// a time (no f32 copy of a 250k-row table).
enum WordTable {
    F32(Vec<f32>),
    Q4(Q4Rows),
}

impl WordTable {
    fn rows(&self, width: usize) -> usize {
        match self {
            WordTable::F32(table) => table.len() / width,
            WordTable::Q4(table) => table.rows(),
        }
    }

    /// Row `id` into `out`.
    fn row_into(&self, id: usize, out: &mut [f32]) {
        match self {
            WordTable::F32(table) => out.copy_from_slice(&table[id * out.len()..][..out.len()]),
            WordTable::Q4(table) => table.row_into(id, out),
        }
    }
}

pub(crate) struct CpuBert {
    word_embeddings: WordTable,
    position_embeddings: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    head_dim: usize,
    max_positions: usize,
    act: HiddenAct,
}

/// Scratch buffers of one forward pass, sized by the number of tokens.
struct Scratch {
    qkv: Vec<f32>,
    context: Vec<f32>,
    attended: Vec<f32>,
    inner: Vec<f32>,
}

impl CpuBert {
    /// Loads the encoder; with [`Precision::Int8`] its dense layers run in int8 where the CPU
    /// has AVX-512 VNNI, with [`Precision::F16`] on `f16` weights where it has AVX-512 or
    /// AVX2 (see [`CpuBert::precision`]); attention, GELU and LayerNorm run in f32.
    /// `words` is the word embedding kept 4-bit (E5S1); without it the embedding is read
    /// from `vb`.
    pub fn load(
        vb: VarBuilder,
        config: &Config,
        precision: Precision,
        words: Option<Q4Rows>,
    ) -> candle_core::Result<Self> {
        let (vb, head_dim) = encoder_root(vb, config)?;
        let h = config.hidden_size;
        let heads = h / head_dim;
        let eps = config.layer_norm_eps;
        let emb = vb.pp("embeddings");
        // Whether int8 runs is decided here, on the calling thread, for all layers.
        let precision = match precision {
            Precision::Int8 if !int8::available() => Precision::F32,
            precision => precision,
        };
        // Layers are read, transposed and packed in parallel.
        let layers = (0..config.num_hidden_layers)
            .into_par_iter()
            .map(|i| {
                let vb = vb.pp(format!("encoder.layer.{i}"));
                let attn = vb.pp("attention");
                let (weight, bias) = fused_qkv(&attn, h, head_dim)?;
                let dense = |d: Dense| match precision {
                    Precision::F32 => d.pack(),
                    Precision::F16 => d.pack_as(true),
                    Precision::Int8 => d.quantise(),
                };
                Ok(Layer {
                    qkv: dense(Dense::new(&weight, &bias)?),
                    attention_out: dense(Dense::load(&attn.pp("output"), "dense", h, h)?),
                    attention_norm: Norm::load(&attn.pp("output"), h, eps)?,
                    intermediate: dense(Dense::load(
                        &vb.pp("intermediate"),
                        "dense",
                        config.intermediate_size,
                        h,
                    )?),
                    output: dense(Dense::load(
                        &vb.pp("output"),
                        "dense",
                        h,
                        config.intermediate_size,
                    )?),
                    output_norm: Norm::load(&vb.pp("output"), h, eps)?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        let table = |name: &str, rows: usize| -> candle_core::Result<Vec<f32>> {
            emb.get((rows, h), name)?.flatten_all()?.to_vec1()
        };
        let word_embeddings = match words {
            Some(words) if words.rows() == config.vocab_size => WordTable::Q4(words),
            Some(words) => candle_core::bail!(
                "the word embedding has {} rows for a vocabulary of {}",
                words.rows(),
                config.vocab_size
            ),
            None => WordTable::F32(table("word_embeddings.weight", config.vocab_size)?),
        };
        Ok(Self {
            word_embeddings,
            position_embeddings: table(
                "position_embeddings.weight",
                config.max_position_embeddings,
            )?,
            token_type: table("token_type_embeddings.weight", config.type_vocab_size)?[..h]
                .to_vec(),
            embedding_norm: Norm::load(&emb, h, eps)?,
            layers,
            hidden: h,
            heads,
            head_dim,
            max_positions: config.max_position_embeddings,
            act: config.hidden_act,
        })
    }

    /// The precision the dense layers run in: int8 or f16 only where it was asked for and
    /// the CPU has the instructions.
    pub fn precision(&self) -> Precision {
        match self.layers.first() {
            Some(l) if l.qkv.is_int8() => Precision::Int8,
            Some(l) if l.qkv.is_half() => Precision::F16,
            _ => Precision::F32,
        }
    }

    /// Hidden states `[Σ len, hidden]` of the token-id sequences, packed in order.
    /// All texts use token type 0.
    pub fn forward(&self, sequences: &[&[u32]]) -> candle_core::Result<Vec<f32>> {
        let h = self.hidden;
        let vocab = self.word_embeddings.rows(h);
        let mut spans = Vec::with_capacity(sequences.len());
        let mut tokens = 0;
        for seq in sequences {
            if seq.len() > self.max_positions {
                candle_core::bail!(
                    "sequence of {} tokens exceeds the {} positions of the model",
                    seq.len(),
                    self.max_positions
                );
            }
            if let Some(&id) = seq.iter().find(|&&id| id as usize >= vocab) {
                candle_core::bail!("token id {id} is outside the vocabulary of {vocab}");
            }
            spans.push((tokens, seq.len()));
            tokens += seq.len();
        }

        let mut xs = vec![0f32; tokens * h];
        let mut rows = xs.chunks_exact_mut(h);
        for seq in sequences {
            for (position, &id) in seq.iter().enumerate() {
                let row = rows.next().expect("sized by the token count");
                self.word_embeddings.row_into(id as usize, row);
                let pos = &self.position_embeddings[position * h..][..h];
                for ((x, p), t) in row.iter_mut().zip(pos).zip(&self.token_type) {
                    *x = *x + p + t;
                }
            }
        }
        self.embedding_norm.forward(&mut xs);

        let inner_size = self.layers.first().map_or(0, |l| l.intermediate.outputs);
        let mut scratch = Scratch {
            qkv: vec![0f32; tokens * 3 * h],
            context: vec![0f32; tokens * h],
            attended: vec![0f32; tokens * h],
            inner: vec![0f32; tokens * inner_size],
        };
        crate::model::team::with_team(|| {
            for layer in &self.layers {
                self.layer(layer, &mut xs, &spans, &mut scratch);
            }
        });
        Ok(xs)
    }

    fn layer(&self, layer: &Layer, xs: &mut [f32], spans: &[(usize, usize)], s: &mut Scratch) {
        layer.qkv.forward(xs, &mut s.qkv, false);
        self.attention(&s.qkv, &mut s.context, spans);
        s.attended.copy_from_slice(xs);
        layer
            .attention_out
            .forward(&s.context, &mut s.attended, true);
        layer.attention_norm.forward(&mut s.attended);
        layer.intermediate.forward(&s.attended, &mut s.inner, false);
        let act = self.act;
        // SAFETY: no contract beyond the types.
        for_rows(&mut s.inner, layer.intermediate.outputs, |row| unsafe {
            activate(act, row)
        });
        xs.copy_from_slice(&s.attended);
        layer.output.forward(&s.inner, xs, true);
        layer.output_norm.forward(xs);
    }

    /// Scaled dot-product attention of every text and head, into `context` `[tokens, h]`.
    fn attention(&self, qkv: &[f32], context: &mut [f32], spans: &[(usize, usize)]) {
        let (h, d) = (self.hidden, self.head_dim);
        let out = SendPtr(context.as_mut_ptr());
        let (avx512, avx2) = (avx512(), avx2());
        let work = |(&span, head): (&(usize, usize), usize)| {
            // SAFETY: task (text, head) writes only the `d` columns of its head in the rows
            // of its text; no two tasks share a row and a column; `attend_d32` and
            // `attend32_avx2` run only where the CPU has AVX-512 or AVX2 with FMA and heads
            // have 32 dimensions.
            unsafe {
                match d {
                    32 if avx512 => attend_d32(qkv, out, h, span, head),
                    32 if avx2 => attend32_avx2(qkv, out, h, span, head),
                    _ => attend(qkv, out, h, d, span, head),
                }
            }
        };
        let tasks = spans
            .iter()
            .flat_map(|span| (0..self.heads).map(move |head| (span, head)));
        let tokens = qkv.len() / (3 * h);
        let min = if crate::model::team::active() {
            PARALLEL_MIN / 4
        } else {
            PARALLEL_MIN * 8
        };
        if tokens * tokens.min(64) * h < min {
            tasks.for_each(work);
        } else {
            let tasks: Vec<_> = tasks.collect();
            crate::model::team::for_each(tasks.len(), &|k| work(tasks[k]));
        }
    }
}

multiversion! {
    /// Scaled dot-product attention of one text (`len` tokens from `start`) and head.
    ///
    /// # Safety
    /// `out` is the `[tokens, h]` context, of which nothing else touches the head's `d`
    /// columns in the text's rows while this runs.
    unsafe fn attend = attend_generic(
        qkv: &[f32],
        out: SendPtr,
        h: usize,
        d: usize,
        span: (usize, usize),
        head: usize
    )
}

#[inline(always)]
unsafe fn attend_generic(
    qkv: &[f32],
    out: SendPtr,
    h: usize,
    d: usize,
    (start, len): (usize, usize),
    head: usize,
) {
    let mut probs = vec![0f32; len * len];
    let q = &qkv[start * 3 * h + head * d..];
    let k = &qkv[start * 3 * h + h + head * d..];
    let v = &qkv[start * 3 * h + 2 * h + head * d..];
    for (i, row) in probs.chunks_exact_mut(len).enumerate() {
        let qi = &q[i * 3 * h..][..d];
        for (j, p) in row.iter_mut().enumerate() {
            *p = dot(qi, &k[j * 3 * h..][..d]);
        }
        softmax(row);
    }
    for (i, row) in probs.chunks_exact(len).enumerate() {
        // SAFETY: the rows of the text, the head's columns (the caller's contract).
        let ci =
            unsafe { std::slice::from_raw_parts_mut(out.get().add((start + i) * h + head * d), d) };
        ci.fill(0.0);
        for (j, &p) in row.iter().enumerate() {
            for (c, vj) in ci.iter_mut().zip(&v[j * 3 * h..][..d]) {
                *c += p * vj;
            }
        }
    }
}

/// The scores of one query row: on the stack for texts of up to 64 tokens.
#[derive(Default)]
struct Scores {
    stack: Option<[f32; 64]>,
    heap: Vec<f32>,
}

impl Scores {
    fn of(&mut self, len: usize) -> &mut [f32] {
        if len <= 64 {
            &mut self.stack.insert([0f32; 64])[..len]
        } else {
            self.heap.resize(len, 0f32);
            &mut self.heap[..]
        }
    }
}

/// Where a 32-dimension head's query of the first token of `(start, len)` sits in `qkv`;
/// panics unless all of the text's rows, keys and values of the head lie inside it.
fn head32(qkv: &[f32], h: usize, (start, len): (usize, usize), head: usize) -> *const f32 {
    assert!(qkv.len() >= (start + len) * 3 * h && head * 32 + 32 <= h);
    qkv[start * 3 * h + head * 32..].as_ptr()
}

/// [`attend`] for heads of 32 dimensions (MiniLM, e5-small) on AVX2 with FMA: a query, a
/// key or a value is four vectors, so a score is four multiply-adds and one horizontal sum,
/// and the context row stays in four registers.
///
/// # Safety
/// The CPU has AVX2 and FMA; as [`attend`] with `d = 32`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn attend32_avx2(
    qkv: &[f32],
    out: SendPtr,
    h: usize,
    (start, len): (usize, usize),
    head: usize,
) {
    use std::arch::x86_64::*;
    let stride = 3 * h;
    let base = head32(qkv, h, (start, len), head);
    let mut scores = Scores::default();
    let probs = scores.of(len);
    // SAFETY: `base` is the query of the text's first token for this head, with the key and
    // value `h` and `2h` further and a row every `stride` (checked by `head32`); the context
    // writes are the caller's contract.
    unsafe {
        let load4 = |p: *const f32| [0, 8, 16, 24].map(|o| _mm256_loadu_ps(p.add(o)));
        for i in 0..len {
            let q = load4(base.add(i * stride));
            for (j, p) in probs.iter_mut().enumerate() {
                let k = load4(base.add(j * stride + h));
                let s = _mm256_fmadd_ps(
                    q[3],
                    k[3],
                    _mm256_fmadd_ps(
                        q[2],
                        k[2],
                        _mm256_fmadd_ps(q[1], k[1], _mm256_mul_ps(q[0], k[0])),
                    ),
                );
                let s = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
                let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                *p = _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
            }
            softmax(probs);
            let mut c = [_mm256_setzero_ps(); 4];
            for (j, &p) in probs.iter().enumerate() {
                let v = load4(base.add(j * stride + 2 * h));
                let p = _mm256_set1_ps(p);
                for (c, v) in c.iter_mut().zip(v) {
                    *c = _mm256_fmadd_ps(p, v, *c);
                }
            }
            let o = out.get().add((start + i) * h + head * 32);
            for (k, c) in c.into_iter().enumerate() {
                _mm256_storeu_ps(o.add(8 * k), c);
            }
        }
    }
}

/// Turns scores into probabilities in place: the exponentials in one loop and their sum in
/// another, so that both vectorise.
#[inline(always)]
fn softmax(scores: &mut [f32]) {
    let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
    for s in scores.iter_mut() {
        *s = exp(*s - max);
    }
    let inv = 1.0 / lanes_sum(scores, |x| x);
    for s in scores.iter_mut() {
        *s *= inv;
    }
}

/// [`attend`] for heads of 32 dimensions (MiniLM, e5-small) on AVX-512: a query, a key or
/// a value is two vectors, so a score is two multiply-adds and one horizontal sum, and the
/// context row stays in two registers.
///
/// # Safety
/// The CPU has AVX-512 F; as [`attend`] with `d = 32`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn attend_d32(
    qkv: &[f32],
    out: SendPtr,
    h: usize,
    (start, len): (usize, usize),
    head: usize,
) {
    use std::arch::x86_64::*;
    let stride = 3 * h;
    let base = head32(qkv, h, (start, len), head);
    let mut scores = Scores::default();
    let probs = scores.of(len);
    // SAFETY: `base` is the query of the text's first token for this head, with the key and
    // value `h` and `2h` further and a row every `stride` (checked by `head32`); the context
    // writes are the caller's contract.
    unsafe {
        for i in 0..len {
            let q = base.add(i * stride);
            let (q0, q1) = (_mm512_loadu_ps(q), _mm512_loadu_ps(q.add(16)));
            for (j, p) in probs.iter_mut().enumerate() {
                let k = base.add(j * stride + h);
                let s = _mm512_fmadd_ps(
                    q1,
                    _mm512_loadu_ps(k.add(16)),
                    _mm512_mul_ps(q0, _mm512_loadu_ps(k)),
                );
                *p = _mm512_reduce_add_ps(s);
            }
            softmax(probs);
            let (mut c0, mut c1) = (_mm512_setzero_ps(), _mm512_setzero_ps());
            for (j, &p) in probs.iter().enumerate() {
                let v = base.add(j * stride + 2 * h);
                let p = _mm512_set1_ps(p);
                c0 = _mm512_fmadd_ps(p, _mm512_loadu_ps(v), c0);
                c1 = _mm512_fmadd_ps(p, _mm512_loadu_ps(v.add(16)), c1);
            }
            let o = out.get().add((start + i) * h + head * 32);
            _mm512_storeu_ps(o, c0);
            _mm512_storeu_ps(o.add(16), c1);
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn attend_d32(_: &[f32], _: SendPtr, _: usize, _: (usize, usize), _: usize) {
    unreachable!("`avx512()` is false off x86-64")
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn attend32_avx2(_: &[f32], _: SendPtr, _: usize, _: (usize, usize), _: usize) {
    unreachable!("`avx2()` is false off x86-64")
}

multiversion! {
    /// Applies the activation to every value of `row`.
    ///
    /// # Safety
    /// None beyond the types'; `unsafe` only for the macro's shape.
    unsafe fn activate = activate_generic(act: HiddenAct, row: &mut [f32])
}

/// `Σ f(x)` over `xs` in sixteen partial sums, so that the loop vectorises.
#[inline(always)]
fn lanes_sum(xs: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0f32; 16];
    let chunks = xs.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().map(|&x| f(x)).sum();
    for c in chunks {
        for i in 0..16 {
            acc[i] += f(c[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight partial sums so that the loop vectorises.
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
unsafe fn activate_generic(act: HiddenAct, row: &mut [f32]) {
    match act {
        HiddenAct::Gelu => {
            for x in row.iter_mut() {
                *x = 0.5 * *x * (1.0 + erf(*x * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
        HiddenAct::GeluApproximate => {
            for x in row.iter_mut() {
                let inner = 0.797_884_6 * (*x + 0.044_715 * *x * *x * *x);
                *x = 0.5 * *x * (1.0 + inner.tanh());
            }
        }
        HiddenAct::Relu => {
            for x in row.iter_mut() {
                *x = x.max(0.0);
            }
        }
    }
}

/// `eˣ` to about 2 ulp, in plain arithmetic that the compiler vectorises (a call to libm's
/// `expf` per element cannot be): `2ⁿ · e^r` with `n = round(x / ln 2)`, `r` reduced in two
/// steps (Cody & Waite), `e^r` by Cephes' degree-6 polynomial, `2ⁿ` built in the exponent
/// bits. Arguments are clamped to [−87.3, 88]: no subnormals, no infinity.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 in two parts: the first exact in few bits, so `n · LN2_HI` is exact.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5 · 2²³ rounds to the nearest integer without SSE4.1.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let er = p * r * r + r + 1.0;
    // `n + 127` (1 to 254) sits in the low mantissa bits of `n + 127 + ROUND`; shifted into
    // the exponent field it is 2ⁿ, without a float-to-int conversion (which would not
    // vectorise for its saturation).
    let pow2n = f32::from_bits((n + (127.0 + ROUND)).to_bits() << 23);
    er * pow2n
}

/// The error function, |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;

    /// The AVX-512 builds (dispatched at run time) compute what the baseline builds do:
    /// GELU and LayerNorm through their multiversioned entry points.
    /// The 32-dimension attention kernels compute what the generic loops do, on a short text,
    /// on one longer than their stack buffer, and on a one-token text.
    #[test]
    fn attention_kernels_match_the_generic_loops() {
        let mut rng = StdRng::seed_from_u64(9);
        let (h, d) = (96, 32);
        let spans = [(0, 13), (13, 70), (83, 1)];
        let tokens = 84;
        let qkv: Vec<f32> = (0..tokens * 3 * h)
            .map(|_| rng.random_range(-2.0..2.0))
            .collect();
        let mut generic = vec![0f32; tokens * h];
        for &span in &spans {
            for head in 0..h / d {
                // SAFETY: each (text, head) writes its own rows and columns.
                unsafe { attend_generic(&qkv, SendPtr(generic.as_mut_ptr()), h, d, span, head) };
            }
        }
        let mut ran = 0;
        type Kernel = unsafe fn(&[f32], SendPtr, usize, (usize, usize), usize);
        for (name, kernel, supported) in [
            ("AVX-512", attend_d32 as Kernel, avx512()),
            ("AVX2", attend32_avx2 as Kernel, avx2()),
        ] {
            if !supported {
                continue;
            }
            let mut fast = vec![f32::NAN; tokens * h];
            for &span in &spans {
                for head in 0..h / d {
                    // SAFETY: as above; the CPU has the kernel's instructions.
                    unsafe { kernel(&qkv, SendPtr(fast.as_mut_ptr()), h, span, head) };
                }
            }
            for (i, (x, y)) in fast.iter().zip(&generic).enumerate() {
                assert!(
                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                    "{name} [{i}]: {x} vs {y}"
                );
            }
            ran += 1;
        }
        if ran == 0 {
            eprintln!("skipped: neither AVX-512 nor AVX2 with FMA");
        }
    }

    #[test]
    fn avx512_element_wise_paths_match_the_generic_ones() {
        if !avx512() {
            eprintln!("skipped: no AVX-512, only the generic paths run here");
            return;
        }
        let mut rng = StdRng::seed_from_u64(5);
        let close = |a: &[f32], b: &[f32], tol: f32| {
            a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
        };
        let x: Vec<f32> = (0..1000).map(|_| rng.random_range(-6.0..6.0)).collect();
        let (mut fast, mut generic) = (x.clone(), x.clone());
        // SAFETY: no contract beyond the types.
        unsafe {
            activate(HiddenAct::Gelu, &mut fast);
            activate_generic(HiddenAct::Gelu, &mut generic);
        }
        assert!(close(&fast, &generic, 1e-6), "GELU differs");

        let (weight, bias): (Vec<f32>, Vec<f32>) = (0..1000)
            .map(|i| (1.0 + i as f32 * 1e-3, i as f32 * -1e-3))
            .unzip();
        let (mut fast, mut generic) = (x.clone(), x);
        // SAFETY: weight and bias are as long as the row.
        unsafe {
            normalise(&mut fast, &weight, &bias, 1e-12);
            normalise_generic(&mut generic, &weight, &bias, 1e-12);
        }
        assert!(close(&fast, &generic, 1e-5), "LayerNorm differs");
    }

    #[test]
    fn erf_matches_known_values() {
        // erf values to 7 digits (Abramowitz & Stegun, table 7.1).
        for (x, expected) in [
            (0.0, 0.0),
            (0.1, 0.112_462_9),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (2.0, 0.995_322_3),
            (-1.0, -0.842_700_8),
            (4.0, 1.0),
        ] {
            assert!((erf(x) - expected).abs() < 3e-7, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn exp_is_within_a_few_ulp_of_libm() {
        let mut x = -87.0f32;
        while x < 88.0 {
            let (got, want) = (exp(x), x.exp());
            assert!(
                ((got - want) / want).abs() < 4.0 * f32::EPSILON,
                "exp({x}) = {got}, libm {want}"
            );
            x += 0.013;
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-1000.0), exp(-87.3));
        assert!(exp(-1000.0) < 1e-37);
    }

    #[test]
    fn dot_handles_remainders() {
        let a: Vec<f32> = (0..11).map(|i| i as f32).collect();
        let b = vec![2.0; 11];
        assert_eq!(dot(&a, &b), 110.0);
    }
}
