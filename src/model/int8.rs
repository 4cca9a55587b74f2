//! int8 dense layers for the CPU fast path, on AVX-512 VNNI (`vpdpbusd`).
//!
//! Inputs are split into groups of [`GROUP`]: scales are per group, so that one outlier
//! channel coarsens only its own group, and the `i32` sums of a group are scaled to `f32`
//! once per group. Weights are quantised once at load, symmetrically per output channel and
//! group (`s8`, scale `max |w| / 127`), and repacked into the layout the kernel reads:
//! blocks of [`NR`] output columns, and inside a block, for every four inputs, two vectors
//! of sixteen columns × four `s8`. Activations are quantised at every call per row (token)
//! and group,
//! asymmetrically to `u8` — `vpdpbusd` multiplies unsigned by signed bytes — with
//! `scale = (max − min) / 255` over the group, zero included, and a zero point `z`; the
//! asymmetric range matters after GELU, whose outputs reach far above zero and barely below.
//! The zero point is taken back out with per-group column sums `Σₖ w_q[j, k]` kept from load:
//! `x·w ≈ Σ_groups w_scale · x_scale · (Σₖ a[k] w_q[k] − z Σₖ w_q[k])`. Products accumulate
//! exactly in `i32` over a group and are scaled to `f32` onto what the output holds.
//!
//! [`available`] tells whether the CPU runs the kernel; [`QDense::new`] returns `None`
//! where it does not, so that callers keep the `f32` path.

use std::cell::Cell;

use rayon::prelude::*;

use crate::model::{SendPtr, dense_rows, row_tile};

/// Output columns per block: two 512-bit vectors of `i32` accumulators.
const NR: usize = 32;
/// Most rows of a micro-tile: `MR × 2` accumulators, two weight vectors and one broadcast
/// fit the 32 vector registers, and a dozen tokens share one pass over the weights.
const MR: usize = 12;
/// Inputs per quantisation group (a multiple of 4).
const GROUP: usize = 64;
/// Products (`rows · inputs · outputs`) below which a layer runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 21;
/// [`PARALLEL_MIN`] inside a spinning team ([`crate::model::team`]).
const PARALLEL_MIN_TEAM: usize = 1 << 17;

#[cfg(test)]
thread_local! {
    /// Makes [`available`] answer `false` on this thread, to test the fallback on any CPU.
    pub(crate) static PRETEND_NO_VNNI: Cell<bool> = const { Cell::new(false) };
}

/// Whether this CPU (and build) can run the int8 kernel: AVX-512 F/BW and VNNI.
pub(crate) fn available() -> bool {
    #[cfg(test)]
    if PRETEND_NO_VNNI.with(Cell::get) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `y += x·Wᵀ` with `W` quantised to `s8` per output channel and group of inputs.
#[derive(Debug, Clone)]
pub(crate) struct QDense {
    /// `[blocks][inputs / 4][2][16][4]` `s8`, zero-padded to whole blocks and quads.
    packed: Vec<i8>,
    /// `[blocks][groups][NR]`: the weight scales (columns padded to whole blocks).
    scales: Vec<f32>,
    /// `[blocks][groups][NR]`: `Σₖ w_q[j, k]` over each group's inputs, for the zero points
    /// of the activations.
    column_sums: Vec<i32>,
    /// Quantisation groups per row.
    groups: usize,
    inputs: usize,
    outputs: usize,
    /// Groups of four inputs (inputs rounded up to a multiple of four, over four).
    quads: usize,
    blocks: usize,
}

// Reused per thread: the quantised activations of one call (taken, not borrowed, so that a
// rayon thread that steals another forward while waiting cannot find it in use).
thread_local! {
    static ACTIVATIONS: Cell<(Vec<u8>, Vec<RowQuant>)> = const { Cell::new((Vec::new(), Vec::new())) };
}

impl QDense {
    /// Quantises `weight` (`[outputs, inputs]` row-major). `None` where the CPU lacks VNNI.
    pub fn new(weight: &[f32], outputs: usize, inputs: usize) -> Option<Self> {
        assert_eq!(
            weight.len(),
            outputs * inputs,
            "weight is not [outputs, inputs]"
        );
        if !available() {
            return None;
        }
        let quads = inputs.div_ceil(4);
        let blocks = outputs.div_ceil(NR);
        let mut packed = vec![0i8; blocks * quads * NR * 4];
        let groups = inputs.div_ceil(GROUP);
        let mut scales = vec![0f32; blocks * groups * NR];
        let mut column_sums = vec![0i32; blocks * groups * NR];
        for (j, row) in weight.chunks_exact(inputs).enumerate() {
            let (block, column) = (j / NR, j % NR);
            let (vector, lane) = (column / 16, column % 16);
            for (g, part) in row.chunks(GROUP).enumerate() {
                let max = part.iter().fold(0f32, |m, w| m.max(w.abs()));
                // The same rounding as the activations': `w · (127 / max)`, to nearest even.
                let (scale, inv) = if max > 0.0 {
                    (max / 127.0, 127.0 / max)
                } else {
                    (1.0, 0.0)
                };
                let at = (block * groups + g) * NR + column;
                scales[at] = scale;
                for (i, &w) in part.iter().enumerate() {
                    let q = (w * inv).round_ties_even().clamp(-127.0, 127.0) as i8;
                    column_sums[at] += i32::from(q);
                    let k = g * GROUP + i;
                    let (quad, byte) = (k / 4, k % 4);
                    packed[((block * quads + quad) * 2 + vector) * 64 + lane * 4 + byte] = q;
                }
            }
        }
        Some(Self {
            packed,
            scales,
            column_sums,
            groups,
            inputs,
            outputs,
            quads,
            blocks,
        })
    }

    /// `out += x·Wᵀ` for `x` `[rows, inputs]` and `out` `[rows, outputs]`.
    pub fn forward(&self, x: &[f32], out: &mut [f32]) {
        let rows = dense_rows(x, out, self.inputs, self.outputs);
        if rows == 0 {
            return;
        }
        let (mut a, mut row_scales) = ACTIVATIONS.with(Cell::take);
        let stride = self.quads * 4;
        a.resize(rows * stride, 0);
        row_scales.resize(rows * self.groups, RowQuant::default());
        self.quantise(x, &mut a, &mut row_scales);
        let out_ptr = SendPtr(out.as_mut_ptr());
        let (a_ref, s_ref) = (&a[..], &row_scales[..]);
        let block = |b: usize| {
            // SAFETY: `available()` held at construction; every block writes only its own
            // columns of `out`, which is [rows, outputs] (asserted above).
            unsafe { self.block(b, a_ref, s_ref, rows, out_ptr) }
        };
        let min = if crate::model::team::active() {
            PARALLEL_MIN_TEAM
        } else {
            PARALLEL_MIN
        };
        if rows * self.inputs * self.outputs < min {
            (0..self.blocks).for_each(block);
        } else {
            crate::model::team::for_each(self.blocks, &block);
        }
        ACTIVATIONS.with(|c| c.set((a, row_scales)));
    }

    /// Quantises the rows of `x` to `u8` into `a`, scales and zero points into `row_scales`.
    fn quantise(&self, x: &[f32], a: &mut [u8], row_scales: &mut [RowQuant]) {
        let stride = self.quads * 4;
        let work = |(row, (a, quant)): (&[f32], (&mut [u8], &mut [RowQuant]))| {
            for ((x, a), quant) in row.chunks(GROUP).zip(a.chunks_mut(GROUP)).zip(quant) {
                // SAFETY: `available()` held at construction (AVX-512 F/BW).
                unsafe { quantise_group(x, a, quant) }
            }
            // Padding of the last quad: its weights are zero, any value does.
            a[row.len()..].fill(0);
        };
        let rows = x.chunks_exact(self.inputs).zip(
            a.chunks_exact_mut(stride)
                .zip(row_scales.chunks_exact_mut(self.groups)),
        );
        if x.len() < 1 << 16 {
            rows.for_each(work);
        } else {
            x.par_chunks(self.inputs)
                .zip(
                    a.par_chunks_mut(stride)
                        .zip(row_scales.par_chunks_mut(self.groups)),
                )
                .for_each(work);
        }
    }

    /// All rows of output block `b`.
    ///
    /// # Safety
    /// The CPU has AVX-512 F/BW and VNNI; `out` points to `[rows, outputs]` `f32` of which
    /// no other thread touches the columns of block `b`.
    unsafe fn block(&self, b: usize, a: &[u8], row_scales: &[RowQuant], rows: usize, out: SendPtr) {
        let stride = self.quads * 4;
        let columns = (self.outputs - b * NR).min(NR);
        let weights = &self.packed[b * self.quads * NR * 4..][..self.quads * NR * 4];
        let epilogue = Epilogue {
            scales: &self.scales[b * self.groups * NR..][..self.groups * NR],
            column_sums: &self.column_sums[b * self.groups * NR..][..self.groups * NR],
            groups: self.groups,
            columns,
        };
        for t in 0..rows.div_ceil(MR) {
            let (row, r) = row_tile(rows, MR, t);
            let a = &a[row * stride..(row + r) * stride];
            let s = &row_scales[row * self.groups..(row + r) * self.groups];
            // SAFETY: rows `row..row + r` and the block's columns lie inside `out`.
            let o = unsafe { out.get().add(row * self.outputs + b * NR) };
            let ldo = self.outputs;
            macro_rules! tile {
                ($($n:literal)*) => {
                    match r {
                        // SAFETY: forwarded from the caller; slices sized above.
                        $($n => unsafe {
                            kernel::tile::<$n>(a, stride, weights, self.quads, s, &epilogue, o, ldo)
                        },)*
                        _ => unreachable!("tiles have 1 to MR rows"),
                    }
                };
            }
            tile!(1 2 3 4 5 6 7 8 9 10 11 12);
        }
    }
}

/// What the kernel needs to turn a block's `i32` sums into `f32`.
struct Epilogue<'a> {
    scales: &'a [f32],
    /// `[groups][NR]`.
    column_sums: &'a [i32],
    groups: usize,
    /// Real columns of the block (the rest is padding and is not written).
    columns: usize,
}

/// How one row of activations was quantised: `x ≈ scale · (a − zero)`.
#[derive(Debug, Clone, Copy, Default)]
struct RowQuant {
    scale: f32,
    zero: i32,
}

/// Quantises one group: `a[k] = clamp(round(x[k] / scale) + zero, 0, 255)` with
/// `scale = (max − min) / 255`, the range including zero, and `zero = round(−min / scale)`.
///
/// # Safety
/// The CPU has AVX-512 F/BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn quantise_group(x: &[f32], a: &mut [u8], quant: &mut RowQuant) {
    use std::arch::x86_64::*;
    let (mut lo, mut hi) = (_mm512_setzero_ps(), _mm512_setzero_ps());
    let mut chunks = x.chunks_exact(16);
    for c in &mut chunks {
        // SAFETY: 16 floats.
        let v = unsafe { _mm512_loadu_ps(c.as_ptr()) };
        lo = _mm512_min_ps(lo, v);
        hi = _mm512_max_ps(hi, v);
    }
    let (lo, hi) = chunks.remainder().iter().fold(
        (_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi)),
        |(lo, hi), &v| (lo.min(v), hi.max(v)),
    );
    let scale = (hi - lo) / 255.0;
    if scale == 0.0 || !scale.is_finite() {
        *quant = RowQuant::default();
        a.fill(0);
        return;
    }
    let zero = (-lo / scale).round_ties_even().clamp(0.0, 255.0) as i32;
    *quant = RowQuant { scale, zero };
    let inv = 1.0 / scale;
    let (vinv, vzero) = (_mm512_set1_ps(inv), _mm512_set1_epi32(zero));
    let mut rest = x.chunks_exact(16);
    let mut k = 0;
    for c in &mut rest {
        // SAFETY: 16 floats in, 16 bytes out (`a` holds at least `x.len()` bytes).
        unsafe {
            let q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(c.as_ptr()), vinv));
            let q = _mm512_max_epi32(_mm512_add_epi32(q, vzero), _mm512_setzero_si512());
            let bytes = _mm512_cvtusepi32_epi8(q);
            _mm_storeu_si128(a.as_mut_ptr().add(k) as *mut __m128i, bytes);
        }
        k += 16;
    }
    for (y, v) in a[k..].iter_mut().zip(rest.remainder()) {
        *y = ((v * inv).round_ties_even() as i32 + zero).clamp(0, 255) as u8;
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn quantise_group(_: &[f32], _: &mut [u8], _: &mut RowQuant) {
    unreachable!("QDense is built only where `available()`")
}

#[cfg(target_arch = "x86_64")]
mod kernel {
    use std::arch::x86_64::*;

    use super::{Epilogue, GROUP, NR, RowQuant};

    /// `out[r, c] += Σ_g w_scale[g, c] · x_scale[r, g] · (Σ a[r]·w[c] − zero[r, g] · Σ w[c])`,
    /// sums over the inputs of group `g`, for the `R` rows of `a` (stride `stride` bytes) and
    /// the block's columns; `row_scales` holds `R × groups` values.
    ///
    /// # Safety
    /// The CPU has AVX-512 F/BW and VNNI; `weights` is one packed block of `quads` quads;
    /// `a` holds `R` rows of `4 · quads` bytes; `out` points to `R` rows (stride `ldo`) of at
    /// least `epilogue.columns` writable floats.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn tile<const R: usize>(
        a: &[u8],
        stride: usize,
        weights: &[i8],
        quads: usize,
        row_scales: &[RowQuant],
        epilogue: &Epilogue,
        out: *mut f32,
        ldo: usize,
    ) {
        debug_assert!(a.len() >= R * stride && weights.len() >= quads * NR * 4);
        let (a, w) = (a.as_ptr(), weights.as_ptr());
        for g in 0..epilogue.groups {
            let mut acc = [[_mm512_setzero_si512(); 2]; R];
            for q in g * GROUP / 4..((g + 1) * GROUP / 4).min(quads) {
                // SAFETY: inside `weights` and `a` (sizes in the contract).
                unsafe {
                    let wq = w.add(q * NR * 4);
                    let w0 = _mm512_loadu_si512(wq as *const __m512i);
                    let w1 = _mm512_loadu_si512(wq.add(64) as *const __m512i);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let x = (a.add(r * stride + q * 4) as *const i32).read_unaligned();
                        let x = _mm512_set1_epi32(x);
                        acc[0] = _mm512_dpbusd_epi32(acc[0], x, w0);
                        acc[1] = _mm512_dpbusd_epi32(acc[1], x, w1);
                    }
                }
            }
            for v in 0..2 {
                let c0 = v * 16;
                if c0 >= epilogue.columns {
                    break;
                }
                let left = epilogue.columns - c0;
                let mask: __mmask16 = if left >= 16 { !0 } else { (1 << left) - 1 };
                // SAFETY: `scales` and `column_sums` hold groups × NR values; `out` is
                // written only in the block's real columns (mask).
                unsafe {
                    let scale = _mm512_loadu_ps(epilogue.scales.as_ptr().add(g * NR + c0));
                    let sums = _mm512_loadu_si512(
                        epilogue.column_sums.as_ptr().add(g * NR + c0) as *const __m512i
                    );
                    for (r, acc) in acc.iter().enumerate() {
                        let RowQuant { scale: xs, zero } = row_scales[r * epilogue.groups + g];
                        let s = _mm512_mul_ps(scale, _mm512_set1_ps(xs));
                        let corr = _mm512_mullo_epi32(sums, _mm512_set1_epi32(zero));
                        let y = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[v], corr));
                        let o = out.add(r * ldo + c0);
                        let prev = _mm512_maskz_loadu_ps(mask, o);
                        _mm512_mask_storeu_ps(o, mask, _mm512_fmadd_ps(y, s, prev));
                    }
                }
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod kernel {
    use super::Epilogue;

    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn tile<const R: usize>(
        _: &[u8],
        _: usize,
        _: &[i8],
        _: usize,
        _: &[super::RowQuant],
        _: &Epilogue,
        _: *mut f32,
        _: usize,
    ) {
        unreachable!("QDense is built only where `available()`")
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;

    fn random(rng: &mut StdRng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    /// Per-row symmetric quantisation of weights as the kernel does it: (values, scale).
    fn quantise(row: &[f32]) -> (Vec<i32>, f32) {
        let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        if max == 0.0 {
            return (vec![0; row.len()], 0.0);
        }
        let inv = 127.0 / max;
        let q = row
            .iter()
            .map(|v| ((v * inv).round_ties_even() as i32).clamp(-127, 127))
            .collect();
        (q, max / 127.0)
    }

    /// Per-row asymmetric quantisation of activations: (values − zero point, scale).
    fn quantise_asymmetric(row: &[f32]) -> (Vec<i32>, f32) {
        let lo = row.iter().fold(0f32, |m, &v| m.min(v));
        let hi = row.iter().fold(0f32, |m, &v| m.max(v));
        let scale = (hi - lo) / 255.0;
        if scale == 0.0 {
            return (vec![0; row.len()], 0.0);
        }
        let zero = (-lo / scale).round_ties_even() as i32;
        let inv = 1.0 / scale;
        let q = row
            .iter()
            .map(|v| ((v * inv).round_ties_even() as i32 + zero).clamp(0, 255) - zero)
            .collect();
        (q, scale)
    }

    /// The same function in plain scalar integer arithmetic.
    fn naive(x: &[f32], w: &[f32], rows: usize, inputs: usize, outputs: usize) -> Vec<f32> {
        let wq: Vec<Vec<_>> = w
            .chunks_exact(inputs)
            .map(|row| row.chunks(GROUP).map(quantise).collect())
            .collect();
        let mut out = vec![0f32; rows * outputs];
        for (r, xr) in x.chunks_exact(inputs).enumerate() {
            let groups: Vec<_> = xr.chunks(GROUP).map(quantise_asymmetric).collect();
            for (c, wqc) in wq.iter().enumerate() {
                out[r * outputs + c] = groups
                    .iter()
                    .zip(wqc)
                    .map(|((xq, xs), (wg, ws))| {
                        let ws = if *ws == 0.0 { 1.0 } else { *ws };
                        let dot: i64 = xq.iter().zip(wg).map(|(a, b)| (a * b) as i64).sum();
                        dot as f32 * xs * ws
                    })
                    .sum();
            }
        }
        out
    }

    /// The kernel computes exactly the integer products of the quantised operands (up to
    /// the f32 rounding of the epilogue), on sizes with remainders in every dimension:
    /// rows not a multiple of the tile, inputs not a multiple of 4 or 16, outputs not a
    /// multiple of 16 or of the block, and sizes large enough to run in parallel.
    #[test]
    fn int8_kernel_matches_naive_reference() {
        if !available() {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI (the f32 path runs instead)");
            assert!(QDense::new(&[0.0; 4], 2, 2).is_none());
            return;
        }
        let mut rng = StdRng::seed_from_u64(7);
        for &(rows, inputs, outputs) in &[
            (1, 1, 1),
            (1, 3, 17),
            (5, 7, 63),
            (6, 16, 64),
            (7, 33, 65),
            (13, 384, 1152),
            (13, 1536, 384),
            (29, 101, 130),
            (9, 300, 70),
            (416, 384, 1536),
        ] {
            let x = random(&mut rng, rows * inputs);
            let w = random(&mut rng, outputs * inputs);
            let dense = QDense::new(&w, outputs, inputs).expect("available");
            let start = random(&mut rng, rows * outputs);
            let mut out = start.clone();
            dense.forward(&x, &mut out);
            let expected = naive(&x, &w, rows, inputs, outputs);
            for (i, ((o, s), e)) in out.iter().zip(&start).zip(&expected).enumerate() {
                let got = o - s;
                assert!(
                    (got - e).abs() <= 1e-5 * (1.0 + e.abs()) + 1e-6 * inputs as f32,
                    "{rows}×{inputs}→{outputs} at {i}: {got} vs {e}"
                );
            }
        }
    }

    /// Against the f32 product the error is that of 8-bit quantisation: well under 1 % of
    /// the output's spread on random data.
    #[test]
    fn int8_kernel_is_close_to_f32_product() {
        if !available() {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI");
            return;
        }
        let mut rng = StdRng::seed_from_u64(11);
        let (rows, inputs, outputs) = (13, 384, 384);
        let x = random(&mut rng, rows * inputs);
        let w = random(&mut rng, outputs * inputs);
        let mut out = vec![0f32; rows * outputs];
        QDense::new(&w, outputs, inputs)
            .unwrap()
            .forward(&x, &mut out);
        let mut err = 0f32;
        let mut norm = 0f32;
        for r in 0..rows {
            for c in 0..outputs {
                let e: f32 = (0..inputs)
                    .map(|k| x[r * inputs + k] * w[c * inputs + k])
                    .sum();
                err = err.max((out[r * outputs + c] - e).abs());
                norm = norm.max(e.abs());
            }
        }
        assert!(err < 0.01 * norm, "max error {err} of max |y| {norm}");
    }

    /// Zero rows (and zero weight rows) give zero, not NaN.
    #[test]
    fn int8_zero_rows_give_zero() {
        if !available() {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI");
            return;
        }
        let w = vec![0.0; 3 * 5];
        let x = vec![0.0; 2 * 5];
        let mut out = vec![1.0; 2 * 3];
        QDense::new(&w, 3, 5).unwrap().forward(&x, &mut out);
        assert_eq!(out, vec![1.0; 6]);
    }

    /// Microbenchmark of the encoder's layer shapes: f32 `gemm`, candle's Q8_0 `QMatMul`
    /// and this kernel. `cargo test --release --lib int8_microbench -- --ignored --nocapture`
    #[test]
    #[ignore = "timing, run by hand"]
    fn int8_microbench() {
        use std::time::Instant;

        use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
        use candle_core::{Device, Module, Tensor};

        let mut rng = StdRng::seed_from_u64(3);
        let time = |f: &mut dyn FnMut()| {
            f();
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                let n = 20;
                for _ in 0..n {
                    f();
                }
                best = best.min(t.elapsed().as_secs_f64() / n as f64);
            }
            best * 1e6
        };
        println!("m     k→n        f32 gemm µs  f32 packed µs  candle Q8_0 µs  int8 VNNI µs");
        for rows in [11, 13, 416] {
            for (inputs, outputs) in [(384, 1152), (384, 384), (384, 1536), (1536, 384)] {
                let x = random(&mut rng, rows * inputs);
                let w = random(&mut rng, outputs * inputs);
                let wt = Tensor::from_vec(w.clone(), (outputs, inputs), &Device::Cpu).unwrap();
                let bias = Tensor::zeros(outputs, candle_core::DType::F32, &Device::Cpu).unwrap();
                let f32_dense = crate::model::cpu::Dense::new(&wt, &bias).unwrap();
                let q = QDense::new(&w, outputs, inputs).unwrap();
                let qm = QMatMul::from_qtensor(QTensor::quantize(&wt, GgmlDType::Q8_0).unwrap())
                    .unwrap();
                let xt = Tensor::from_vec(x.clone(), (rows, inputs), &Device::Cpu).unwrap();
                let mut out = vec![0f32; rows * outputs];
                let f = time(&mut || f32_dense.forward(&x, &mut out, false));
                let packed = f32_dense.clone().pack();
                let p = time(&mut || packed.forward(&x, &mut out, false));
                let c = time(&mut || {
                    qm.forward(&xt).unwrap();
                });
                let i = time(&mut || q.forward(&x, &mut out));
                println!(
                    "{rows:<5} {inputs:>4}→{outputs:<5} {f:>11.1} {p:>14.1} {c:>15.1} {i:>13.1}"
                );
            }
        }
    }
}
