//! # tolka — on-device intent, entity and sentiment analysis
//!
//! tolka turns what a shopper types to a chatbot into structured meaning: **what they want**
//! ([`Intent`], with a confidence and an out-of-scope flag), **what they talk about**
//! ([`Entity`] spans with character offsets) and **how they feel** ([`Sentiment`]).
//!
//! A batch goes through one pipeline: tokenize (in parallel) → group texts by length →
//! one pass of a pretrained BERT-family encoder (candle) → the task heads of the model
//! package → decoding (constrained BIO Viterbi for entities) → one [`Analysis`] per text.
//!
//! The main types:
//! - [`Analyzer`]: loads a model package (`tolka.json` + `heads.safetensors` over a base
//!   encoder) and analyses texts; [`Analyzer::builder`] tunes device, batch size, max length
//!   and threads.
//! - [`Analysis`]: the serde result of one text.
//! - [`rules`]: rule and catalog entities with normalised values (money, dates, contacts,
//!   order ids…, English and Swedish) merged into every analysis, and PII redaction
//!   ([`Analyzer::redact`]).
//! - [`Conversation`]: one per chat; analyses its turns with an analyzer and adds an
//!   escalation signal, slots remembered across turns, dates relative to each message's
//!   time, and optional redaction of personal data.
//! - [`train`] and [`eval`]: train heads on your own JSONL data, and score a model;
//!   [`eval::report`] renders an evaluation as a self-contained HTML page.
//!
//! ```no_run
//! use tolka::Analyzer;
//!
//! let analyzer = Analyzer::builder("models/commerce-en").batch_size(64).build()?;
//! for analysis in analyzer.analyze_batch(&["where is my order?", "I want a refund!"])? {
//!     println!("{}", serde_json::to_string(&analysis).unwrap());
//! }
//! # Ok::<(), tolka::Error>(())
//! ```

pub mod analyzer;
pub mod conversation;
pub mod data;
pub mod emotion;
pub mod entity;
pub mod error;
pub mod eval;
pub mod intent;
pub mod lang;
pub mod model;
pub mod rules;
pub mod sentiment;
mod threads;
pub mod train;

pub use analyzer::{Analysis, Analyzer, AnalyzerBuilder, Redaction};
pub use conversation::{
    Conversation, Escalation, EscalationConfig, PreparedTurn, Speaker, TurnInput,
};
pub use emotion::Emotion;
pub use entity::{Entity, EntitySource};
pub use error::{Error, Result};
pub use intent::Intent;
pub use lang::Language;
pub use model::{Device, Precision};
pub use sentiment::{Sentiment, SentimentLabel};
