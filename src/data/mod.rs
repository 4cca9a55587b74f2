//! The JSONL data format of training and evaluation files.
//!
//! One JSON object per line; every task key is optional:
//! `{"text": str, "intent": str, "entities": [{"start", "end", "label"}], "sentiment":
//! "negative"|"neutral"|"positive", "emotions": [str], "lang": str}`. Entity offsets are character offsets,
//! end exclusive.

mod rasa;

use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

use crate::sentiment::SentimentLabel;

/// A labelled span (character offsets, end exclusive).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub label: String,
}

/// One labelled example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<Span>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentLabel>,
    /// Emotion labels (multi-label, e.g. GoEmotions').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

pub use rasa::read_rasa_nlu;

/// Reads labelled records: Rasa NLU YAML for `.yml` / `.yaml` files, JSONL otherwise.
pub fn read(path: impl AsRef<Path>) -> Result<Vec<Record>> {
    let path = path.as_ref();
    match path.extension().and_then(|e| e.to_str()) {
        Some("yml" | "yaml") => read_rasa_nlu(path),
        _ => read_jsonl(path),
    }
}

/// Reads a JSONL file of [`Record`]s; the first malformed line is an error naming file and line.
pub fn read_jsonl(path: impl AsRef<Path>) -> Result<Vec<Record>> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut records = Vec::new();
    for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line_no = i + 1;
        let bad = |reason: String| Error::Data {
            path: path.to_owned(),
            line: line_no,
            reason,
        };
        let line = line.map_err(|e| Error::io(path, e))?;
        let line = std::str::from_utf8(&line).map_err(|e| bad(format!("invalid UTF-8: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record =
            serde_json::from_str(line).map_err(|e| bad(format!("invalid record: {e}")))?;
        let chars = record.text.chars().count();
        for span in record.entities.iter().flatten() {
            if span.start >= span.end || span.end > chars {
                return Err(bad(format!(
                    "entity {}..{} ({}) outside the text of {chars} characters",
                    span.start, span.end, span.label
                )));
            }
        }
        records.push(record);
    }
    Ok(records)
}
