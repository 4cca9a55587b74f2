//! [`Analyzer`]: one encoder pass per batch feeding the intent, entity and sentiment heads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use candle_core::{D, Device as CandleDevice, Tensor};
use ndarray::{Array2, ArrayView1};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::emotion::Emotion;
use crate::entity::{self, Entity, Word};
use crate::error::{Error, Result};
use crate::intent::Intent;
use crate::lang::{DEFAULT_LANGUAGES, Language, LanguageId, RELIABLE};
use crate::model::encoder::{Encoder, Tokens};
use crate::model::heads::{Head, check_values};
use crate::model::vocab::Vocabulary;
use crate::model::{Device, HEADS_FILE, Manifest, Precision, pool};
use crate::rules::{Context, Locale, RuleConfig, Rules};
use crate::sentiment::Sentiment;
use crate::threads::{self, ProcessPool};

/// Largest accepted batch size; larger values are a configuration error.
pub const MAX_BATCH_SIZE: usize = 4096;

/// The analysis of one text. A task whose head the model lacks is `None` (and omitted in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<Entity>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// Emotions over their thresholds, most probable first (models with an emotion head).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotions: Option<Vec<Emotion>>,
    /// The text's language (`None` for a text without letters, or with identification off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Language>,
}

/// A text with its personal data replaced by placeholders; see [`Analyzer::redact`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redaction {
    pub text: String,
    /// What was replaced: label, character offsets into the original text, and the
    /// placeholder as `text`. No entity holds the removed text; a card's value keeps only
    /// its brand and last four digits, the other kinds have no value.
    pub entities: Vec<Entity>,
}

/// Options for loading an [`Analyzer`]; see [`Analyzer::builder`].
#[derive(Debug, Clone)]
pub struct AnalyzerBuilder {
    dir: PathBuf,
    device: Device,
    batch_size: usize,
    max_length: Option<usize>,
    threads: Option<usize>,
    encoder_dir: Option<PathBuf>,
    rules: Option<Option<RuleConfig>>,
    languages: Option<Vec<String>>,
    precision: Option<Precision>,
    max_chars: Option<usize>,
    redact: bool,
}

impl AnalyzerBuilder {
    /// Analyses that carry no personal data (default: false): every analysis comes back as
    /// [`Analyzer::redact_analysis`] leaves it (entities over a card, personnummer, IBAN,
    /// e-mail or phone carry the placeholder, no value keeps the data). The model still
    /// reads the original text, so intents and sentiment do not change; the caller's text
    /// is theirs to redact ([`Analyzer::redact`]).
    pub fn redact(mut self, redact: bool) -> Self {
        self.redact = redact;
        self
    }

    /// The longest text accepted, in characters (default: no limit). A longer text makes
    /// the call fail with [`Error::TextTooLong`] before any work: the encoder's cost grows
    /// with a text's length (about 1 s per 10,000 characters on two cores), so a server
    /// or a batch job can refuse one runaway text instead of stalling on it.
    pub fn max_chars(mut self, max_chars: usize) -> Self {
        self.max_chars = Some(max_chars);
        self
    }

    /// Arithmetic of the encoder's dense layers on the CPU (default: the manifest's
    /// `precision`, else [`Precision::F16`]). See [`Precision::F16`] and [`Precision::Int8`] for
    /// where they run.
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = Some(precision);
        self
    }

    /// The rule layer: `Some(config)` runs it, `None` turns it off (default: the manifest's
    /// `rules`).
    pub fn rules(mut self, rules: Option<RuleConfig>) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Languages that language identification chooses among, as BCP 47 codes (default: the
    /// manifest's `languages`, else English and Swedish); an empty list turns it off.
    /// Restricting the candidates matters: over all 70 languages of the identifier, short
    /// chat messages are often misread.
    pub fn languages<S: Into<String>>(mut self, codes: impl IntoIterator<Item = S>) -> Self {
        self.languages = Some(codes.into_iter().map(Into::into).collect());
        self
    }

    /// Device to run on (default CPU).
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// Texts per encoder call (default 32, at most [`MAX_BATCH_SIZE`]).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Maximum tokens per encoder window, special tokens included (default: the manifest's).
    pub fn max_length(mut self, max_length: usize) -> Self {
        self.max_length = Some(max_length);
        self
    }

    /// Worker threads for tokenisation, the encoder and decoding, in a pool of this analyzer's
    /// own (default: one pool shared by the process's analyzers, of rayon's default size:
    /// `RAYON_NUM_THREADS`, else one thread per CPU). A forked child builds its pools anew
    /// on first use, so an analyzer built before `fork` works in the child.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Base encoder directory (default: the manifest's `encoder.path`, relative to the model).
    pub fn encoder_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.encoder_dir = Some(dir.into());
        self
    }

    /// Loads the model (in the analyzer's thread pool, which a forked child rebuilds).
    pub fn build(self) -> Result<Analyzer> {
        if self.max_chars == Some(0) {
            return Err(Error::Config("max_chars must be at least 1".into()));
        }
        if self.batch_size == 0 || self.batch_size > MAX_BATCH_SIZE {
            return Err(Error::Config(format!(
                "batch size {} is outside 1..={MAX_BATCH_SIZE}",
                self.batch_size
            )));
        }
        let pool = match self.threads {
            Some(0) => return Err(Error::Config("threads must be at least 1".into())),
            Some(n) => {
                let pool = ProcessPool::new(Some(n));
                // Built now, so that a failure shows at load.
                pool.get()?;
                Some(pool)
            }
            None => None,
        };
        let mut analyzer = threads::install(pool.as_ref(), || self.load())??;
        analyzer.pool = pool;
        Ok(analyzer)
    }

    /// Loads the model, for [`AnalyzerBuilder::build`] (which adds the thread pool).
    fn load(self) -> Result<Analyzer> {
        let device = self.device.to_candle()?;
        let manifest = Manifest::read(&self.dir)?;
        let encoder_dir = self.encoder_dir.unwrap_or_else(|| {
            if manifest.encoder.path.is_absolute() {
                manifest.encoder.path.clone()
            } else {
                self.dir.join(&manifest.encoder.path)
            }
        });
        let precision = self.precision.or(manifest.precision).unwrap_or_default();
        let vocabulary = match &manifest.encoder.vocabulary {
            Some(file) => Some(Vocabulary::read(&self.dir.join(file))?),
            None => None,
        };
        let adapters = manifest
            .adapters
            .as_ref()
            .map(|a| (self.dir.join(&a.file), a));
        let encoder = Encoder::load_adapted(
            &encoder_dir,
            &device,
            adapters.as_ref().map(|(path, a)| (path.as_path(), *a)),
            vocabulary.as_ref(),
            precision,
        )?;
        if encoder.sha256() != manifest.encoder.sha256 {
            return Err(Error::EncoderMismatch {
                path: self.dir.join(crate::model::MANIFEST_FILE),
                expected_name: manifest.encoder.name.clone(),
                expected_sha256: manifest.encoder.sha256.clone(),
                found_path: encoder_dir,
                found_sha256: encoder.sha256().to_owned(),
            });
        }
        let max_length = self.max_length.unwrap_or(manifest.max_length);
        let min_length = encoder.special_len() + 2;
        if max_length < min_length || max_length > encoder.max_positions() {
            return Err(Error::Config(format!(
                "max length {max_length} is outside {min_length}..={}",
                encoder.max_positions()
            )));
        }
        let heads = Heads::load(&self.dir, &manifest, encoder.hidden_size(), &device)?;
        // Without a rule layer in analyses, the default rules still serve `redact`.
        let config = self.rules.unwrap_or_else(|| manifest.rules.clone());
        let rules_in_analyses = config.is_some();
        let rules = Rules::new(&config.unwrap_or_default())?;
        let languages = self
            .languages
            .or_else(|| manifest.languages.clone())
            .unwrap_or_else(|| DEFAULT_LANGUAGES.iter().map(|&c| c.to_owned()).collect());
        let language_id = if languages.is_empty() {
            None
        } else {
            Some(LanguageId::new(&languages)?)
        };
        Ok(Analyzer {
            language_id,
            encoder,
            manifest,
            heads,
            rules,
            rules_in_analyses,
            batch_size: self.batch_size,
            max_length,
            max_chars: self.max_chars,
            redact: self.redact,
            pool: None,
        })
    }
}

/// The loaded task heads of a model.
struct Heads {
    intent: Option<Head>,
    entities: Option<Head>,
    sentiment: Option<Head>,
    emotions: Option<Head>,
    /// Learned BIO transition scores of the entity decoder (`(tags + 1) × tags`).
    transitions: Option<Vec<f32>>,
}

impl Heads {
    fn load(dir: &Path, manifest: &Manifest, hidden: usize, device: &CandleDevice) -> Result<Self> {
        let path = dir.join(HEADS_FILE);
        if !path.is_file() {
            return Err(Error::MissingFile {
                path,
                what: "model heads",
            });
        }
        crate::error::regular_file(&path, crate::error::limits::WEIGHTS)?;
        let mut tensors: HashMap<String, Tensor> =
            candle_core::safetensors::load(&path, &CandleDevice::Cpu).map_err(|source| {
                Error::Tensors {
                    path: path.clone(),
                    source,
                }
            })?;
        let transitions = match &manifest.entities {
            Some(h) if h.decoder == entity::Decoder::Learned => {
                let key = "entities.transitions".to_owned();
                let expected = vec![h.tag_count() + 1, h.tag_count()];
                let found = tensors.get(&key).map(|t| t.dims().to_vec());
                if found.as_ref() != Some(&expected) {
                    return Err(Error::HeadShape {
                        path: path.clone(),
                        head: key,
                        expected,
                        found: found.unwrap_or_default(),
                    });
                }
                check_values(&tensors[&key], &key, &path)?;
                Some(tensors[&key].flatten_all()?.to_vec1::<f32>()?)
            }
            _ => None,
        };
        let mut load = |name: &str, layers: &[usize], out: usize| {
            Head::from_tensors(
                &mut tensors,
                name,
                &Head::sizes(hidden, layers, out),
                &path,
                device,
            )
        };
        Ok(Self {
            transitions,
            intent: match &manifest.intent {
                Some(h) => Some(load("intent", &h.hidden, h.labels.len())?),
                None => None,
            },
            entities: match &manifest.entities {
                Some(h) => Some(load("entities", &h.hidden, h.tag_count())?),
                None => None,
            },
            sentiment: match &manifest.sentiment {
                Some(h) => Some(load("sentiment", &h.hidden, h.labels.len())?),
                None => None,
            },
            emotions: match &manifest.emotions {
                Some(h) => Some(load("emotions", &h.hidden, h.labels.len())?),
                None => None,
            },
        })
    }
}

/// An on-device analyzer: intent, entities and sentiment from one encoder pass.
///
/// `Analyzer` is `Send + Sync`: share one across threads (e.g. in an `Arc`). It also
/// survives `fork` (a prefork server loading it before forking its workers): a child builds
/// its own worker threads on its first call.
///
/// ```no_run
/// use tolka::Analyzer;
/// let analyzer = Analyzer::from_dir("models/commerce-en")?;
/// let analysis = analyzer.analyze("Where is my order 113542617735902?")?;
/// println!("{}", analysis.intent.unwrap().label);
/// # Ok::<(), tolka::Error>(())
/// ```
pub struct Analyzer {
    encoder: Encoder,
    manifest: Manifest,
    heads: Heads,
    /// The rule layer (the model's, else the defaults for [`Analyzer::redact`]).
    rules: Rules,
    language_id: Option<LanguageId>,
    /// Whether analyses include rule and catalog entities.
    rules_in_analyses: bool,
    batch_size: usize,
    max_length: usize,
    max_chars: Option<usize>,
    /// Whether analyses come back without personal data.
    redact: bool,
    /// The analyzer's own thread pool (`threads`), else `None` for the shared one.
    pool: Option<ProcessPool>,
}

/// One encoder window: `len` tokens of text `text` from token `start`.
#[derive(Debug, Clone, Copy)]
struct Window {
    text: usize,
    start: usize,
    len: usize,
}

/// What the encoder pass produced for one window.
#[derive(Default)]
struct WindowOutput {
    intent: Vec<f32>,
    sentiment: Vec<f32>,
    emotions: Vec<f32>,
    /// Log-probabilities of the BIO tags, `len × tags`.
    tags: Vec<f32>,
}

/// Encoder outputs for a chunk of windows: the hidden states and the pooled vectors.
pub(crate) struct EncodedChunk {
    pub hidden: Tensor,
    pub pooled: Tensor,
    /// Index of the first content token in `hidden`.
    pub offset: usize,
}

/// The rule context of each text of a batch.
#[derive(Clone, Copy)]
enum Contexts<'a> {
    One(&'a Context),
    Each(&'a [Context]),
}

impl<'a> Contexts<'a> {
    fn get(self, text: usize) -> &'a Context {
        match self {
            Contexts::One(context) => context,
            Contexts::Each(contexts) => &contexts[text],
        }
    }
}

impl Analyzer {
    /// Loads the model package in `dir` with default options.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        Self::builder(dir).build()
    }

    /// Options for loading the model package in `dir`.
    pub fn builder(dir: impl AsRef<Path>) -> AnalyzerBuilder {
        AnalyzerBuilder {
            dir: dir.as_ref().to_owned(),
            device: Device::Cpu,
            batch_size: 32,
            max_length: None,
            threads: None,
            encoder_dir: None,
            rules: None,
            languages: None,
            precision: None,
            max_chars: None,
            redact: false,
        }
    }

    /// The model's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The rule layer the analyses use (the model's configuration, with its catalog).
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The precision the encoder runs in: [`Precision::Int8`] or [`Precision::F16`] only
    /// where it was asked for, on the CPU, and the CPU has the instructions.
    pub fn precision(&self) -> Precision {
        self.encoder.precision()
    }

    /// Analyses one text.
    pub fn analyze(&self, text: &str) -> Result<Analysis> {
        Ok(self
            .analyze_batch(&[text])?
            .pop()
            .expect("one analysis per text"))
    }

    /// Analyses texts in batches grouped by length; results are in input order. Relative
    /// dates and times resolve against the current local time.
    pub fn analyze_batch(&self, texts: &[&str]) -> Result<Vec<Analysis>> {
        self.analyze_batch_with(texts, &Context::new(chrono::Local::now().fixed_offset()))
    }

    /// [`Analyzer::analyze_batch`] with the rule layer's reference time, time zone and
    /// locale given by `context`.
    pub fn analyze_batch_with(&self, texts: &[&str], context: &Context) -> Result<Vec<Analysis>> {
        Ok(self
            .run_pooled(texts, Contexts::One(context), false, None)?
            .0)
    }

    /// [`Analyzer::analyze_batch_with`] that gives up with [`Error::Cancelled`] once `cancel`
    /// is set: the flag is read before each encoder call (of `batch_size` windows), so a long
    /// batch stops within one encoder call of it being set. This is how a caller abandons a
    /// batch on Ctrl-C or a deadline; the analyzer works as before afterwards.
    pub fn analyze_batch_cancellable(
        &self,
        texts: &[&str],
        context: &Context,
        cancel: &AtomicBool,
    ) -> Result<Vec<Analysis>> {
        Ok(self
            .run_pooled(texts, Contexts::One(context), false, Some(cancel))?
            .0)
    }

    /// [`Analyzer::analyze_batch`] with a rule context per text, in one encoder pass: what a
    /// server does with a batch of requests from callers in different time zones.
    ///
    /// Errors with [`Error::Config`] when `contexts` and `texts` differ in length.
    pub fn analyze_batch_each(
        &self,
        texts: &[&str],
        contexts: &[Context],
    ) -> Result<Vec<Analysis>> {
        if texts.len() != contexts.len() {
            return Err(Error::Config(format!(
                "{} texts but {} contexts",
                texts.len(),
                contexts.len()
            )));
        }
        Ok(self
            .run_pooled(texts, Contexts::Each(contexts), false, None)?
            .0)
    }

    /// The analyses of `texts` (a rule context per text) and their sentence embeddings (as
    /// [`Analyzer::embed`]), from one encoder pass.
    pub(crate) fn analyze_embedded_each(
        &self,
        texts: &[&str],
        contexts: &[Context],
    ) -> Result<(Vec<Analysis>, Vec<Vec<f32>>)> {
        if texts.len() != contexts.len() {
            return Err(Error::Config(format!(
                "{} texts but {} contexts",
                texts.len(),
                contexts.len()
            )));
        }
        self.run_pooled(texts, Contexts::Each(contexts), true, None)
    }

    /// [`Analyzer::run`] in the analyzer's thread pool.
    fn run_pooled(
        &self,
        texts: &[&str],
        context: Contexts<'_>,
        embed: bool,
        cancel: Option<&AtomicBool>,
    ) -> Result<(Vec<Analysis>, Vec<Vec<f32>>)> {
        self.check_lengths(texts)?;
        let (mut analyses, embeddings) = threads::install(self.pool.as_ref(), || {
            self.run(texts, context, embed, cancel)
        })??;
        if self.redact {
            for (text, analysis) in texts.iter().zip(&mut analyses) {
                self.redact_analysis(text, analysis);
            }
        }
        Ok((analyses, embeddings))
    }

    /// The longest text accepted, in characters (see [`AnalyzerBuilder::max_chars`]).
    pub fn max_chars(&self) -> Option<usize> {
        self.max_chars
    }

    /// [`Error::TextTooLong`] for the first text over [`Analyzer::max_chars`].
    fn check_lengths(&self, texts: &[&str]) -> Result<()> {
        let Some(max) = self.max_chars else {
            return Ok(());
        };
        // A text of at most `max` bytes has at most `max` characters.
        for (index, text) in texts.iter().enumerate() {
            if text.len() > max {
                let chars = text.chars().count();
                if chars > max {
                    return Err(Error::TextTooLong { index, chars, max });
                }
            }
        }
        Ok(())
    }

    /// Replaces payment cards, Swedish personal identity numbers, IBANs, e-mail addresses
    /// and phone numbers by `[CARD]`, `[PERSONNUMMER]`, `[IBAN]`, `[EMAIL]`, `[PHONE]`;
    /// every other byte is unchanged. Needs no encoder pass.
    ///
    /// ```no_run
    /// # let analyzer = tolka::Analyzer::from_dir("models/commerce-en")?;
    /// let redaction = analyzer.redact("card 4111 1111 1111 1111, mail anna@example.se");
    /// assert_eq!(redaction.text, "card [CARD], mail [EMAIL]");
    /// assert_eq!(redaction.entities[1].text, "[EMAIL]");
    /// # Ok::<(), tolka::Error>(())
    /// ```
    pub fn redact(&self, text: &str) -> Redaction {
        let (redacted, matches) = crate::rules::redact(&self.rules, text);
        let entities = entity::merge(text, Vec::new(), matches);
        Redaction {
            text: redacted,
            entities: entity::without_personal_data(text, entities, &[]),
        }
    }

    /// Takes the personal data out of `analysis` (of `text`) as [`Analyzer::redact`] does
    /// for the text: entities over a card, personal identity number, IBAN, e-mail or phone
    /// carry the placeholder as `text`, and no value keeps the removed data. Returns the
    /// text's redaction.
    ///
    /// ```no_run
    /// # let analyzer = tolka::Analyzer::from_dir("models/commerce-en")?;
    /// let text = "refund to anna@example.se please";
    /// let mut analysis = analyzer.analyze(text)?;
    /// let redaction = analyzer.redact_analysis(text, &mut analysis);
    /// assert_eq!(redaction.text, "refund to [EMAIL] please");
    /// assert!(!serde_json::to_string(&analysis).unwrap().contains("anna"));
    /// # Ok::<(), tolka::Error>(())
    /// ```
    pub fn redact_analysis(&self, text: &str, analysis: &mut Analysis) -> Redaction {
        let redaction = self.redact(text);
        if let Some(entities) = analysis.entities.take() {
            analysis.entities = Some(entity::without_personal_data(
                text,
                entities,
                &redaction.entities,
            ));
        }
        redaction
    }

    /// Sentence embeddings (the model's pooling over the first window of each text).
    ///
    /// With LoRA adapters (as `models/commerce-en` has) they come from the encoder tuned for
    /// the model's heads, which does not keep the base encoder's cosine-similarity space; for
    /// semantic similarity use a package over the frozen encoder.
    ///
    /// One row per text, as wide as the encoder's hidden size (also for no texts).
    pub fn embed(&self, texts: &[&str]) -> Result<Array2<f32>> {
        let run = || {
            let tokens = self.encoder.tokenize(texts)?;
            let windows: Vec<Window> = tokens
                .iter()
                .enumerate()
                .map(|(text, t)| Window {
                    text,
                    start: 0,
                    len: t.ids.len().min(self.window_len()),
                })
                .collect();
            let mut out = Array2::zeros((texts.len(), self.encoder.hidden_size()));
            self.encode_windows(&tokens, &windows, None, |chunk, encoded| {
                for (row, vector) in chunk.iter().zip(encoded.pooled.to_vec2::<f32>()?) {
                    out.row_mut(*row).assign(&ArrayView1::from(&vector));
                }
                Ok(())
            })?;
            Ok(out)
        };
        threads::install(self.pool.as_ref(), run)?
    }

    /// Analyses `texts`; with `embed`, also returns each text's pooled first window (an empty
    /// vector for a blank text). Gives up once `cancel` is set (see [`Analyzer::encode_windows`]).
    fn run(
        &self,
        texts: &[&str],
        context: Contexts<'_>,
        embed: bool,
        cancel: Option<&AtomicBool>,
    ) -> Result<(Vec<Analysis>, Vec<Vec<f32>>)> {
        let live: Vec<usize> = (0..texts.len()).filter(|&i| !is_blank(texts[i])).collect();
        let live_texts: Vec<&str> = live.iter().map(|&i| texts[i]).collect();
        let tokens = self.encoder.tokenize(&live_texts)?;
        let windows = self.windows(&tokens);
        let mut outputs: Vec<WindowOutput> = Vec::new();
        outputs.resize_with(windows.len(), Default::default);
        let tag_count = self.manifest.entities.as_ref().map(|h| h.tag_count());
        let mut embeddings: Vec<Vec<f32>> = vec![Vec::new(); if embed { texts.len() } else { 0 }];
        self.encode_windows(&tokens, &windows, cancel, |chunk, encoded| {
            if embed {
                for (&w, vector) in chunk.iter().zip(encoded.pooled.to_vec2::<f32>()?) {
                    if windows[w].start == 0 {
                        embeddings[live[windows[w].text]] = vector;
                    }
                }
            }
            let intent =
                self.pooled_probs(&self.heads.intent, &encoded.pooled, self.temperature())?;
            let sentiment = self.pooled_probs(&self.heads.sentiment, &encoded.pooled, 1.0)?;
            let emotions = match &self.heads.emotions {
                Some(head) => Some(
                    candle_nn::ops::sigmoid(&head.forward(&encoded.pooled)?)?.to_vec2::<f32>()?,
                ),
                None => None,
            };
            let tags = match (&self.heads.entities, tag_count) {
                (Some(head), Some(n)) => {
                    let logp =
                        candle_nn::ops::log_softmax(&head.forward(&encoded.hidden)?, D::Minus1)?;
                    let len = logp.dim(1)?;
                    Some((logp.flatten_all()?.to_vec1::<f32>()?, len, n))
                }
                _ => None,
            };
            for (row, &w) in chunk.iter().enumerate() {
                let out = &mut outputs[w];
                if let Some(p) = &intent {
                    out.intent = p[row].clone();
                }
                if let Some(p) = &sentiment {
                    out.sentiment = p[row].clone();
                }
                if let Some(p) = &emotions {
                    out.emotions = p[row].clone();
                }
                if let Some((logp, len, n)) = &tags {
                    let base = (row * len + encoded.offset) * n;
                    out.tags = logp[base..base + windows[w].len * n].to_vec();
                }
            }
            Ok(())
        })?;

        // Windows of each live text, in token order.
        let mut by_text: Vec<Vec<usize>> = vec![Vec::new(); live.len()];
        for (w, window) in windows.iter().enumerate() {
            by_text[window.text].push(w);
        }
        let mut analyses: Vec<Option<Analysis>> = vec![None; texts.len()];
        let decoded: Vec<Analysis> = live
            .par_iter()
            .enumerate()
            .map(|(t, &i)| {
                self.decode(
                    texts[i],
                    &tokens[t],
                    &by_text[t],
                    &windows,
                    &outputs,
                    context.get(i),
                )
            })
            .collect();
        for (&i, analysis) in live.iter().zip(decoded) {
            analyses[i] = Some(analysis);
        }
        let analyses = analyses
            .into_iter()
            .map(|a| a.unwrap_or_else(|| self.empty_analysis()))
            .collect();
        Ok((analyses, embeddings))
    }

    fn temperature(&self) -> f32 {
        self.manifest.intent.as_ref().map_or(1.0, |h| h.temperature)
    }

    fn pooled_probs(
        &self,
        head: &Option<Head>,
        pooled: &Tensor,
        temperature: f32,
    ) -> Result<Option<Vec<Vec<f32>>>> {
        let Some(head) = head else { return Ok(None) };
        let logits = (head.forward(pooled)? / f64::from(temperature))?;
        Ok(Some(
            candle_nn::ops::softmax(&logits, D::Minus1)?.to_vec2::<f32>()?,
        ))
    }

    fn empty_analysis(&self) -> Analysis {
        Analysis {
            intent: self.manifest.intent.as_ref().map(Intent::empty),
            entities: (self.manifest.entities.is_some() || self.rules_in_analyses).then(Vec::new),
            sentiment: self
                .manifest
                .sentiment
                .as_ref()
                .map(|_| Sentiment::neutral()),
            emotions: self.manifest.emotions.as_ref().map(|_| Vec::new()),
            lang: None,
        }
    }

    /// Content tokens per window (max length minus the special tokens).
    fn window_len(&self) -> usize {
        self.max_length - self.encoder.special_len()
    }

    /// Splits texts into encoder windows. Without an entity head only the first window of a
    /// text is needed (intent and sentiment read the truncated text); with one, overlapping
    /// windows cover the whole text.
    fn windows(&self, tokens: &[Tokens]) -> Vec<Window> {
        let w = self.window_len();
        let stride = (w / 2).max(1);
        let mut windows = Vec::with_capacity(tokens.len());
        for (text, t) in tokens.iter().enumerate() {
            let n = t.ids.len();
            let count = if self.heads.entities.is_none() || n <= w {
                1
            } else {
                (n - w).div_ceil(stride) + 1
            };
            for k in 0..count {
                let start = k * stride;
                windows.push(Window {
                    text,
                    start,
                    len: w.min(n - start.min(n)),
                });
            }
        }
        windows
    }

    /// Runs the encoder over windows grouped by length, calling `visit` with each chunk's
    /// window indices and outputs. Returns [`Error::Cancelled`] before the next chunk once
    /// `cancel` is set.
    fn encode_windows(
        &self,
        tokens: &[Tokens],
        windows: &[Window],
        cancel: Option<&AtomicBool>,
        mut visit: impl FnMut(&[usize], &EncodedChunk) -> Result<()>,
    ) -> Result<()> {
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_key(|&w| std::cmp::Reverse(windows[w].len));
        for chunk in order.chunks(self.batch_size) {
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Cancelled);
            }
            let slices: Vec<&[u32]> = chunk
                .iter()
                .map(|&w| {
                    let win = windows[w];
                    &tokens[win.text].ids[win.start..win.start + win.len]
                })
                .collect();
            let (hidden, mask) = self.encoder.forward(&slices)?;
            let pooled = pool(&hidden, &mask, self.manifest.pooling)?;
            visit(
                chunk,
                &EncodedChunk {
                    hidden,
                    pooled,
                    offset: self.encoder.content_offset(),
                },
            )?;
        }
        Ok(())
    }

    /// Assembles the analysis of one text from its windows' outputs.
    fn decode(
        &self,
        text: &str,
        tokens: &Tokens,
        text_windows: &[usize],
        windows: &[Window],
        outputs: &[WindowOutput],
        context: &Context,
    ) -> Analysis {
        let first = &outputs[text_windows[0]];
        let intent = self
            .manifest
            .intent
            .as_ref()
            .map(|h| Intent::decode(h, &first.intent));
        let sentiment = self
            .manifest
            .sentiment
            .as_ref()
            .map(|h| Sentiment::decode(h, &first.sentiment));
        let emotions = self
            .manifest
            .emotions
            .as_ref()
            .map(|h| Emotion::decode(h, &first.emotions));
        let entities = self.manifest.entities.as_ref().map(|h| {
            let n_tags = h.tag_count();
            let stride = (self.window_len() / 2).max(1);
            // Log-probabilities of token `i`, from the window where it is most central.
            let token_log_probs = |i: usize| -> &[f32] {
                let k = (i / stride).min(text_windows.len() - 1);
                let centrality = |k: usize| {
                    let win = windows[text_windows[k]];
                    (i.saturating_sub(win.start)).min((win.start + win.len).saturating_sub(i + 1))
                };
                let k = if k > 0 && centrality(k - 1) > centrality(k) {
                    k - 1
                } else {
                    k
                };
                let win = windows[text_windows[k]];
                let local = i - win.start;
                &outputs[text_windows[k]].tags[local * n_tags..(local + 1) * n_tags]
            };
            let words = words(tokens, token_log_probs);
            let decoding = match (h.decoder, &self.heads.transitions) {
                (entity::Decoder::Argmax, _) => entity::Decoding::Argmax,
                (entity::Decoder::Learned, Some(t)) => entity::Decoding::Learned(t),
                _ => entity::Decoding::Constrained,
            };
            entity::decode(text, &words, &h.labels, decoding)
        });
        let lang = self.language_id.as_ref().and_then(|id| id.identify(text));
        let entities = if self.rules_in_analyses {
            // A reliably identified language picks the rules' locale when the call names
            // none; otherwise every configured locale is tried.
            let reliable = lang.as_ref().filter(|l| l.confidence > RELIABLE);
            let locale = match reliable.map(|l| l.code.as_str()) {
                Some("en") => Some(Locale::En),
                Some("sv") => Some(Locale::Sv),
                _ => None,
            };
            let local;
            let context = match locale {
                Some(l) if context.locale.is_none() && self.rules.locales().contains(&l) => {
                    local = Context {
                        locale: Some(l),
                        ..context.clone()
                    };
                    &local
                }
                _ => context,
            };
            Some(entity::merge(
                text,
                entities.unwrap_or_default(),
                self.rules.extract(text, context),
            ))
        } else {
            entities
        };
        Analysis {
            intent,
            entities,
            sentiment,
            emotions,
            lang,
        }
    }
}

/// True for a text with nothing to read: whitespace, control and format characters
/// (zero-width space and joiners, BOM, soft hyphen, bidi marks) and combining marks that
/// combine with nothing. Such a text gets the empty analysis (out of scope, neutral).
fn is_blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c,
                '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}' | '\u{FE00}'..='\u{FE0F}'
                // Combining diacritical marks (the blocks of U+0300, U+1AB0, U+1DC0, U+20D0, U+FE20).
                | '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
                | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
    })
}

/// Groups tokens into pre-tokenizer words: byte range and the first token's tag scores.
fn words<'a>(tokens: &Tokens, log_probs: impl Fn(usize) -> &'a [f32]) -> Vec<Word<'a>> {
    let mut words: Vec<Word<'a>> = Vec::new();
    let mut last_word = None;
    for (i, (&(start, end), &word)) in tokens.offsets.iter().zip(&tokens.words).enumerate() {
        match (word, words.last_mut()) {
            (Some(id), Some(w)) if last_word == Some(id) => w.end = w.end.max(end),
            _ => {
                words.push(Word {
                    start,
                    end,
                    log_probs: log_probs(i),
                });
                last_word = word;
            }
        }
    }
    words
}
