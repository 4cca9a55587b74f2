//! f32 dense layers on AVX-512 or AVX2 with the weights packed once at load, as f32 or as
//! f16 (half the bytes to stream; converted to f32 in registers, products and sums in f32).
//!
//! A general GEMM (the `gemm` crate) repacks the weight matrix at every call, which costs as
//! much as the product itself when only a few tokens go through a layer: at batch 1 the
//! dense layers multiply a dozen rows by matrices of 384 × 1536. Here the weights are laid
//! out once, at load, in the order the kernel reads them: blocks of [`NR`] output columns,
//! and inside a block, for every input, the block's thirty-two floats one after another.
//! A micro-tile of up to [`Isa::rows`] rows keeps two vector accumulators per row in
//! registers and streams through the block's weights once, with one broadcast and two fused
//! multiply-adds per row and input, accumulating onto what the output already holds (the
//! bias, or bias plus residual). On AVX-512 a tile covers the block's 32 columns with
//! 512-bit vectors and 12 rows; on AVX2 (with FMA) it covers 16 columns with 256-bit vectors
//! and 6 rows, twice per block, so the 16 registers hold 12 accumulators, two weight vectors
//! and a broadcast. Sums run over the inputs in order with FMA, so results differ from
//! `gemm`'s only by rounding. With f16 weights ([`Precision::F16`](crate::model::Precision::F16))
//! each weight is rounded to the nearest f16 once at load (relative error ≤ 2⁻¹¹); the
//! activations, products and sums stay f32.
//!
//! [`PackedDense::new`] returns `None` on a CPU with neither, so that callers keep the `gemm`
//! path there.

use crate::model::{SendPtr, dense_rows, row_tile};

/// Output columns per block: two 512-bit vectors of `f32` (four 256-bit ones).
const NR: usize = 32;
/// Products (`rows · inputs · outputs`) below which a layer runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 21;
/// [`PARALLEL_MIN`] inside a spinning team ([`crate::model::team`]).
const PARALLEL_MIN_TEAM: usize = 1 << 17;

#[cfg(test)]
thread_local! {
    /// Makes [`Isa::detect`] find no kernel on this thread, to test the fallback on any CPU.
    pub(crate) static PRETEND_NO_KERNEL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The vector instructions a packed kernel runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isa {
    /// AVX-512 F: 32 registers of 16 floats.
    Avx512,
    /// AVX2 and FMA: 16 registers of 8 floats.
    Avx2,
}

impl Isa {
    /// The best this CPU (and build) has.
    fn detect() -> Option<Self> {
        #[cfg(test)]
        if PRETEND_NO_KERNEL.with(std::cell::Cell::get) {
            return None;
        }
        [Self::Avx512, Self::Avx2]
            .into_iter()
            .find(|isa| isa.supported())
    }

    fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                // F16C (for f16 weights) comes with both on every CPU that has them; the
                // kernels are compiled with it.
                Self::Avx512 => {
                    is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("f16c")
                }
                Self::Avx2 => {
                    is_x86_feature_detected!("avx2")
                        && is_x86_feature_detected!("fma")
                        && is_x86_feature_detected!("f16c")
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = self;
            false
        }
    }

    /// Most rows of a micro-tile: with AVX-512, `12 × 2` accumulators plus two weight vectors
    /// and a broadcast fit the 32 registers, so a dozen tokens (a typical chat message) share
    /// one pass over the weights; with AVX2, `6 × 2` plus three fit 16.
    fn rows(self) -> usize {
        match self {
            Self::Avx512 => 12,
            Self::Avx2 => 6,
        }
    }
}

/// A weight as the kernels store it: `f32`, or `f16` converted to `f32` as it is loaded.
pub(crate) trait Weight: Copy + Default + Send + Sync + 'static {
    /// Whether the kernels convert it from `f16` (F16C).
    const HALF: bool;
    fn from_f32(w: f32) -> Self;
}

impl Weight for f32 {
    const HALF: bool = false;
    fn from_f32(w: f32) -> Self {
        w
    }
}

impl Weight for half::f16 {
    const HALF: bool = true;
    fn from_f32(w: f32) -> Self {
        half::f16::from_f32(w)
    }
}

/// The packed weights: `[blocks][inputs][NR]`, columns zero-padded to whole blocks.
#[derive(Debug, Clone)]
enum Packed {
    F32(Vec<f32>),
    F16(Vec<half::f16>),
}

/// `y += x·Wᵀ` with `W` packed for the kernel of [`Isa`].
#[derive(Debug, Clone)]
pub(crate) struct PackedDense {
    packed: Packed,
    inputs: usize,
    outputs: usize,
    blocks: usize,
    isa: Isa,
}

impl PackedDense {
    /// Packs `weight_t` (`Wᵀ`, `[inputs, outputs]` row-major), as `f32` or, with `half`, as
    /// `f16`. `None` where the CPU has neither AVX-512 F nor AVX2 with FMA (each with F16C).
    pub fn new(weight_t: &[f32], inputs: usize, outputs: usize, half: bool) -> Option<Self> {
        Self::for_isa(weight_t, inputs, outputs, Isa::detect()?, half)
    }

    fn for_isa(
        weight_t: &[f32],
        inputs: usize,
        outputs: usize,
        isa: Isa,
        half: bool,
    ) -> Option<Self> {
        assert_eq!(
            weight_t.len(),
            inputs * outputs,
            "weight is not [inputs, outputs]"
        );
        if !isa.supported() {
            return None;
        }
        fn pack<W: Weight>(weight_t: &[f32], inputs: usize, outputs: usize) -> Vec<W> {
            let mut packed = vec![W::default(); outputs.div_ceil(NR) * inputs * NR];
            for (k, row) in weight_t.chunks_exact(outputs).enumerate() {
                for (b, part) in row.chunks(NR).enumerate() {
                    let to = &mut packed[(b * inputs + k) * NR..][..part.len()];
                    to.iter_mut()
                        .zip(part)
                        .for_each(|(t, &w)| *t = W::from_f32(w));
                }
            }
            packed
        }
        Some(Self {
            packed: if half {
                Packed::F16(pack(weight_t, inputs, outputs))
            } else {
                Packed::F32(pack(weight_t, inputs, outputs))
            },
            inputs,
            outputs,
            blocks: outputs.div_ceil(NR),
            isa,
        })
    }

    /// Whether the weights are stored as `f16`.
    pub fn is_half(&self) -> bool {
        matches!(self.packed, Packed::F16(_))
    }

    /// `out += x·Wᵀ` for `x` `[rows, inputs]` and `out` `[rows, outputs]`.
    pub fn forward(&self, x: &[f32], out: &mut [f32]) {
        let rows = dense_rows(x, out, self.inputs, self.outputs);
        let mr = self.isa.rows();
        let tiles = rows.div_ceil(mr);
        let out_ptr = SendPtr(out.as_mut_ptr());
        let work = |(b, t0, t1): (usize, usize, usize)| {
            for t in t0..t1 {
                let (row, r) = row_tile(rows, mr, t);
                // SAFETY: the ISA was supported at construction; rows `row..row + r` and block
                // `b`'s columns lie inside `out` ([rows, outputs], asserted above), and no
                // other task writes this (block, tile).
                unsafe {
                    self.tile(
                        b,
                        &x[row * self.inputs..(row + r) * self.inputs],
                        r,
                        row,
                        out_ptr,
                    )
                }
            }
        };
        let min = if crate::model::team::active() {
            PARALLEL_MIN_TEAM
        } else {
            PARALLEL_MIN
        };
        if rows * self.inputs * self.outputs < min {
            (0..self.blocks).for_each(|b| work((b, 0, tiles)));
            return;
        }
        // Long inputs are split by rows too, so that both threads work on layers with few
        // output blocks.
        let split = (2 * rayon::current_num_threads())
            .div_ceil(self.blocks)
            .clamp(1, tiles);
        let per = tiles.div_ceil(split);
        let tasks: Vec<_> = (0..self.blocks)
            .flat_map(|b| {
                (0..tiles)
                    .step_by(per)
                    .map(move |t| (b, t, (t + per).min(tiles)))
            })
            .collect();
        crate::model::team::for_each(tasks.len(), &|k| work(tasks[k]));
    }

    /// Rows `row..row + r` (given as `x`, `r ≤ self.isa.rows()`) of output block `b`.
    ///
    /// # Safety
    /// The CPU has `self.isa`; `out` points to `[rows, outputs]` `f32` of which no other
    /// thread touches these rows in the columns of block `b`.
    unsafe fn tile(&self, b: usize, x: &[f32], r: usize, row: usize, out: SendPtr) {
        // SAFETY: forwarded from the caller.
        unsafe {
            match &self.packed {
                Packed::F32(w) => self.tile_of(w, b, x, r, row, out),
                Packed::F16(w) => self.tile_of(w, b, x, r, row, out),
            }
        }
    }

    /// [`Self::tile`] for weights of type `W`.
    ///
    /// # Safety
    /// As for [`Self::tile`]; `packed` is `self`'s packed weights.
    unsafe fn tile_of<W: Weight>(
        &self,
        packed: &[W],
        b: usize,
        x: &[f32],
        r: usize,
        row: usize,
        out: SendPtr,
    ) {
        let weights = &packed[b * self.inputs * NR..][..self.inputs * NR];
        let columns = (self.outputs - b * NR).min(NR);
        // SAFETY: the rows and the block's columns lie inside `out` (the caller's contract).
        let o = unsafe { out.get().add(row * self.outputs + b * NR) };
        let (k, ldo) = (self.inputs, self.outputs);
        macro_rules! tile {
            ($kernel:ident, $weights:expr, $o:expr, $columns:expr; $($n:literal)*) => {
                match r {
                    // SAFETY: forwarded from the caller; `x` holds `r` rows of `k` inputs.
                    $($n => unsafe { kernel::$kernel::<W, $n>(x, k, $weights, $o, ldo, $columns) },)*
                    _ => unreachable!("tiles have 1 to `Isa::rows` rows"),
                }
            };
        }
        match self.isa {
            Isa::Avx512 => tile!(tile_avx512, weights, o, columns; 1 2 3 4 5 6 7 8 9 10 11 12),
            Isa::Avx2 => {
                // The block's two halves of 16 columns; the second reads the same input rows
                // of the weights from the cache lines next to the first's.
                for half in (0..columns).step_by(16) {
                    let weights = &weights[half..];
                    // SAFETY: `half < columns`, inside the block's columns of `out`.
                    let o = unsafe { o.add(half) };
                    let columns = (columns - half).min(16);
                    tile!(tile_avx2, weights, o, columns; 1 2 3 4 5 6);
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod kernel {
    use std::arch::x86_64::*;

    use super::{NR, Weight};

    /// Loads `$lanes` weights of type `$w` from `$p` as `f32` (`__m512` for 16, `__m256` for
    /// 8), converting `f16` ones.
    macro_rules! load {
        (16, $w:ty, $p:expr) => {
            if <$w>::HALF {
                _mm512_cvtph_ps(_mm256_loadu_si256($p as *const __m256i))
            } else {
                _mm512_loadu_ps($p as *const f32)
            }
        };
        (8, $w:ty, $p:expr) => {
            if <$w>::HALF {
                _mm256_cvtph_ps(_mm_loadu_si128($p as *const __m128i))
            } else {
                _mm256_loadu_ps($p as *const f32)
            }
        };
    }

    /// `out[r, c] += Σₖ x[r, k] · w[k, c]` for the `R` rows of `x` (`k` inputs each) and the
    /// first `columns` columns of one packed block.
    ///
    /// # Safety
    /// The CPU has AVX-512 F (and F16C for `f16` weights); `x` holds `R × k` floats,
    /// `weights` `k × NR`; `out` points to `R` rows (stride `ldo`) of at least `columns`
    /// writable floats.
    #[target_feature(enable = "avx512f,f16c")]
    pub(super) unsafe fn tile_avx512<W: Weight, const R: usize>(
        x: &[f32],
        k: usize,
        weights: &[W],
        out: *mut f32,
        ldo: usize,
        columns: usize,
    ) {
        debug_assert!(x.len() >= R * k && weights.len() >= k * NR);
        let (xp, w) = (x.as_ptr(), weights.as_ptr());
        let mut acc = [[_mm512_setzero_ps(); 2]; R];
        for i in 0..k {
            // SAFETY: inside `weights` and `x` (sizes in the contract).
            unsafe {
                let wi = w.add(i * NR);
                let w0 = load!(16, W, wi);
                let w1 = load!(16, W, wi.add(16));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let xv = _mm512_set1_ps(*xp.add(r * k + i));
                    acc[0] = _mm512_fmadd_ps(xv, w0, acc[0]);
                    acc[1] = _mm512_fmadd_ps(xv, w1, acc[1]);
                }
            }
        }
        // SAFETY: forwarded from the caller.
        unsafe { store(&acc, out, ldo, columns) }
    }

    /// `out[r, c] += Σₖ x[r, k] · w[k, c]` for the `R` rows of `x` (`k` inputs each) and the
    /// first `columns ≤ 16` columns of `weights`, read with the stride [`NR`] of a packed block.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA (and F16C for `f16` weights); `x` holds `R × k` floats,
    /// `weights` at least `(k - 1) × NR + 16`; `out` points to `R` rows (stride `ldo`) of at
    /// least `columns` writable floats.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn tile_avx2<W: Weight, const R: usize>(
        x: &[f32],
        k: usize,
        weights: &[W],
        out: *mut f32,
        ldo: usize,
        columns: usize,
    ) {
        debug_assert!(x.len() >= R * k && weights.len() >= (k - 1) * NR + 16);
        let (xp, w) = (x.as_ptr(), weights.as_ptr());
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        for i in 0..k {
            // SAFETY: inside `weights` and `x` (sizes in the contract).
            unsafe {
                let wi = w.add(i * NR);
                let w0 = load!(8, W, wi);
                let w1 = load!(8, W, wi.add(8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let xv = _mm256_broadcast_ss(&*xp.add(r * k + i));
                    acc[0] = _mm256_fmadd_ps(xv, w0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(xv, w1, acc[1]);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            // SAFETY: only the first `columns` floats of the `R` rows are touched.
            unsafe {
                let o = out.add(r * ldo);
                if columns == 16 {
                    _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), acc[0]));
                    _mm256_storeu_ps(o.add(8), _mm256_add_ps(_mm256_loadu_ps(o.add(8)), acc[1]));
                } else {
                    let mut sums = [0f32; 16];
                    _mm256_storeu_ps(sums.as_mut_ptr(), acc[0]);
                    _mm256_storeu_ps(sums.as_mut_ptr().add(8), acc[1]);
                    for (c, s) in sums.iter().take(columns).enumerate() {
                        *o.add(c) += s;
                    }
                }
            }
        }
    }

    /// Adds the `R × V` accumulator vectors onto the first `columns` columns of `R` rows.
    ///
    /// # Safety
    /// `out` points to `R` rows (stride `ldo`) of at least `columns` writable floats.
    #[target_feature(enable = "avx512f")]
    unsafe fn store<const R: usize, const V: usize>(
        acc: &[[__m512; V]; R],
        out: *mut f32,
        ldo: usize,
        columns: usize,
    ) {
        for v in 0..V {
            let c0 = v * 16;
            if c0 >= columns {
                break;
            }
            let left = columns - c0;
            let mask: __mmask16 = if left >= 16 { !0 } else { (1 << left) - 1 };
            for (r, acc) in acc.iter().enumerate() {
                // SAFETY: only the block's real columns of the `R` rows are touched (mask).
                unsafe {
                    let o = out.add(r * ldo + c0);
                    let prev = _mm512_maskz_loadu_ps(mask, o);
                    _mm512_mask_storeu_ps(o, mask, _mm512_add_ps(prev, acc[v]));
                }
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod kernel {
    pub(super) unsafe fn tile_avx512<W, const R: usize>(
        _: &[f32],
        _: usize,
        _: &[W],
        _: *mut f32,
        _: usize,
        _: usize,
    ) {
        unreachable!("PackedDense is built only where its ISA is supported")
    }

    pub(super) unsafe fn tile_avx2<W, const R: usize>(
        _: &[f32],
        _: usize,
        _: &[W],
        _: *mut f32,
        _: usize,
        _: usize,
    ) {
        unreachable!("PackedDense is built only where its ISA is supported")
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;

    fn naive(x: &[f32], w_t: &[f32], rows: usize, inputs: usize, outputs: usize) -> Vec<f64> {
        let mut y = vec![0f64; rows * outputs];
        for r in 0..rows {
            for k in 0..inputs {
                for c in 0..outputs {
                    y[r * outputs + c] +=
                        f64::from(x[r * inputs + k]) * f64::from(w_t[k * outputs + c]);
                }
            }
        }
        y
    }

    /// Every kernel this CPU runs (AVX-512 and AVX2 on an AVX-512 machine).
    #[test]
    fn packed_kernels_match_naive_product() {
        let isas: Vec<Isa> = [Isa::Avx512, Isa::Avx2]
            .into_iter()
            .filter(|isa| isa.supported())
            .collect();
        if isas.is_empty() {
            eprintln!("skipped: neither AVX-512 F nor AVX2 with FMA");
            return;
        }
        let mut rng = StdRng::seed_from_u64(7);
        // Odd sizes (partial blocks and tiles of uneven heights), alone and in parallel with
        // row splits.
        for (rows, inputs, outputs) in [
            (1, 3, 5),
            (7, 33, 70),
            (12, 384, 1530),
            (13, 33, 100),
            (13, 384, 1152),
            (40, 1536, 64),
        ] {
            let x: Vec<f32> = (0..rows * inputs)
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            let w: Vec<f32> = (0..inputs * outputs)
                .map(|_| rng.random_range(-1.0..1.0))
                .collect();
            let want = naive(&x, &w, rows, inputs, outputs);
            // With f16 weights, the product of the weights rounded to f16.
            let w16: Vec<f32> = w.iter().map(|&v| half::f16::from_f32(v).to_f32()).collect();
            let want16 = naive(&x, &w16, rows, inputs, outputs);
            for &isa in &isas {
                for (half, want) in [(false, &want), (true, &want16)] {
                    let dense =
                        PackedDense::for_isa(&w, inputs, outputs, isa, half).expect("supported");
                    assert_eq!(dense.is_half(), half);
                    let mut out = vec![0.5f32; rows * outputs];
                    dense.forward(&x, &mut out);
                    for (i, (got, want)) in out.iter().zip(want).enumerate() {
                        let want = want + 0.5;
                        assert!(
                            (f64::from(*got) - want).abs() <= 1e-5 * (inputs as f64).sqrt() * 4.0,
                            "{isa:?} f16 {half} {rows}×{inputs}×{outputs} [{i}]: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn packed_dense_is_none_without_a_kernel() {
        PRETEND_NO_KERNEL.with(|p| p.set(true));
        assert!(PackedDense::new(&[1.0; 6], 2, 3, false).is_none());
        PRETEND_NO_KERNEL.with(|p| p.set(false));
    }
}
