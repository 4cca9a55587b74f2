//! f32 dense layers on AVX-512 with the weights packed once at load.
//!
//! A general GEMM (the `gemm` crate) repacks the weight matrix at every call, which costs as
//! much as the product itself when only a few tokens go through a layer: at batch 1 the
//! dense layers multiply a dozen rows by matrices of 384 × 1536. Here the weights are laid
//! out once, at load, in the order the kernel reads them: blocks of [`NR`] output columns,
//! and inside a block, for every input, the block's sixteen-float vectors one after another.
//! A micro-tile of [`MR`] rows keeps `MR × 2` vector accumulators in registers and streams
//! through the block's weights once, with one broadcast and two fused multiply-adds per row
//! and input, accumulating onto what the output already holds (the bias, or bias plus
//! residual). Sums run over the inputs in order with FMA, so results differ from `gemm`'s
//! only by rounding.
//!
//! [`PackedDense::new`] returns `None` on a CPU without AVX-512 F, so that callers keep the
//! `gemm` path there.

use rayon::prelude::*;

use crate::model::{SendPtr, dense_rows, row_tile};

/// Output columns per block: two 512-bit vectors of `f32`.
const NR: usize = 32;
/// Most rows of a micro-tile: `MR × 2` accumulators plus two weight vectors and a broadcast
/// fit the 32 vector registers, and a dozen tokens (a typical chat message) share one pass
/// over the weights.
const MR: usize = 12;
/// Products (`rows · inputs · outputs`) below which a layer runs on the calling thread.
const PARALLEL_MIN: usize = 1 << 21;

#[cfg(test)]
thread_local! {
    /// Makes [`available`] answer `false` on this thread, to test the fallback on any CPU.
    pub(crate) static PRETEND_NO_AVX512: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this CPU (and build) runs the kernel: AVX-512 F.
pub(crate) fn available() -> bool {
    #[cfg(test)]
    if PRETEND_NO_AVX512.with(std::cell::Cell::get) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `y += x·Wᵀ` with `W` packed for the AVX-512 kernel.
#[derive(Debug, Clone)]
pub(crate) struct PackedDense {
    /// `[blocks][inputs][NR]`, columns zero-padded to whole blocks.
    packed: Vec<f32>,
    inputs: usize,
    outputs: usize,
    blocks: usize,
}

impl PackedDense {
    /// Packs `weight_t` (`Wᵀ`, `[inputs, outputs]` row-major). `None` where the CPU lacks
    /// AVX-512 F.
    pub fn new(weight_t: &[f32], inputs: usize, outputs: usize) -> Option<Self> {
        assert_eq!(
            weight_t.len(),
            inputs * outputs,
            "weight is not [inputs, outputs]"
        );
        if !available() {
            return None;
        }
        let blocks = outputs.div_ceil(NR);
        let mut packed = vec![0f32; blocks * inputs * NR];
        for (k, row) in weight_t.chunks_exact(outputs).enumerate() {
            for (b, part) in row.chunks(NR).enumerate() {
                packed[(b * inputs + k) * NR..][..part.len()].copy_from_slice(part);
            }
        }
        Some(Self {
            packed,
            inputs,
            outputs,
            blocks,
        })
    }

    /// `out += x·Wᵀ` for `x` `[rows, inputs]` and `out` `[rows, outputs]`.
    pub fn forward(&self, x: &[f32], out: &mut [f32]) {
        let rows = dense_rows(x, out, self.inputs, self.outputs);
        let tiles = rows.div_ceil(MR);
        let out_ptr = SendPtr(out.as_mut_ptr());
        let work = |(b, t0, t1): (usize, usize, usize)| {
            for t in t0..t1 {
                let (row, r) = row_tile(rows, MR, t);
                // SAFETY: `available()` held at construction; rows `row..row + r` and block
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
        if rows * self.inputs * self.outputs < PARALLEL_MIN {
            (0..self.blocks).for_each(|b| work((b, 0, tiles)));
            return;
        }
        // Long inputs are split by rows too, so that both threads work on layers with few
        // output blocks.
        let split = (2 * rayon::current_num_threads())
            .div_ceil(self.blocks)
            .clamp(1, tiles);
        let per = tiles.div_ceil(split);
        (0..self.blocks)
            .flat_map(|b| {
                (0..tiles)
                    .step_by(per)
                    .map(move |t| (b, t, (t + per).min(tiles)))
            })
            .collect::<Vec<_>>()
            .into_par_iter()
            .for_each(work);
    }

    /// Rows `row..row + r` (given as `x`, `r ≤ MR`) of output block `b`.
    ///
    /// # Safety
    /// The CPU has AVX-512 F; `out` points to `[rows, outputs]` `f32` of which no other
    /// thread touches these rows in the columns of block `b`.
    unsafe fn tile(&self, b: usize, x: &[f32], r: usize, row: usize, out: SendPtr) {
        let weights = &self.packed[b * self.inputs * NR..][..self.inputs * NR];
        let columns = (self.outputs - b * NR).min(NR);
        // SAFETY: the rows and the block's columns lie inside `out` (the caller's contract).
        let o = unsafe { out.get().add(row * self.outputs + b * NR) };
        let (k, ldo) = (self.inputs, self.outputs);
        macro_rules! tile {
            ($($n:literal)*) => {
                match r {
                    // SAFETY: forwarded from the caller; `x` holds `r` rows of `k` inputs.
                    $($n => unsafe { kernel::tile::<$n>(x, k, weights, o, ldo, columns) },)*
                    _ => unreachable!("tiles have 1 to MR rows"),
                }
            };
        }
        tile!(1 2 3 4 5 6 7 8 9 10 11 12)
    }
}

#[cfg(target_arch = "x86_64")]
mod kernel {
    use std::arch::x86_64::*;

    use super::NR;

    /// `out[r, c] += Σₖ x[r, k] · w[k, c]` for the `R` rows of `x` (`k` inputs each) and the
    /// first `columns` columns of one packed block.
    ///
    /// # Safety
    /// The CPU has AVX-512 F; `x` holds `R × k` floats, `weights` `k × NR`; `out` points to
    /// `R` rows (stride `ldo`) of at least `columns` writable floats.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tile<const R: usize>(
        x: &[f32],
        k: usize,
        weights: &[f32],
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
                let w0 = _mm512_loadu_ps(wi);
                let w1 = _mm512_loadu_ps(wi.add(16));
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
    pub(super) unsafe fn tile<const R: usize>(
        _: &[f32],
        _: usize,
        _: &[f32],
        _: *mut f32,
        _: usize,
        _: usize,
    ) {
        unreachable!("PackedDense is built only where `available()`")
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

    #[test]
    fn packed_kernel_matches_naive_product() {
        if !available() {
            eprintln!("skipped: no AVX-512 F");
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
            let dense = PackedDense::new(&w, inputs, outputs).expect("AVX-512 F");
            let mut out = vec![0.5f32; rows * outputs];
            dense.forward(&x, &mut out);
            for (i, (got, want)) in out
                .iter()
                .zip(naive(&x, &w, rows, inputs, outputs))
                .enumerate()
            {
                let want = want + 0.5;
                assert!(
                    (f64::from(*got) - want).abs() <= 1e-5 * (inputs as f64).sqrt() * 4.0,
                    "{rows}×{inputs}×{outputs} [{i}]: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn packed_dense_is_none_without_avx512() {
        PRETEND_NO_AVX512.with(|p| p.set(true));
        assert!(PackedDense::new(&[1.0; 6], 2, 3).is_none());
        PRETEND_NO_AVX512.with(|p| p.set(false));
    }
}
