//! Model packages: the manifest, the base encoder and the task heads.

pub(crate) mod bert;
pub(crate) mod cpu;
pub(crate) mod e5s1;
pub(crate) mod encoder;
pub(crate) mod heads;
pub(crate) mod int8;
pub mod lora;
pub mod manifest;
pub mod vocab;

pub use lora::{ADAPTERS_FILE, LoraConfig, LoraTarget};
pub use manifest::{
    EncoderRef, EntityHead, FORMAT_VERSION, FORMAT_VERSION_BASE, HEADS_FILE, IntentHead,
    MANIFEST_FILE, Manifest, Pooling, SentimentHead,
};
