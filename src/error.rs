//! The one error type of tolka.

use std::path::PathBuf;

/// Everything that can go wrong in tolka. Variants keep the file (and line) they concern.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A required file of a model or encoder directory is missing.
    #[error("{}: missing file ({what})", path.display())]
    MissingFile { path: PathBuf, what: &'static str },
    /// A JSON file (manifest, encoder config) is not valid for its purpose.
    #[error("{}: invalid JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The manifest was written by an incompatible version of tolka.
    #[error("{}: unsupported format version {found} (this tolka reads version {expected})", path.display())]
    FormatVersion {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    /// The model's heads were trained on another base encoder than the one found.
    #[error("{}: base encoder mismatch: the heads were trained on {expected_name} (sha256 {expected_sha256}) but {found_path} has sha256 {found_sha256}", path.display(), found_path = found_path.display())]
    EncoderMismatch {
        path: PathBuf,
        expected_name: String,
        expected_sha256: String,
        found_path: PathBuf,
        found_sha256: String,
    },
    /// A head tensor does not have the shape that the manifest's labels and the encoder imply.
    #[error("{}: head `{head}` has shape {found:?}, expected {expected:?}", path.display())]
    HeadShape {
        path: PathBuf,
        head: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// A head tensor has the expected shape but unusable values: another dtype than F32, or
    /// NaN or infinity.
    #[error("{}: head `{head}`: {reason}", path.display())]
    HeadValues {
        path: PathBuf,
        head: String,
        reason: String,
    },
    /// The manifest is readable but inconsistent (for example an empty label list).
    #[error("{}: invalid manifest: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
    /// A pruned vocabulary (`vocabulary.json`) is invalid or does not fit its tokenizer.
    #[error("{}: invalid vocabulary: {reason}", path.display())]
    Vocabulary { path: PathBuf, reason: String },
    /// A tensor file could not be read (corrupt safetensors, missing tensor).
    #[error("{}: {source}", path.display())]
    Tensors {
        path: PathBuf,
        #[source]
        source: candle_core::Error,
    },
    /// A LoRA adapter file does not fit the manifest or the base encoder (missing or extra
    /// tensor, wrong shape, non-finite values).
    #[error("{}: invalid adapters: {reason}", path.display())]
    Adapters { path: PathBuf, reason: String },
    /// The tokenizer file could not be loaded or failed on an input.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A line of a data file is malformed.
    #[error("{}:{line}: {reason}", path.display())]
    Data {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// An option has a value that cannot work (batch size 0, max length too small...).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A text is longer than the analyzer's `max_chars` (the index is the text's position in
    /// the call).
    #[error("text {index} has {chars} characters; the limit is {max}")]
    TextTooLong {
        index: usize,
        chars: usize,
        max: usize,
    },
    /// CUDA was requested from a build without the `cuda` feature, or no GPU is available.
    #[error("CUDA device unavailable: {0}")]
    Cuda(String),
    /// Conversation state (JSON) that is not a conversation.
    #[error("invalid conversation state: {0}")]
    State(#[source] serde_json::Error),
    /// Conversation state of another format version than this tolka's.
    #[error("unsupported conversation state version {found} (this tolka reads version {expected})")]
    StateVersion { found: u64, expected: u32 },
    /// The caller cancelled the call (see [`crate::Analyzer::analyze_batch_cancellable`]).
    #[error("cancelled")]
    Cancelled,
    /// A tensor operation failed.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// `Result` with tolka's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Checks that `path` is a regular file (symlinks followed) of at most `max_bytes` before
/// it is read: a model or catalog path naming `/dev/zero` would be read until memory runs
/// out, a FIFO would block forever. Errors are [`Error::Io`] naming the path.
pub(crate) fn regular_file(path: &std::path::Path, max_bytes: u64) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let refuse = |reason: String| {
        Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, reason),
        ))
    };
    if !meta.is_file() {
        return refuse("not a regular file".into());
    }
    if meta.len() > max_bytes {
        return refuse(format!(
            "{} bytes, larger than the {max_bytes} bytes accepted",
            meta.len()
        ));
    }
    Ok(())
}

/// Size limits of the files a model package reads.
pub(crate) mod limits {
    const MIB: u64 = 1 << 20;
    /// `tolka.json`, an encoder's `config.json`.
    pub const MANIFEST: u64 = 4 * MIB;
    /// `tokenizer.json`, `vocabulary.json`.
    pub const TOKENIZER: u64 = 256 * MIB;
    /// Encoder weights, adapters, heads.
    pub const WEIGHTS: u64 = 8 * 1024 * MIB;
    /// A catalog file.
    pub const CATALOG: u64 = 1024 * MIB;
}
