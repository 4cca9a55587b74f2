//! Scoring a model on labelled JSONL data.

pub mod metrics;
pub mod report;

use serde::Serialize;

use crate::analyzer::Analyzer;
use crate::data::Record;
use crate::data::Span;
use crate::error::Result;
use crate::eval::metrics::{ClassificationReport, OosReport, SpanReport};
use crate::sentiment::SentimentLabel;

/// Number of equal-width confidence bins of the expected calibration error.
pub const CALIBRATION_BINS: usize = 15;

/// Intent scores; the out-of-scope fields are present when the gold data has the model's
/// out-of-scope label.
#[derive(Debug, Clone, Serialize)]
pub struct IntentScores {
    pub accuracy: f64,
    pub macro_f1: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oos_recall: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oos_precision: Option<f64>,
    /// Accuracy on the records whose gold intent is in scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_scope_accuracy: Option<f64>,
    /// Area under the ROC curve of the out-of-scope score (1 − the best in-scope
    /// probability) for telling gold out-of-scope records from in-scope ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oos_auroc: Option<f64>,
    /// Expected calibration error of `confidence` (15 bins).
    pub ece: f64,
    pub count: usize,
}

/// Entity span scores (exact span and label, micro-averaged, as seqeval).
#[derive(Debug, Clone, Serialize)]
pub struct EntityScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub gold: usize,
    pub predicted: usize,
    pub count: usize,
}

/// Sentiment scores.
#[derive(Debug, Clone, Serialize)]
pub struct SentimentScores {
    pub accuracy: f64,
    pub macro_f1: f64,
    pub count: usize,
}

/// The scores of one evaluation; a task is present when both the data and the model have it.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<IntentScores>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<EntityScores>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentScores>,
    /// Emotion scores (multi-label, per-label thresholds of the model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emotions: Option<metrics::MultiLabelReport>,
    /// Number of records evaluated.
    pub count: usize,
}

/// The intent predicted for one labelled record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntentPrediction {
    /// Index of the record in the evaluated slice.
    pub index: usize,
    /// Gold intent.
    pub gold: String,
    /// Predicted intent (the out-of-scope label when flagged out of scope).
    pub predicted: String,
    /// Probability of the best-ranked label.
    pub confidence: f32,
    /// Whether the prediction was flagged out of scope.
    pub out_of_scope: bool,
    /// Out-of-scope score: 1 − the best in-scope probability.
    pub oos_score: f32,
    /// Probability of the gold label when it is among the ranked alternatives.
    pub gold_probability: Option<f32>,
}

/// The entity spans of one labelled record, as scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityPrediction {
    /// Index of the record in the evaluated slice.
    pub index: usize,
    /// Gold spans.
    pub gold: Vec<Span>,
    /// Predicted spans of the labels the gold data uses.
    pub predicted: Vec<Span>,
}

/// The sentiment predicted for one labelled record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentimentPrediction {
    /// Index of the record in the evaluated slice.
    pub index: usize,
    /// Gold sentiment.
    pub gold: SentimentLabel,
    /// Predicted sentiment.
    pub predicted: SentimentLabel,
}

/// An evaluation in detail: the scores, the per-label metrics and the per-record predictions
/// they come from (what an evaluation report shows).
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The scores (what `tolka eval --json` prints).
    pub scores: EvalReport,
    /// Name of the evaluated model (from its manifest).
    pub model: String,
    /// The model's out-of-scope intent label, when it has an intent head.
    pub oos_label: Option<String>,
    /// Per-label intent metrics.
    pub intent_metrics: Option<ClassificationReport>,
    /// Out-of-scope detection metrics, when the gold data has the out-of-scope label.
    pub oos_metrics: Option<OosReport>,
    /// Per-label entity span metrics.
    pub entity_metrics: Option<SpanReport>,
    /// Per-label sentiment metrics.
    pub sentiment_metrics: Option<ClassificationReport>,
    /// One prediction per record with a gold intent (in record order).
    pub intents: Vec<IntentPrediction>,
    /// One prediction per record with gold entities (in record order).
    pub entities: Vec<EntityPrediction>,
    /// One prediction per record with a gold sentiment (in record order).
    pub sentiments: Vec<SentimentPrediction>,
}

impl Evaluation {
    /// (confidence, correct) of every intent prediction, as the ECE uses them.
    pub fn calibration_items(&self) -> Vec<(f32, bool)> {
        self.intents
            .iter()
            .map(|p| (p.confidence, p.predicted == p.gold))
            .collect()
    }

    /// (out-of-scope score, gold is out of scope) of every intent prediction, as the
    /// out-of-scope AUROC uses them; empty without an intent head.
    pub fn oos_items(&self) -> Vec<(f32, bool)> {
        let Some(oos) = &self.oos_label else {
            return Vec::new();
        };
        self.intents
            .iter()
            .map(|p| (p.oos_score, &p.gold == oos))
            .collect()
    }
}

/// Analyses `records` in chunks of `chunk` (calling `progress` after each) and scores them.
pub fn evaluate(
    analyzer: &Analyzer,
    records: &[Record],
    chunk: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<EvalReport> {
    evaluate_detailed(analyzer, records, chunk, progress).map(|e| e.scores)
}

/// As [`evaluate`], keeping the per-label metrics and the per-record predictions.
pub fn evaluate_detailed(
    analyzer: &Analyzer,
    records: &[Record],
    chunk: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<Evaluation> {
    let mut analyses = Vec::with_capacity(records.len());
    for part in records.chunks(chunk.max(1)) {
        let texts: Vec<&str> = part.iter().map(|r| r.text.as_str()).collect();
        analyses.extend(analyzer.analyze_batch(&texts)?);
        progress(part.len());
    }

    let manifest = analyzer.manifest();
    let oos_label = manifest.intent.as_ref().map(|head| head.oos_label.clone());
    let intents: Vec<IntentPrediction> = match &oos_label {
        None => Vec::new(),
        Some(oos) => records
            .iter()
            .zip(&analyses)
            .enumerate()
            .filter_map(|(index, (r, a))| {
                let gold = r.intent.as_deref()?;
                let p = a.intent.as_ref()?;
                let in_scope = p
                    .top
                    .iter()
                    .find(|(label, _)| label != oos)
                    .map_or(0.0, |(_, prob)| *prob);
                Some(IntentPrediction {
                    index,
                    gold: gold.to_string(),
                    predicted: p.label.clone(),
                    confidence: p.confidence,
                    out_of_scope: p.out_of_scope,
                    oos_score: 1.0 - in_scope,
                    gold_probability: p
                        .top
                        .iter()
                        .find(|(label, _)| label == gold)
                        .map(|(_, prob)| *prob),
                })
            })
            .collect(),
    };
    let (mut intent, mut intent_metrics, mut oos_metrics) = (None, None, None);
    if let (Some(oos), false) = (&oos_label, intents.is_empty()) {
        let report = metrics::classification_report(
            intents
                .iter()
                .map(|p| (p.gold.as_str(), p.predicted.as_str())),
        );
        let has_oos = intents.iter().any(|p| &p.gold == oos);
        let oos_report = has_oos.then(|| {
            metrics::oos_report(
                intents
                    .iter()
                    .map(|p| (p.gold.as_str(), p.predicted.as_str(), p.out_of_scope)),
                oos,
            )
        });
        let oos_scores: Vec<(f32, bool)> = intents
            .iter()
            .map(|p| (p.oos_score, &p.gold == oos))
            .collect();
        let calibration: Vec<(f32, bool)> = intents
            .iter()
            .map(|p| (p.confidence, p.predicted == p.gold))
            .collect();
        intent = Some(IntentScores {
            accuracy: report.accuracy,
            macro_f1: report.macro_f1,
            oos_recall: oos_report.as_ref().map(|o| o.recall),
            oos_precision: oos_report.as_ref().map(|o| o.precision),
            in_scope_accuracy: oos_report.as_ref().map(|o| o.in_scope_accuracy),
            oos_auroc: metrics::auroc(&oos_scores),
            ece: metrics::expected_calibration_error(&calibration, CALIBRATION_BINS),
            count: report.count,
        });
        intent_metrics = Some(report);
        oos_metrics = oos_report;
    }

    let entities: Vec<EntityPrediction> = if manifest.entities.is_some() {
        // Only predictions of labels the gold data uses are scored (a rule layer may add
        // types the dataset does not annotate, like `money` or `email`).
        let gold_labels: std::collections::HashSet<&str> = records
            .iter()
            .flat_map(|r| r.entities.iter().flatten().map(|s| s.label.as_str()))
            .collect();
        records
            .iter()
            .zip(&analyses)
            .enumerate()
            .filter_map(|(index, (r, a))| {
                let gold = r.entities.clone()?;
                let predicted = a
                    .entities
                    .iter()
                    .flatten()
                    .filter(|e| gold_labels.contains(e.label.as_str()))
                    .map(|e| Span {
                        start: e.start,
                        end: e.end,
                        label: e.label.clone(),
                    })
                    .collect();
                Some(EntityPrediction {
                    index,
                    gold,
                    predicted,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let entity_metrics = (!entities.is_empty()).then(|| {
        metrics::span_report(
            entities
                .iter()
                .map(|d| (d.gold.as_slice(), d.predicted.as_slice())),
        )
    });
    let entity_scores = entity_metrics.as_ref().map(|report| EntityScores {
        precision: report.precision,
        recall: report.recall,
        f1: report.f1,
        gold: report.gold,
        predicted: report.predicted,
        count: entities.len(),
    });

    let sentiments: Vec<SentimentPrediction> = if manifest.sentiment.is_some() {
        records
            .iter()
            .zip(&analyses)
            .enumerate()
            .filter_map(|(index, (r, a))| {
                Some(SentimentPrediction {
                    index,
                    gold: r.sentiment?,
                    predicted: a.sentiment.as_ref()?.label,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let sentiment_metrics = (!sentiments.is_empty()).then(|| {
        metrics::classification_report(
            sentiments
                .iter()
                .map(|p| (p.gold.as_str(), p.predicted.as_str())),
        )
    });
    let sentiment = sentiment_metrics.as_ref().map(|report| SentimentScores {
        accuracy: report.accuracy,
        macro_f1: report.macro_f1,
        count: report.count,
    });

    let emotion_pairs: Vec<(&[String], Vec<String>)> = records
        .iter()
        .zip(&analyses)
        .filter_map(|(r, a)| {
            let predicted = a.emotions.as_ref()?.iter().map(|e| e.label.clone());
            Some((r.emotions.as_deref()?, predicted.collect()))
        })
        .collect();
    let emotions = (!emotion_pairs.is_empty()).then(|| {
        metrics::multi_label_report(emotion_pairs.iter().map(|(g, p)| (*g, p.as_slice())))
    });

    Ok(Evaluation {
        scores: EvalReport {
            intent,
            entities: entity_scores,
            sentiment,
            emotions,
            count: records.len(),
        },
        model: manifest.name.clone(),
        oos_label,
        intent_metrics,
        oos_metrics,
        entity_metrics,
        sentiment_metrics,
        intents,
        entities,
        sentiments,
    })
}
