//! Model packages: the manifest, the base encoder and the task heads.

pub(crate) mod bert;
pub(crate) mod cpu;
pub mod device;
pub(crate) mod e5s1;
pub(crate) mod encoder;
pub(crate) mod heads;
pub(crate) mod int8;
pub mod lora;
pub mod manifest;
pub(crate) mod packed;
pub(crate) mod team;
pub(crate) mod tokenizer;
pub mod vocab;

use candle_core::{IndexOp, Tensor};

pub use device::{Device, Precision};
pub use lora::{ADAPTERS_FILE, LoraConfig, LoraTarget};
pub use manifest::{
    EmotionHead, EncoderRef, EntityHead, FORMAT_VERSION, FORMAT_VERSION_BASE, HEADS_FILE,
    IntentHead, MANIFEST_FILE, Manifest, Pooling, SentimentHead,
};

/// A raw pointer to an `f32` buffer that parallel tasks share, each writing its own disjoint
/// part of it (attention per text and head, dense layers per block of outputs).
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub(crate) *mut f32);

// SAFETY: used only for writes to disjoint parts; every user states which parts are its own.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    pub(crate) fn get(self) -> *mut f32 {
        self.0
    }
}

/// The rows of a dense layer's input `x` (`[rows, inputs]`), after checking that `out` is
/// `[rows, outputs]`: the kernels write through raw pointers sized by these.
pub(crate) fn dense_rows(x: &[f32], out: &[f32], inputs: usize, outputs: usize) -> usize {
    let rows = x.len() / inputs;
    assert_eq!(x.len(), rows * inputs, "input is not [rows, inputs]");
    assert_eq!(out.len(), rows * outputs, "output is not [rows, outputs]");
    rows
}

/// Tile `t` of `rows` rows cut into `rows.div_ceil(most)` tiles of nearly equal height (13
/// rows, at most 12 a tile, are 7 + 6, not 12 + 1), so that every pass of a dense kernel
/// over its weights serves as many rows as its registers allow: `(first row, rows)`.
pub(crate) fn row_tile(rows: usize, most: usize, t: usize) -> (usize, usize) {
    let tiles = rows.div_ceil(most);
    let (base, extra) = (rows / tiles, rows % tiles);
    (t * base + t.min(extra), base + usize::from(t < extra))
}

/// Largest absolute difference of two tensors of one shape; with a mask (`[b, len]`, over
/// states `[b, len, hidden]`), of the real tokens only (tests).
#[cfg(test)]
pub(crate) fn max_abs_diff(
    a: &candle_core::Tensor,
    b: &candle_core::Tensor,
    mask: Option<&candle_core::Tensor>,
) -> f32 {
    let mut diff = (a - b).unwrap().abs().unwrap();
    if let Some(mask) = mask {
        diff = diff.broadcast_mul(&mask.unsqueeze(2).unwrap()).unwrap();
    }
    diff.max_all().unwrap().to_scalar::<f32>().unwrap()
}

/// Pools hidden states `[b, len, h]` with the mask `[b, len]` into `[b, h]`.
pub(crate) fn pool(
    hidden: &Tensor,
    mask: &Tensor,
    pooling: Pooling,
) -> candle_core::Result<Tensor> {
    match pooling {
        Pooling::Cls => hidden.i((.., 0, ..)),
        Pooling::Mean | Pooling::MeanNormalized => {
            let summed = hidden.broadcast_mul(&mask.unsqueeze(2)?)?.sum(1)?;
            let mean = summed.broadcast_div(&mask.sum_keepdim(1)?)?;
            if pooling == Pooling::MeanNormalized {
                let norm = mean
                    .sqr()?
                    .sum_keepdim(1)?
                    .sqrt()?
                    .clamp(1e-12, f64::INFINITY)?;
                mean.broadcast_div(&norm)
            } else {
                Ok(mean)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn row_tiles_cover_the_rows_in_even_heights() {
        for (rows, most, heights) in [
            (1, 12, vec![1]),
            (12, 12, vec![12]),
            (13, 12, vec![7, 6]),
            (25, 12, vec![9, 8, 8]),
        ] {
            let tiles: Vec<_> = (0..heights.len())
                .map(|t| super::row_tile(rows, most, t))
                .collect();
            let mut next = 0;
            for (&(first, n), &want) in tiles.iter().zip(&heights) {
                assert_eq!((first, n), (next, want), "{rows} rows");
                next += n;
            }
            assert_eq!(next, rows);
        }
    }
}
