//! Integration tests on the real default model (`models/commerce-en` over the fetched
//! all-MiniLM-L6-v2; run `models/fetch-encoder.sh` first).

mod analyzer;
mod cli;
mod conversation;
#[cfg(feature = "cuda")]
mod cuda;
mod layers;
mod manifest;
mod multilingual;
mod redaction;
mod report;
#[cfg(feature = "server")]
mod serve;
mod training;

use std::path::PathBuf;
use std::sync::OnceLock;

use tolka::Analyzer;

pub fn model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/commerce-en")
}

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The default model, loaded once for all tests.
pub fn analyzer() -> &'static Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer::from_dir(model_dir()).expect("load models/commerce-en"))
}

/// The characters `start..end` of `text` (entity offsets are character offsets).
pub fn char_slice(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}
