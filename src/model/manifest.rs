//! The on-disk model package: `tolka.json` (this manifest) next to `heads.safetensors`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The newest manifest format version this tolka reads. Packages without adapters are
/// written as version 1 (readable by every tolka); packages with LoRA adapters as version 2,
/// so that a tolka that cannot merge adapters refuses them instead of ignoring them.
pub const FORMAT_VERSION: u32 = 2;

/// The version of the manifests without adapters.
pub const FORMAT_VERSION_BASE: u32 = 1;

/// File name of the manifest inside a model directory.
pub const MANIFEST_FILE: &str = "tolka.json";

/// File name of the trained heads inside a model directory.
pub const HEADS_FILE: &str = "heads.safetensors";

/// `tolka.json`: everything needed to rebuild an analyzer over a base encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    /// Human-readable model name.
    pub name: String,
    pub encoder: EncoderRef,
    pub pooling: Pooling,
    /// Maximum sequence length in tokens, special tokens included.
    pub max_length: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<IntentHead>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<EntityHead>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentHead>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotions: Option<EmotionHead>,
    /// The rule layer (normalised money, dates, contacts, order ids, catalog); absent = off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<crate::rules::RuleConfig>,
    /// Languages that language identification chooses among (BCP 47 codes; default
    /// [`DEFAULT_LANGUAGES`](crate::lang::DEFAULT_LANGUAGES)); an empty list turns it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    /// LoRA adapters of the encoder, merged into the base weights at load time; absent = the
    /// base encoder as fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapters: Option<crate::model::lora::LoraConfig>,
    /// Arithmetic of the encoder's dense layers on the CPU (default f32); see
    /// [`Precision`](crate::model::Precision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<crate::model::Precision>,
}

/// The base encoder the heads were trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderRef {
    pub name: String,
    /// sha256 of the encoder's `model.safetensors`.
    pub sha256: String,
    /// Encoder directory, relative to the model directory (or absolute).
    pub path: PathBuf,
    /// A pruned vocabulary ([`Vocabulary`](crate::model::vocab::Vocabulary)) relative to the
    /// model directory: the encoder keeps only these pieces. Absent: the full vocabulary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocabulary: Option<PathBuf>,
}

/// How token states become one vector per text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// Mean over the attention mask, then L2 normalisation (sentence-transformers).
    MeanNormalized,
    /// Mean over the attention mask.
    Mean,
    /// The first (`[CLS]`) token.
    Cls,
}

/// Intent classifier head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentHead {
    pub labels: Vec<String>,
    /// Sizes of the hidden layers (ReLU) before the output layer; empty for a linear head.
    #[serde(default)]
    pub hidden: Vec<usize>,
    /// Label of the out-of-scope class (predicted, or used when confidence is low).
    #[serde(default = "default_oos_label")]
    pub oos_label: String,
    /// Below this top probability, the intent is out of scope.
    #[serde(default)]
    pub oos_threshold: f32,
    /// Softmax temperature applied to the logits.
    #[serde(default = "one")]
    pub temperature: f32,
}

/// Token-classification head over BIO tags of these entity types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityHead {
    /// Entity types; the tags are `O`, then `B-t`, `I-t` for each type in order.
    pub labels: Vec<String>,
    #[serde(default)]
    pub hidden: Vec<usize>,
    /// How tag probabilities become spans; absent = constrained Viterbi.
    #[serde(default, skip_serializing_if = "Decoder::is_default")]
    pub decoder: Decoder,
}

/// Sentiment head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentHead {
    pub labels: Vec<SentimentLabel>,
    #[serde(default)]
    pub hidden: Vec<usize>,
    /// When the head has no neutral class: texts whose score lies within ±`neutral_band`
    /// are neutral.
    #[serde(default)]
    pub neutral_band: f32,
}

/// Multi-label emotion head: one sigmoid per label (e.g. GoEmotions' 27 emotions and
/// `neutral`); a label is reported when its probability reaches its own threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmotionHead {
    pub labels: Vec<String>,
    #[serde(default)]
    pub hidden: Vec<usize>,
    /// One decision threshold per label (tuned on dev for each label's F1).
    pub thresholds: Vec<f32>,
}

fn default_oos_label() -> String {
    "oos".to_owned()
}

fn one() -> f32 {
    1.0
}

impl EntityHead {
    /// Number of BIO tags: `O` plus `B-`/`I-` per entity type.
    pub fn tag_count(&self) -> usize {
        1 + 2 * self.labels.len()
    }

    /// The BIO tag set: `O`, `B-t1`, `I-t1`, `B-t2`, ...
    pub fn tags(&self) -> Vec<String> {
        std::iter::once("O".to_owned())
            .chain(
                self.labels
                    .iter()
                    .flat_map(|l| [format!("B-{l}"), format!("I-{l}")]),
            )
            .collect()
    }
}

impl Manifest {
    /// Reads and validates `dir/tolka.json`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        if path.exists() {
            crate::error::regular_file(&path, crate::error::limits::MANIFEST)?;
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::MissingFile {
                    path,
                    what: "model manifest",
                });
            }
            Err(e) => return Err(Error::io(path, e)),
        };
        // Check the version before the schema, so old or future files get the right error.
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| Error::Json {
                path: path.clone(),
                source,
            })?;
        let found = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| Error::Manifest {
                path: path.clone(),
                reason: "no integer `format_version`".into(),
            })?;
        if !(u64::from(FORMAT_VERSION_BASE)..=u64::from(FORMAT_VERSION)).contains(&found) {
            return Err(Error::FormatVersion {
                path,
                found: u32::try_from(found).unwrap_or(u32::MAX),
                expected: FORMAT_VERSION,
            });
        }
        let manifest: Manifest = serde_json::from_value(value).map_err(|source| Error::Json {
            path: path.clone(),
            source,
        })?;
        manifest.validate(&path)?;
        Ok(manifest)
    }

    /// Writes `dir/tolka.json` (pretty-printed).
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST_FILE);
        let text = serde_json::to_string_pretty(self).map_err(|source| Error::Json {
            path: path.clone(),
            source,
        })?;
        std::fs::write(&path, text + "\n").map_err(|e| Error::io(path, e))
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| {
            Err(Error::Manifest {
                path: path.to_owned(),
                reason,
            })
        };
        if let Some(adapters) = &self.adapters {
            if self.format_version < FORMAT_VERSION {
                return bad(format!(
                    "adapters need format_version {FORMAT_VERSION}, found {}",
                    self.format_version
                ));
            }
            adapters.validate().map_err(|reason| Error::Manifest {
                path: path.to_owned(),
                reason,
            })?;
        }
        if self.max_length < 8 {
            return bad(format!("max_length {} is below 8", self.max_length));
        }
        if self.intent.is_none()
            && self.entities.is_none()
            && self.sentiment.is_none()
            && self.emotions.is_none()
        {
            return bad(
                "no head: at least one of intent, entities, sentiment, emotions is needed".into(),
            );
        }
        if let Some(intent) = &self.intent {
            if intent.labels.len() < 2 {
                return bad("the intent head needs at least 2 labels".into());
            }
            unique(&intent.labels, "intent.labels").or_else(bad)?;
            if !(MIN_TEMPERATURE..=MAX_TEMPERATURE).contains(&intent.temperature) {
                return bad(format!(
                    "`intent.temperature` is {}; it must lie in [{MIN_TEMPERATURE}, {MAX_TEMPERATURE}]",
                    intent.temperature
                ));
            }
            probability(intent.oos_threshold, "intent.oos_threshold").or_else(bad)?;
        }
        if let Some(entities) = &self.entities {
            if entities.labels.is_empty() {
                return bad("the entity head has no labels".into());
            }
            unique(&entities.labels, "entities.labels").or_else(bad)?;
        }
        if let Some(emotions) = &self.emotions {
            if emotions.labels.is_empty() || emotions.thresholds.len() != emotions.labels.len() {
                return bad(format!(
                    "the emotion head has {} labels and {} thresholds",
                    emotions.labels.len(),
                    emotions.thresholds.len()
                ));
            }
            unique(&emotions.labels, "emotions.labels").or_else(bad)?;
            for &t in &emotions.thresholds {
                probability(t, "emotions.thresholds").or_else(bad)?;
            }
        }
        if let Some(sentiment) = &self.sentiment {
            if sentiment.labels.len() < 2 {
                return bad("the sentiment head needs at least 2 labels".into());
            }
            unique(&sentiment.labels, "sentiment.labels").or_else(bad)?;
            probability(sentiment.neutral_band, "sentiment.neutral_band").or_else(bad)?;
        }
        Ok(())
    }
}

/// The range of `intent.temperature`: fitted temperatures lie near 1; one near 0 overflows
/// the softmax (confidences become NaN), a huge one makes every label equally likely.
const MIN_TEMPERATURE: f32 = 0.01;
/// See [`MIN_TEMPERATURE`].
const MAX_TEMPERATURE: f32 = 100.0;

/// `Err` naming `field` when `labels` has a duplicate.
fn unique<T: PartialEq + std::fmt::Display>(labels: &[T], field: &str) -> Result<(), String> {
    match labels
        .iter()
        .enumerate()
        .find(|(i, l)| labels[..*i].contains(*l))
    {
        Some((_, l)) => Err(format!("`{field}` lists `{l}` more than once")),
        None => Ok(()),
    }
}

/// `Err` naming `field` unless `value` lies in [0, 1] (NaN does not).
fn probability(value: f32, field: &str) -> Result<(), String> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(format!("`{field}` is {value}; it must lie in [0, 1]"))
    }
}

/// The encoder path as the manifest should record it: relative to `out` when possible.
pub(crate) fn relative_encoder_path(out: &Path, encoder_dir: &Path) -> PathBuf {
    let (Ok(out), Ok(enc)) = (std::path::absolute(out), std::path::absolute(encoder_dir)) else {
        return encoder_dir.to_owned();
    };
    let common = out
        .components()
        .zip(enc.components())
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return enc;
    }
    let ups = out.components().count() - common;
    std::iter::repeat_n(std::path::Component::ParentDir.as_os_str(), ups)
        .chain(enc.components().skip(common).map(|c| c.as_os_str()))
        .collect()
}

/// How per-word tag probabilities become a tag sequence (`entities.decoder` in the manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decoder {
    /// The most probable tag of every word, then BIO repair: an `I-x` that does not continue
    /// an `x` entity becomes `B-x`.
    Argmax,
    /// The most probable valid BIO sequence (Viterbi with hard constraints, no transition
    /// scores). Models without a `decoder` field decode this way.
    #[default]
    Constrained,
    /// Constrained Viterbi plus learned transition scores, stored in the heads file as
    /// `entities.transitions` (`(tags + 1) × tags`, row 0 = sequence start, row `p + 1` =
    /// previous tag `p`).
    Learned,
}

impl Decoder {
    /// True for the default decoder (used to omit it from manifests).
    pub fn is_default(&self) -> bool {
        *self == Decoder::default()
    }
}

/// A sentiment class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    Negative,
    Neutral,
    Positive,
}

impl SentimentLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Negative => "negative",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Positive => "positive",
        }
    }
}

impl std::fmt::Display for SentimentLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let p = relative_encoder_path(Path::new("/a/models/x"), Path::new("/a/models/base/enc"));
        assert_eq!(p, PathBuf::from("../base/enc"));
    }
}
