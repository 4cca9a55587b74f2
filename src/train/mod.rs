//! Training task heads on a frozen encoder.
//!
//! Encoder features are computed once and cached in memory: the pooled vector of every
//! record, and the state of the first token of every word for records with entities. Each
//! head then trains (AdamW, mini-batches, early stopping on dev loss) on the records that
//! carry its task.

mod finetune;
pub mod oos_pool;
mod progress;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::{Linear, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;

use crate::data::Record;
use crate::entity::{Decoder, begin_tag, inside_tag};
use crate::error::{Error, Result};
use crate::model::encoder::{Encoder, Tokens};
use crate::model::heads::Head;
use crate::model::lora::{ADAPTERS_FILE, LoraConfig, TrainBert};
use crate::model::manifest::relative_encoder_path;
use crate::model::{
    EmotionHead, EncoderRef, EntityHead, FORMAT_VERSION, FORMAT_VERSION_BASE, HEADS_FILE,
    IntentHead, Manifest, Pooling, SentimentHead, pool,
};
use crate::sentiment::SentimentLabel;
use crate::train::finetune::{Example, Special, Tasks, finetune};
pub use crate::train::finetune::{FinetuneOptions, FinetuneReport};
pub use crate::train::progress::Event;

/// Training options; `Default` gives the recipe used for the shipped models.
#[derive(Debug, Clone, Serialize)]
pub struct TrainOptions {
    /// Name written into the manifest.
    pub name: String,
    /// Base encoder directory (`config.json`, `tokenizer.json`, `model.safetensors`).
    pub encoder_dir: PathBuf,
    /// Base encoder name written into the manifest.
    pub encoder_name: String,
    pub pooling: Pooling,
    pub max_length: usize,
    pub seed: u64,
    pub max_epochs: usize,
    /// Epochs without dev-loss improvement before stopping.
    pub patience: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub batch_size: usize,
    /// Hidden layer sizes of the intent and sentiment heads (empty = linear).
    pub hidden: Vec<usize>,
    /// Hidden layer sizes of the entity head.
    pub entity_hidden: Vec<usize>,
    pub oos_label: String,
    /// Fixed out-of-scope threshold; `None` tunes it on dev when dev has out-of-scope examples.
    pub oos_threshold: Option<f32>,
    pub neutral_band: f32,
    /// The rule layer written into the manifest (`None`: no rule entities in analyses).
    pub rules: Option<crate::rules::RuleConfig>,
    /// The intent classifier over the pooled vectors.
    pub classifier: Classifier,
    /// Few-shot: keep only this many training records per intent (a seeded sample).
    pub per_label: Option<usize>,
    /// Training records with these intents are left out (dev keeps them: e.g. drop `oos` to
    /// learn out-of-scope detection from in-scope data only, tuning the threshold on dev).
    pub drop_intents: Vec<String>,
    /// How the entity head's tags are decoded; `Learned` fits BIO transition scores.
    pub decoder: Decoder,
    /// Fine-tune the encoder with LoRA adapters (jointly over the tasks) before the heads
    /// are fitted on its features; `None` keeps the encoder frozen.
    pub finetune: Option<FinetuneOptions>,
    /// When the training data has intents but no `oos_label` example, mix in the built-in
    /// out-of-scope pool ([`oos_pool`]) as that class (and into dev, when dev has none), so
    /// that off-topic text is recognised as out of scope.
    pub oos_pool: bool,
    /// Where the encoder runs while fine-tuning and encoding the records (the heads are
    /// fitted on the CPU). A GPU gives different rounding than the CPU, so a model trained
    /// there matches its CPU-trained twin closely, not bit for bit.
    pub device: crate::Device,
}

/// The intent classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Classifier {
    /// A feed-forward head (`hidden` layers, then linear), trained with AdamW.
    #[default]
    Linear,
    /// Nearest class centroid by cosine similarity (prototypes): no training, suited to a
    /// few examples per intent. Stored as a linear head whose rows are the L2-normalised
    /// centroids of the (L2-normalised) pooled vectors, scaled by [`PROTOTYPE_SCALE`].
    Prototype,
}

/// Scale of the prototype head's cosine logits before temperature scaling.
pub const PROTOTYPE_SCALE: f32 = 10.0;

impl std::str::FromStr for Classifier {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "linear" => Ok(Classifier::Linear),
            "prototype" => Ok(Classifier::Prototype),
            _ => Err(Error::Config(format!(
                "unknown classifier `{s}` (linear, prototype)"
            ))),
        }
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            name: "model".into(),
            encoder_dir: PathBuf::from("models/base/all-MiniLM-L6-v2"),
            encoder_name: "all-MiniLM-L6-v2".into(),
            pooling: Pooling::MeanNormalized,
            max_length: 128,
            seed: 13,
            max_epochs: 100,
            patience: 5,
            learning_rate: 3e-3,
            weight_decay: 1e-4,
            batch_size: 64,
            hidden: Vec::new(),
            entity_hidden: Vec::new(),
            oos_label: "oos".into(),
            oos_threshold: None,
            neutral_band: 0.0,
            rules: None,
            classifier: Classifier::Linear,
            per_label: None,
            drop_intents: Vec::new(),
            decoder: Decoder::Learned,
            finetune: None,
            oos_pool: true,
            device: crate::Device::Cpu,
        }
    }
}

/// What one head reached on dev.
#[derive(Debug, Clone, Serialize)]
pub struct HeadReport {
    pub head: &'static str,
    pub train_examples: usize,
    pub dev_examples: usize,
    pub best_epoch: usize,
    pub dev_loss: f32,
    /// Accuracy on dev (for entities: per-word tag accuracy).
    pub dev_accuracy: f32,
}

/// Summary of a training run.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub heads: Vec<HeadReport>,
    pub oos_threshold: Option<f32>,
    /// Softmax temperature of the intent head, fitted on dev.
    pub temperature: Option<f32>,
    /// Dev AUROC of out-of-scope scores (when dev has out-of-scope records): `msp`
    /// (1 − the best in-scope calibrated probability, what the analyzer thresholds),
    /// `energy` (−T·logsumexp(in-scope logits / T)) and `centroid` (1 − the best cosine
    /// similarity to an in-scope class centroid of the training vectors).
    pub oos_auroc: Vec<(&'static str, f64)>,
    /// Word-level entity span F1 on dev of each decoder (when dev has entities).
    pub decoding: Option<DecodingReport>,
    /// Encoder fine-tuning, when it ran.
    pub finetune: Option<FinetuneReport>,
}

/// Entity decoders compared on dev (exact spans over words, micro F1).
#[derive(Debug, Clone, Serialize)]
pub struct DecodingReport {
    pub argmax_f1: f64,
    pub constrained_f1: f64,
    pub learned_f1: f64,
    /// Weight of the learned transition scores, chosen on dev (0 = constrained).
    pub transition_weight: f32,
}

/// Cached encoder features of one record.
struct Features {
    pooled: Vec<f32>,
    /// First-token states of the words (`words × hidden`), when the record has entities.
    words: Vec<f32>,
    tags: Vec<u32>,
}

/// Trains the heads for the tasks present in `train` and writes a model package to `out`.
pub fn train(
    train: &[Record],
    dev: &[Record],
    options: &TrainOptions,
    out: &Path,
    progress: &mut dyn FnMut(Event),
) -> Result<TrainReport> {
    if train.is_empty() {
        return Err(Error::Config("no training records".into()));
    }
    if options.batch_size == 0 || options.max_epochs == 0 {
        return Err(Error::Config(
            "batch size and epochs must be positive".into(),
        ));
    }
    let mut train = select(train, options);
    if train.is_empty() {
        return Err(Error::Config(
            "no training records left after sampling".into(),
        ));
    }
    let is_oos = |r: &Record| r.intent.as_deref() == Some(options.oos_label.as_str());
    let mut dev_owned;
    let mut dev = dev;
    if options.oos_pool && train.iter().any(|r| r.intent.is_some()) && !train.iter().any(is_oos) {
        let mut per_intent = std::collections::HashMap::new();
        for intent in train.iter().filter_map(|r| r.intent.as_deref()) {
            *per_intent.entry(intent).or_insert(0usize) += 1;
        }
        let largest = per_intent.values().copied().max().unwrap_or(0);
        let dev_in_scope = dev.iter().filter(|r| r.intent.is_some()).count();
        // Dev gets pool texts only beside in-scope ones (an empty dev is cut from train).
        let dev_size = if dev.iter().any(is_oos) || dev_in_scope == 0 {
            0
        } else {
            dev_in_scope.max(50)
        };
        let (pool_train, pool_dev) =
            oos_pool::sample(&options.oos_label, largest, dev_size, options.seed);
        train.extend(pool_train);
        if !pool_dev.is_empty() {
            dev_owned = dev.to_vec();
            dev_owned.extend(pool_dev);
            dev = &dev_owned;
        }
    }
    let train = &train;
    let device = options.device.to_candle()?;
    let encoder = Encoder::load(&options.encoder_dir, &device)?;
    if options.max_length < encoder.special_len() + 2
        || options.max_length > encoder.max_positions()
    {
        return Err(Error::Config(format!(
            "max length {} is out of range",
            options.max_length
        )));
    }

    let entity_labels: Vec<String> = train
        .iter()
        .flat_map(|r| r.entities.iter().flatten().map(|s| s.label.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let intent_labels: Vec<String> = train
        .iter()
        .filter_map(|r| r.intent.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let sentiment_labels: Vec<SentimentLabel> = train
        .iter()
        .filter_map(|r| r.sentiment)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let emotion_labels: Vec<String> = train
        .iter()
        .flat_map(|r| r.emotions.iter().flatten().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut finetune_report = None;
    let mut adapters = None;
    let encoder = match &options.finetune {
        Some(ft) => {
            let labels = Labels {
                intents: &intent_labels,
                sentiments: &sentiment_labels,
                entities: &entity_labels,
            };
            let (report, lora) =
                finetune_encoder(&encoder, train, &labels, ft, options, out, progress)?;
            finetune_report = Some(report);
            let path = out.join(&lora.file);
            let adapted = Encoder::load_adapted(
                &options.encoder_dir,
                &device,
                Some((&path, &lora)),
                None,
                crate::model::Precision::F32,
            )?;
            adapters = Some(lora);
            adapted
        }
        None => encoder,
    };
    let all: Vec<&Record> = train.iter().chain(dev).collect();
    progress(Event::Stage {
        name: "encoding".into(),
        total: all.len() as u64,
    });
    let features = extract(&encoder, &all, &entity_labels, options, progress)?;
    let (train_f, dev_f) = features.split_at(train.len());
    let hidden = encoder.hidden_size();

    let mut rng = StdRng::seed_from_u64(options.seed);
    let varmap = candle_nn::VarMap::new();
    let mut reports = Vec::new();
    let mut manifest = Manifest {
        format_version: if adapters.is_some() {
            FORMAT_VERSION
        } else {
            FORMAT_VERSION_BASE
        },
        name: options.name.clone(),
        encoder: EncoderRef {
            name: options.encoder_name.clone(),
            sha256: encoder.sha256().to_owned(),
            path: relative_encoder_path(out, &options.encoder_dir),
            vocabulary: None,
        },
        pooling: options.pooling,
        max_length: options.max_length,
        intent: None,
        entities: None,
        sentiment: None,
        emotions: None,
        rules: options.rules.clone(),
        languages: None,
        adapters,
        precision: None,
    };

    // Intent.
    let mut oos_threshold = None;
    let mut intent_temperature = None;
    let mut oos_auroc = Vec::new();
    let mut manifest_hidden = options.hidden.clone();
    let mut decoding = None;
    if intent_labels.len() >= 2 {
        let pick = |records: &[Record], feats: &[Features]| -> (Vec<f32>, Vec<u32>) {
            let mut xs = Vec::new();
            let mut ys = Vec::new();
            for (r, f) in records.iter().zip(feats) {
                if let Some(label) = &r.intent
                    && let Ok(y) = intent_labels.binary_search(label)
                {
                    xs.extend_from_slice(&f.pooled);
                    ys.push(y as u32);
                }
            }
            (xs, ys)
        };
        let (train_set, dev_set) =
            with_dev(pick(train, train_f), pick(dev, dev_f), hidden, 1, &mut rng);
        let (head, report) = match options.classifier {
            Classifier::Linear => fit(
                "intent",
                &varmap,
                &train_set,
                &dev_set,
                hidden,
                &options.hidden,
                intent_labels.len(),
                options,
                &mut rng,
                progress,
            )?,
            Classifier::Prototype => {
                prototypes(&varmap, &train_set, &dev_set, intent_labels.len())?
            }
        };
        // Dev records of the out-of-scope label when it is not a trained class.
        let oos_extra: Vec<f32> = if intent_labels.contains(&options.oos_label) {
            Vec::new()
        } else {
            dev.iter()
                .zip(dev_f)
                .filter(|(r, _)| r.intent.as_deref() == Some(options.oos_label.as_str()))
                .flat_map(|(_, f)| f.pooled.iter().copied())
                .collect()
        };
        let oos_extra = Tensor::from_vec(
            oos_extra.clone(),
            (oos_extra.len() / hidden, hidden),
            &Device::Cpu,
        )?;
        let temperature = fit_temperature(&head, &dev_set)?;
        let oos = OosDev::new(
            &head,
            &dev_set,
            &oos_extra,
            temperature,
            &intent_labels,
            &options.oos_label,
        )?;
        if oos.has_oos() {
            oos_auroc = oos.aurocs(&train_set, &intent_labels, &options.oos_label)?;
        }
        let threshold = match options.oos_threshold {
            Some(t) => t,
            None => oos.tune_threshold(),
        };
        if options.classifier == Classifier::Prototype {
            // The prototype head is linear whatever `hidden` says.
            manifest_hidden = Vec::new();
        }
        oos_threshold = Some(threshold);
        intent_temperature = Some(temperature);
        manifest.intent = Some(IntentHead {
            labels: intent_labels.clone(),
            hidden: manifest_hidden,
            oos_label: options.oos_label.clone(),
            oos_threshold: threshold,
            temperature,
        });
        reports.push(report);
    }

    // Entities.
    if !entity_labels.is_empty() {
        let pick = |records: &[Record], feats: &[Features]| -> (Vec<f32>, Vec<u32>) {
            let mut xs = Vec::new();
            let mut ys = Vec::new();
            for (r, f) in records.iter().zip(feats) {
                if r.entities.is_some() {
                    xs.extend_from_slice(&f.words);
                    ys.extend_from_slice(&f.tags);
                }
            }
            (xs, ys)
        };
        let tags = 1 + 2 * entity_labels.len();
        let (train_set, dev_set) =
            with_dev(pick(train, train_f), pick(dev, dev_f), hidden, 1, &mut rng);
        let (head, report) = fit(
            "entities",
            &varmap,
            &train_set,
            &dev_set,
            hidden,
            &options.entity_hidden,
            tags,
            options,
            &mut rng,
            progress,
        )?;
        if options.decoder == Decoder::Learned {
            let sequences = |records: &[Record], feats: &'_ [Features]| -> Vec<Vec<u32>> {
                records
                    .iter()
                    .zip(feats)
                    .filter(|(r, _)| r.entities.is_some())
                    .map(|(_, f)| f.tags.clone())
                    .collect()
            };
            let train_seqs = sequences(train, train_f);
            let dev_seqs = sequences(dev, dev_f);
            let (transitions, report) =
                fit_transitions(&head, &train_seqs, &dev_seqs, &dev_set, tags)?;
            let var = Var::from_tensor(&Tensor::from_vec(
                transitions,
                (tags + 1, tags),
                &Device::Cpu,
            )?)?;
            varmap
                .data()
                .lock()
                .expect("varmap lock")
                .insert("entities.transitions".into(), var);
            decoding = report;
        }
        manifest.entities = Some(EntityHead {
            labels: entity_labels.clone(),
            hidden: options.entity_hidden.clone(),
            decoder: options.decoder,
        });
        reports.push(report);
    }

    // Sentiment.
    if sentiment_labels.len() >= 2 {
        let pick = |records: &[Record], feats: &[Features]| -> (Vec<f32>, Vec<u32>) {
            let mut xs = Vec::new();
            let mut ys = Vec::new();
            for (r, f) in records.iter().zip(feats) {
                if let Some(label) = r.sentiment
                    && let Ok(y) = sentiment_labels.binary_search(&label)
                {
                    xs.extend_from_slice(&f.pooled);
                    ys.push(y as u32);
                }
            }
            (xs, ys)
        };
        let (train_set, dev_set) =
            with_dev(pick(train, train_f), pick(dev, dev_f), hidden, 1, &mut rng);
        let (_, report) = fit(
            "sentiment",
            &varmap,
            &train_set,
            &dev_set,
            hidden,
            &options.hidden,
            sentiment_labels.len(),
            options,
            &mut rng,
            progress,
        )?;
        manifest.sentiment = Some(SentimentHead {
            labels: sentiment_labels,
            hidden: options.hidden.clone(),
            neutral_band: options.neutral_band,
        });
        reports.push(report);
    }

    // Emotions (multi-label).
    if !emotion_labels.is_empty() {
        let k = emotion_labels.len();
        let pick = |records: &[Record], feats: &[Features]| -> (Vec<f32>, Vec<f32>) {
            let mut xs = Vec::new();
            let mut ys = Vec::new();
            for (r, f) in records.iter().zip(feats) {
                if let Some(emotions) = &r.emotions {
                    xs.extend_from_slice(&f.pooled);
                    let mut target = vec![0f32; k];
                    for e in emotions {
                        if let Ok(j) = emotion_labels.binary_search(e) {
                            target[j] = 1.0;
                        }
                    }
                    ys.extend(target);
                }
            }
            (xs, ys)
        };
        let (train_set, dev_set) =
            with_dev(pick(train, train_f), pick(dev, dev_f), hidden, k, &mut rng);
        let (head, report) = fit(
            "emotions",
            &varmap,
            &train_set,
            &dev_set,
            hidden,
            &options.hidden,
            k,
            options,
            &mut rng,
            progress,
        )?;
        let thresholds = tune_label_thresholds(&head, &dev_set)?;
        manifest.emotions = Some(EmotionHead {
            labels: emotion_labels,
            hidden: options.hidden.clone(),
            thresholds,
        });
        reports.push(report);
    }

    if reports.is_empty() {
        return Err(Error::Config(
            "the training data carries no task (intent, entities, sentiment or emotions)".into(),
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let heads_path = out.join(HEADS_FILE);
    varmap.save(&heads_path).map_err(|source| Error::Tensors {
        path: heads_path,
        source,
    })?;
    manifest.write(out)?;
    Ok(TrainReport {
        heads: reports,
        oos_threshold,
        temperature: intent_temperature,
        oos_auroc,
        decoding,
        finetune: finetune_report,
    })
}

/// The label sets of the tasks, sorted (class ids are indices).
struct Labels<'a> {
    intents: &'a [String],
    sentiments: &'a [SentimentLabel],
    entities: &'a [String],
}

/// Fine-tunes LoRA adapters of the encoder on `train` (a seeded sample of `max_records`
/// when set) and writes them to `out`; returns the report and the manifest's adapter entry.
fn finetune_encoder(
    encoder: &Encoder,
    train: &[Record],
    labels: &Labels,
    ft: &FinetuneOptions,
    options: &TrainOptions,
    out: &Path,
    progress: &mut dyn FnMut(Event),
) -> Result<(FinetuneReport, LoraConfig)> {
    let lora = LoraConfig {
        file: ADAPTERS_FILE.to_owned(),
        rank: ft.rank,
        alpha: ft.alpha,
        targets: ft.targets.clone(),
    };
    lora.validate().map_err(Error::Config)?;
    // Its own generator, so that the heads fitted afterwards see the same draws as without.
    let mut rng = StdRng::seed_from_u64(options.seed ^ 0x4c6f_5241);
    let mut chosen: Vec<usize> = (0..train.len()).collect();
    if let Some(n) = ft.max_records
        && n < train.len()
    {
        chosen.shuffle(&mut rng);
        // Records of the intent and entity tasks first (a stable sort keeps the shuffle
        // within each group), then sentiment- or emotion-only records fill what is left.
        chosen.sort_by_key(|&i| train[i].intent.is_none() && train[i].entities.is_none());
        chosen.truncate(n);
        chosen.sort_unstable();
    }
    let records: Vec<&Record> = chosen.iter().map(|&i| &train[i]).collect();
    let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
    let window = options.max_length - encoder.special_len();
    let tokens = encoder.tokenize(&texts)?;
    let class = |set: &[String], label: &Option<String>| -> Option<u32> {
        if set.len() < 2 {
            return None;
        }
        label
            .as_ref()
            .and_then(|l| set.binary_search(l).ok())
            .map(|y| y as u32)
    };
    let examples: Vec<Example> = records
        .iter()
        .zip(tokens)
        .map(|(r, mut t)| {
            t.ids.truncate(window);
            t.offsets.truncate(window);
            t.words.truncate(window);
            let words = match &r.entities {
                Some(spans) if !labels.entities.is_empty() => {
                    word_tags(&r.text, &t, spans, labels.entities)
                }
                _ => Vec::new(),
            };
            Example {
                intent: class(labels.intents, &r.intent),
                sentiment: r
                    .sentiment
                    .filter(|_| labels.sentiments.len() >= 2)
                    .and_then(|s| labels.sentiments.binary_search(&s).ok())
                    .map(|y| y as u32),
                words,
                ids: t.ids,
            }
        })
        .collect();
    let (vb, config, parts) =
        Encoder::weights(&options.encoder_dir, encoder.device(), None, None, false)?;
    let model = TrainBert::load(vb, &config, &lora, &mut rng).map_err(|source| Error::Tensors {
        path: parts.weights_path.clone(),
        source,
    })?;
    let special = Special {
        prefix: &parts.prefix,
        suffix: &parts.suffix,
        pad_id: parts.pad_id,
    };
    let tasks = Tasks {
        intents: Some(labels.intents.len()),
        sentiments: Some(labels.sentiments.len()),
        tags: (!labels.entities.is_empty()).then(|| 1 + 2 * labels.entities.len()),
    };
    let report = finetune(
        &model,
        &examples,
        &special,
        tasks,
        encoder.hidden_size(),
        options.pooling,
        ft,
        &mut rng,
        progress,
    )?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    model.save_adapters(&out.join(&lora.file))?;
    Ok((report, lora))
}

/// Encodes every record once: pooled vectors and first-token word states with BIO tags.
fn extract(
    encoder: &Encoder,
    records: &[&Record],
    entity_labels: &[String],
    options: &TrainOptions,
    progress: &mut dyn FnMut(Event),
) -> Result<Vec<Features>> {
    let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
    let mut tokens = encoder.tokenize(&texts)?;
    let window = options.max_length - encoder.special_len();
    for t in &mut tokens {
        t.ids.truncate(window);
        t.offsets.truncate(window);
        t.words.truncate(window);
    }
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(tokens[i].ids.len()));
    let mut features: Vec<Option<Features>> = (0..records.len()).map(|_| None).collect();
    let offset = encoder.content_offset();
    for chunk in order.chunks(64) {
        let slices: Vec<&[u32]> = chunk.iter().map(|&i| tokens[i].ids.as_slice()).collect();
        let (hidden, mask) = encoder.forward(&slices)?;
        let pooled = pool(&hidden, &mask, options.pooling)?.to_vec2::<f32>()?;
        let (_, len, h) = hidden.dims3()?;
        let needs_words = chunk.iter().any(|&i| records[i].entities.is_some());
        let states = if needs_words {
            hidden.flatten_all()?.to_vec1::<f32>()?
        } else {
            Vec::new()
        };
        for (row, &i) in chunk.iter().enumerate() {
            let record = records[i];
            let mut f = Features {
                pooled: pooled[row].clone(),
                words: Vec::new(),
                tags: Vec::new(),
            };
            if let Some(spans) = &record.entities {
                for (token, tag) in word_tags(&record.text, &tokens[i], spans, entity_labels) {
                    let base = (row * len + offset + token) * h;
                    f.words.extend_from_slice(&states[base..base + h]);
                    f.tags.push(tag);
                }
            }
            features[i] = Some(f);
        }
        progress(Event::Advance(chunk.len() as u64));
    }
    Ok(features
        .into_iter()
        .map(|f| f.expect("every record encoded"))
        .collect())
}

/// The first token of every word with its gold BIO tag (unknown labels become `O`).
pub(crate) fn word_tags(
    text: &str,
    tokens: &Tokens,
    spans: &[crate::data::Span],
    labels: &[String],
) -> Vec<(usize, u32)> {
    // Character offset of every byte offset that starts a token.
    let mut chars = crate::entity::CharOffsets::new(text);
    let mut result = Vec::new();
    let mut last_word = None;
    let mut prev_span: Option<usize> = None;
    for (i, (&(start, _), &word)) in tokens.offsets.iter().zip(&tokens.words).enumerate() {
        if word.is_some() && word == last_word {
            continue;
        }
        last_word = word;
        let c = chars.char_offset(start);
        let span = spans.iter().position(|s| s.start <= c && c < s.end);
        let tag =
            match span.and_then(|s| labels.binary_search(&spans[s].label).ok().map(|k| (s, k))) {
                Some((s, k)) if prev_span == Some(s) => inside_tag(k),
                Some((_, k)) => begin_tag(k),
                None => 0,
            };
        prev_span = span;
        result.push((i, tag as u32));
    }
    result
}

/// Examples of one head: features `n × dim` and class ids.
struct Set {
    xs: Tensor,
    ys: Tensor,
    n: usize,
}

/// Builds train/dev tensors; when dev has no examples, 10% of train (seeded) becomes dev.
///
/// The targets are class indices (`u32`, one per example) or, for a multi-label head,
/// `width` multi-hot `f32`s per example.
fn with_dev<T: candle_core::WithDType>(
    train: (Vec<f32>, Vec<T>),
    dev: (Vec<f32>, Vec<T>),
    dim: usize,
    width: usize,
    rng: &mut StdRng,
) -> (Set, Set) {
    let step = if T::DTYPE == DType::U32 { 1 } else { width };
    let to_set = |(xs, ys): (Vec<f32>, Vec<T>)| {
        let n = ys.len() / step;
        let ys = if T::DTYPE == DType::U32 {
            Tensor::from_vec(ys, n, &Device::Cpu)
        } else {
            Tensor::from_vec(ys, (n, step), &Device::Cpu)
        };
        Set {
            xs: Tensor::from_vec(xs, (n, dim), &Device::Cpu).expect("shape"),
            ys: ys.expect("shape"),
            n,
        }
    };
    if !dev.1.is_empty() {
        return (to_set(train), to_set(dev));
    }
    let (xs, ys) = train;
    let n = ys.len() / step;
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(rng);
    let cut = (n / 10).max(1).min(n.saturating_sub(1));
    let gather = |ids: &[usize]| {
        let mut gx = Vec::with_capacity(ids.len() * dim);
        let mut gy = Vec::with_capacity(ids.len() * step);
        for &i in ids {
            gx.extend_from_slice(&xs[i * dim..(i + 1) * dim]);
            gy.extend_from_slice(&ys[i * step..(i + 1) * step]);
        }
        (gx, gy)
    };
    (to_set(gather(&idx[cut..])), to_set(gather(&idx[..cut])))
}

/// Trains one head; its best (lowest dev loss) weights stay in `varmap`.
#[allow(clippy::too_many_arguments)]
fn fit(
    name: &'static str,
    varmap: &candle_nn::VarMap,
    train: &Set,
    dev: &Set,
    input: usize,
    hidden: &[usize],
    classes: usize,
    options: &TrainOptions,
    rng: &mut StdRng,
    progress: &mut dyn FnMut(Event),
) -> Result<(Head, HeadReport)> {
    if train.n == 0 {
        return Err(Error::Config(format!(
            "no training examples for the {name} head"
        )));
    }
    let sizes = Head::sizes(input, hidden, classes);
    let mut vars = Vec::new();
    let mut layers = Vec::new();
    for (i, io) in sizes.windows(2).enumerate() {
        // Glorot-uniform weights from the seeded generator, zero biases.
        let bound = (6.0 / (io[0] + io[1]) as f32).sqrt();
        let w: Vec<f32> = (0..io[0] * io[1])
            .map(|_| rng.random_range(-bound..bound))
            .collect();
        let weight = Var::from_tensor(&Tensor::from_vec(w, (io[1], io[0]), &Device::Cpu)?)?;
        let bias = Var::zeros(io[1], DType::F32, &Device::Cpu)?;
        layers.push(Linear::new(
            weight.as_tensor().clone(),
            Some(bias.as_tensor().clone()),
        ));
        let mut data = varmap.data().lock().expect("varmap lock");
        data.insert(format!("{name}.{i}.weight"), weight.clone());
        data.insert(format!("{name}.{i}.bias"), bias.clone());
        vars.push(weight);
        vars.push(bias);
    }
    let head = Head::new(layers);
    let mut opt = candle_nn::AdamW::new(
        vars.clone(),
        ParamsAdamW {
            lr: options.learning_rate,
            weight_decay: options.weight_decay,
            ..Default::default()
        },
    )?;
    progress(Event::Stage {
        name: format!("training {name}"),
        total: options.max_epochs as u64,
    });
    let mut best: Option<(f32, usize, f32, Vec<Tensor>)> = None;
    let mut order: Vec<u32> = (0..train.n as u32).collect();
    for epoch in 1..=options.max_epochs {
        order.shuffle(rng);
        let mut total = 0f32;
        for batch in order.chunks(options.batch_size) {
            let idx = Tensor::new(batch, &Device::Cpu)?;
            let xs = train.xs.index_select(&idx, 0)?;
            let ys = train.ys.index_select(&idx, 0)?;
            let loss = loss(&head.forward(&xs)?, &ys)?;
            opt.backward_step(&loss)?;
            total += loss.to_scalar::<f32>()? * batch.len() as f32;
        }
        let (dev_loss, dev_accuracy) = evaluate(&head, dev)?;
        progress(Event::Epoch {
            head: name,
            epoch,
            train_loss: total / train.n as f32,
            dev_loss,
            dev_accuracy,
        });
        progress(Event::Advance(1));
        match &best {
            Some((loss, best_epoch, ..)) if dev_loss >= *loss => {
                if epoch - best_epoch >= options.patience {
                    break;
                }
            }
            _ => {
                let snapshot = vars
                    .iter()
                    .map(|v| v.as_tensor().copy())
                    .collect::<candle_core::Result<_>>()?;
                best = Some((dev_loss, epoch, dev_accuracy, snapshot));
            }
        }
    }
    let (dev_loss, best_epoch, dev_accuracy, snapshot) = best.expect("at least one epoch");
    for (var, saved) in vars.iter().zip(&snapshot) {
        var.set(saved)?;
    }
    Ok((
        head,
        HeadReport {
            head: name,
            train_examples: train.n,
            dev_examples: dev.n,
            best_epoch,
            dev_loss,
            dev_accuracy,
        },
    ))
}

/// The training loss: softmax cross-entropy for class indices, binary cross-entropy per label
/// for multi-hot targets.
fn loss(logits: &Tensor, ys: &Tensor) -> candle_core::Result<Tensor> {
    if ys.rank() == 1 {
        candle_nn::loss::cross_entropy(logits, ys)
    } else {
        candle_nn::loss::binary_cross_entropy_with_logit(logits, ys)
    }
}

/// Mean loss and accuracy of a head on a set (for a multi-label head: the share of labels
/// decided right at probability 0.5).
fn evaluate(head: &Head, set: &Set) -> Result<(f32, f32)> {
    if set.n == 0 {
        return Ok((0.0, 0.0));
    }
    let logits = head.forward(&set.xs)?;
    let loss = loss(&logits, &set.ys)?.to_scalar::<f32>()?;
    if set.ys.rank() == 2 {
        let decided = logits.ge(0f32)?.to_dtype(DType::F32)?;
        let right = decided.eq(&set.ys)?.to_dtype(DType::F32)?.mean_all()?;
        return Ok((loss, right.to_scalar::<f32>()?));
    }
    let predicted = logits.argmax(D::Minus1)?;
    let correct = predicted
        .eq(&set.ys)?
        .to_dtype(DType::F32)?
        .sum_all()?
        .to_scalar::<f32>()?;
    Ok((loss, correct / set.n as f32))
}

/// Per-label decision thresholds of a multi-label head: for each label the probability cut
/// (0.05 to 0.95 in steps of 0.025) with the best F1 on dev; 0.5 for a label dev never has.
fn tune_label_thresholds(head: &Head, dev: &Set) -> Result<Vec<f32>> {
    let k = dev.ys.dim(1)?;
    if dev.n == 0 {
        return Ok(vec![0.5; k]);
    }
    let probs = candle_nn::ops::sigmoid(&head.forward(&dev.xs)?)?.to_vec2::<f32>()?;
    let gold = dev.ys.to_vec2::<f32>()?;
    Ok((0..k)
        .map(|j| {
            let positives = gold.iter().filter(|g| g[j] > 0.5).count();
            if positives == 0 {
                return 0.5;
            }
            let f1 = |t: f32| {
                let (mut tp, mut predicted) = (0usize, 0usize);
                for (p, g) in probs.iter().zip(&gold) {
                    if p[j] >= t {
                        predicted += 1;
                        tp += usize::from(g[j] > 0.5);
                    }
                }
                2.0 * tp as f32 / (predicted + positives) as f32
            };
            (2..=38)
                .map(|i| i as f32 * 0.025)
                .map(|t| (f1(t), t))
                .fold((-1.0, 0.5), |best, c| if c.0 > best.0 { c } else { best })
                .1
        })
        .collect())
}

/// Temperature scaling (Guo et al., 2017): the softmax temperature that minimises the
/// negative log-likelihood on dev, searched on a log-spaced grid from 0.05 to 20.
fn fit_temperature(head: &Head, dev: &Set) -> Result<f32> {
    if dev.n == 0 {
        return Ok(1.0);
    }
    let logits = head.forward(&dev.xs)?;
    let mut best = (f32::INFINITY, 1.0f32);
    for step in 0..=120 {
        let t = (0.05f32.ln() + (20f32.ln() - 0.05f32.ln()) * step as f32 / 120.0).exp();
        let nll = candle_nn::loss::cross_entropy(&(&logits / f64::from(t))?, &dev.ys)?
            .to_scalar::<f32>()?;
        if nll < best.0 {
            best = (nll, t);
        }
    }
    Ok(best.1)
}

/// The training records after `drop_intents` and the few-shot `per_label` sample (seeded;
/// records without an intent are all kept).
fn select(train: &[Record], options: &TrainOptions) -> Vec<Record> {
    let kept: Vec<&Record> = train
        .iter()
        .filter(|r| {
            !r.intent
                .as_ref()
                .is_some_and(|i| options.drop_intents.contains(i))
        })
        .collect();
    let Some(n) = options.per_label else {
        return kept.into_iter().cloned().collect();
    };
    let mut by_label: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    let mut chosen: Vec<usize> = Vec::new();
    for (i, r) in kept.iter().enumerate() {
        match &r.intent {
            Some(label) => by_label.entry(label).or_default().push(i),
            None => chosen.push(i),
        }
    }
    let mut rng = StdRng::seed_from_u64(options.seed);
    for ids in by_label.values_mut() {
        ids.shuffle(&mut rng);
        chosen.extend(ids.iter().take(n));
    }
    chosen.sort_unstable();
    chosen.into_iter().map(|i| kept[i].clone()).collect()
}

/// The prototype classifier: one row per class, the normalised mean of its normalised
/// training vectors (times [`PROTOTYPE_SCALE`]), stored in `varmap` as a linear `intent` head.
fn prototypes(
    varmap: &candle_nn::VarMap,
    train: &Set,
    dev: &Set,
    classes: usize,
) -> Result<(Head, HeadReport)> {
    if train.n == 0 {
        return Err(Error::Config(
            "no training examples for the intent head".into(),
        ));
    }
    let xs = train.xs.to_vec2::<f32>()?;
    let ys = train.ys.to_vec1::<u32>()?;
    let dim = xs[0].len();
    let mut w = vec![0f32; classes * dim];
    for (x, &y) in xs.iter().zip(&ys) {
        let norm = x.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        for (acc, v) in w[y as usize * dim..][..dim].iter_mut().zip(x) {
            *acc += v / norm;
        }
    }
    for row in w.chunks_mut(dim) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        row.iter_mut().for_each(|v| *v *= PROTOTYPE_SCALE / norm);
    }
    let weight = Var::from_tensor(&Tensor::from_vec(w, (classes, dim), &Device::Cpu)?)?;
    let bias = Var::zeros(classes, DType::F32, &Device::Cpu)?;
    let head = Head::new(vec![Linear::new(
        weight.as_tensor().clone(),
        Some(bias.as_tensor().clone()),
    )]);
    {
        let mut data = varmap.data().lock().expect("varmap lock");
        data.insert("intent.0.weight".into(), weight);
        data.insert("intent.0.bias".into(), bias);
    }
    let (dev_loss, dev_accuracy) = evaluate(&head, dev)?;
    Ok((
        head,
        HeadReport {
            head: "intent",
            train_examples: train.n,
            dev_examples: dev.n,
            best_epoch: 0,
            dev_loss,
            dev_accuracy,
        },
    ))
}

/// Learned transition scores for the entity decoder (see
/// [`crate::entity::learn_transitions`]): add-one smoothed tag bigrams of the training
/// sequences, with the weight that maximises word-level span F1 on the dev sequences
/// (grid 0..2; 0 = plain constrained decoding). Without dev sequences the weight is 0.5.
fn fit_transitions(
    head: &Head,
    train_seqs: &[Vec<u32>],
    dev_seqs: &[Vec<u32>],
    dev: &Set,
    tags: usize,
) -> Result<(Vec<f32>, Option<DecodingReport>)> {
    use crate::entity::{Decoding, decode_tags, learn_transitions, tag_spans};
    const SMOOTHING: f32 = 1.0;
    let seqs: Vec<&[u32]> = train_seqs.iter().map(Vec::as_slice).collect();
    let dev_words: usize = dev_seqs.iter().map(Vec::len).sum();
    if dev_words == 0 || dev_words != dev.n {
        return Ok((learn_transitions(&seqs, tags, SMOOTHING, 0.5), None));
    }
    let log_probs =
        candle_nn::ops::log_softmax(&head.forward(&dev.xs)?, D::Minus1)?.to_vec2::<f32>()?;
    let f1 = |decoding: Decoding<'_>| -> f64 {
        let (mut tp, mut predicted, mut gold) = (0usize, 0usize, 0usize);
        let mut at = 0;
        for seq in dev_seqs {
            let words = log_probs[at..at + seq.len()].iter().map(Vec::as_slice);
            at += seq.len();
            let pred = tag_spans(&decode_tags(words, decoding));
            let truth = tag_spans(&seq.iter().map(|&t| t as usize).collect::<Vec<_>>());
            tp += pred.iter().filter(|s| truth.contains(s)).count();
            predicted += pred.len();
            gold += truth.len();
        }
        if tp == 0 {
            return 0.0;
        }
        let (p, r) = (tp as f64 / predicted as f64, tp as f64 / gold as f64);
        2.0 * p * r / (p + r)
    };
    let argmax_f1 = f1(Decoding::Argmax);
    let constrained_f1 = f1(Decoding::Constrained);
    let mut best = (
        constrained_f1,
        0.0f32,
        learn_transitions(&seqs, tags, SMOOTHING, 0.0),
    );
    for weight in [0.25f32, 0.5, 0.75, 1.0, 1.5, 2.0] {
        let t = learn_transitions(&seqs, tags, SMOOTHING, weight);
        let score = f1(Decoding::Learned(&t));
        if score > best.0 {
            best = (score, weight, t);
        }
    }
    Ok((
        best.2,
        Some(DecodingReport {
            argmax_f1,
            constrained_f1,
            learned_f1: best.0,
            transition_weight: best.1,
        }),
    ))
}

/// The intent head's outputs on dev, for the out-of-scope threshold and score comparison.
struct OosDev {
    /// (confidence, gold is out of scope, prediction right by label alone)
    scored: Vec<(f32, bool, bool)>,
    /// Logits / temperature of every scored example.
    logits: Vec<Vec<f32>>,
    /// Pooled vectors of every scored example.
    pooled: Vec<Vec<f32>>,
    temperature: f32,
}

impl OosDev {
    /// Scores the dev set and `extra` (dev records of the out-of-scope label when it is not
    /// a trained class: right only when rejected).
    fn new(
        head: &Head,
        dev: &Set,
        extra: &Tensor,
        temperature: f32,
        labels: &[String],
        oos_label: &str,
    ) -> Result<Self> {
        let oos = labels.iter().position(|l| l == oos_label);
        let mut gold: Vec<Option<u32>> = if dev.n == 0 {
            Vec::new()
        } else {
            dev.ys.to_vec1::<u32>()?.into_iter().map(Some).collect()
        };
        gold.extend(std::iter::repeat_n(None, extra.dims()[0]));
        let xs = Tensor::cat(&[&dev.xs, extra], 0)?;
        if gold.is_empty() {
            return Ok(Self {
                scored: Vec::new(),
                logits: Vec::new(),
                pooled: Vec::new(),
                temperature,
            });
        }
        let logits = (head.forward(&xs)? / f64::from(temperature))?;
        let probs = candle_nn::ops::softmax(&logits, D::Minus1)?.to_vec2::<f32>()?;
        let scored = probs
            .iter()
            .zip(&gold)
            .map(|(p, g)| {
                let (best, conf) = p
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map_or((0, 0.0), |(i, &c)| (i, c));
                match g {
                    Some(g) => (conf, Some(*g as usize) == oos, best == *g as usize),
                    None => (conf, true, false),
                }
            })
            .collect();
        Ok(Self {
            scored,
            logits: logits.to_vec2::<f32>()?,
            pooled: xs.to_vec2::<f32>()?,
            temperature,
        })
    }

    fn has_oos(&self) -> bool {
        self.scored.iter().any(|s| s.1) && self.scored.iter().any(|s| !s.1)
    }

    /// The out-of-scope threshold that maximises dev accuracy, out of scope counted as a
    /// class: a gold out-of-scope example is right when the head predicts the out-of-scope
    /// label or its confidence is below the threshold; an in-scope one when the label is right
    /// and the confidence reaches the threshold. Without out-of-scope examples it is 0.
    fn tune_threshold(&self) -> f32 {
        if !self.has_oos() {
            return 0.0;
        }
        let correct_at = |t: f32| {
            self.scored
                .iter()
                .filter(|&&(conf, gold_oos, right)| {
                    if gold_oos {
                        right || conf < t
                    } else {
                        right && conf >= t
                    }
                })
                .count()
        };
        let mut best = (correct_at(0.0), 0.0);
        for step in 1..100 {
            let t = step as f32 / 100.0;
            let correct = correct_at(t);
            if correct > best.0 {
                best = (correct, t);
            }
        }
        best.1
    }

    /// Dev AUROC of the out-of-scope scores (see [`TrainReport::oos_auroc`]).
    fn aurocs(
        &self,
        train: &Set,
        labels: &[String],
        oos_label: &str,
    ) -> Result<Vec<(&'static str, f64)>> {
        let in_scope: Vec<usize> = (0..labels.len())
            .filter(|&i| labels[i] != oos_label)
            .collect();
        // Class centroids of the normalised training vectors (in-scope classes).
        let xs = train.xs.to_vec2::<f32>()?;
        let ys = train.ys.to_vec1::<u32>()?;
        let dim = xs.first().map_or(0, Vec::len);
        let mut centroids = vec![vec![0f32; dim]; labels.len()];
        let unit = |x: &[f32]| -> Vec<f32> {
            let n = x.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            x.iter().map(|v| v / n).collect()
        };
        for (x, &y) in xs.iter().zip(&ys) {
            for (c, v) in centroids[y as usize].iter_mut().zip(unit(x)) {
                *c += v;
            }
        }
        let centroids: Vec<Vec<f32>> = in_scope.iter().map(|&k| unit(&centroids[k])).collect();
        let t = self.temperature;
        let mut msp = Vec::new();
        let mut energy = Vec::new();
        let mut centroid = Vec::new();
        for ((&(_, gold_oos, _), logits), x) in
            self.scored.iter().zip(&self.logits).zip(&self.pooled)
        {
            let max = in_scope
                .iter()
                .map(|&k| logits[k])
                .fold(f32::NEG_INFINITY, f32::max);
            let all_max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let all_sum: f32 = logits.iter().map(|l| (l - all_max).exp()).sum();
            msp.push((1.0 - (max - all_max).exp() / all_sum, gold_oos));
            let lse = max
                + in_scope
                    .iter()
                    .map(|&k| (logits[k] - max).exp())
                    .sum::<f32>()
                    .ln();
            energy.push((-t * lse, gold_oos));
            let x = unit(x);
            let cos = centroids
                .iter()
                .map(|c| c.iter().zip(&x).map(|(a, b)| a * b).sum::<f32>())
                .fold(f32::NEG_INFINITY, f32::max);
            centroid.push((1.0 - cos, gold_oos));
        }
        Ok([("msp", msp), ("energy", energy), ("centroid", centroid)]
            .into_iter()
            .filter_map(|(name, items)| Some((name, crate::eval::metrics::auroc(&items)?)))
            .collect())
    }
}
