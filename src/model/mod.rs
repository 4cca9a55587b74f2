//! Model packages: the manifest, the base encoder and the task heads.

pub(crate) mod bert;
pub(crate) mod cpu;
pub(crate) mod e5s1;
pub(crate) mod encoder;
pub(crate) mod heads;
pub(crate) mod int8;
pub mod lora;
pub mod manifest;
pub(crate) mod packed;
pub mod vocab;

pub use lora::{ADAPTERS_FILE, LoraConfig, LoraTarget};
pub use manifest::{
    EncoderRef, EntityHead, FORMAT_VERSION, FORMAT_VERSION_BASE, HEADS_FILE, IntentHead,
    MANIFEST_FILE, Manifest, Pooling, SentimentHead,
};

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
