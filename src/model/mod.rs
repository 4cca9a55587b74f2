//! Model packages: the manifest, the base encoder and the task heads.

pub(crate) mod bert;
pub(crate) mod cpu;
pub(crate) mod e5s1;
pub(crate) mod encoder;
pub(crate) mod heads;
pub(crate) mod int8;
pub mod manifest;

pub use manifest::{
    EncoderRef, EntityHead, FORMAT_VERSION, HEADS_FILE, IntentHead, MANIFEST_FILE, Manifest,
    Pooling, SentimentHead,
};
