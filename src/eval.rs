//! Scoring a model on labelled JSONL data.

use serde::Serialize;

use crate::analyzer::Analyzer;
use crate::data::Record;
use crate::error::Result;
use crate::intent::Intent;
use crate::metrics::{self, Span};

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
    /// Number of records evaluated.
    pub count: usize,
}

/// Analyses `records` in chunks of `chunk` (calling `progress` after each) and scores them.
pub fn evaluate(
    analyzer: &Analyzer,
    records: &[Record],
    chunk: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<EvalReport> {
    let mut analyses = Vec::with_capacity(records.len());
    for part in records.chunks(chunk.max(1)) {
        let texts: Vec<&str> = part.iter().map(|r| r.text.as_str()).collect();
        analyses.extend(analyzer.analyze_batch(&texts)?);
        progress(part.len());
    }

    let manifest = analyzer.manifest();
    let intent = manifest.intent.as_ref().and_then(|head| {
        let scored: Vec<(&str, &Intent)> = records
            .iter()
            .zip(&analyses)
            .filter_map(|(r, a)| Some((r.intent.as_deref()?, a.intent.as_ref()?)))
            .collect();
        let items: Vec<(&str, &str, bool)> = scored
            .iter()
            .map(|&(gold, p)| (gold, p.label.as_str(), p.out_of_scope))
            .collect();
        let calibration: Vec<(f32, bool)> = scored
            .iter()
            .map(|&(gold, p)| (p.confidence, p.label == gold))
            .collect();
        let oos_scores: Vec<(f32, bool)> = scored
            .iter()
            .map(|&(gold, p)| {
                let in_scope = p
                    .top
                    .iter()
                    .find(|(label, _)| *label != head.oos_label)
                    .map_or(0.0, |(_, prob)| *prob);
                (1.0 - in_scope, gold == head.oos_label)
            })
            .collect();
        if items.is_empty() {
            return None;
        }
        let report = metrics::classification_report(items.iter().map(|&(g, p, _)| (g, p)));
        let has_oos = items.iter().any(|&(g, _, _)| g == head.oos_label);
        let oos = has_oos.then(|| metrics::oos_report(items.iter().copied(), &head.oos_label));
        Some(IntentScores {
            accuracy: report.accuracy,
            macro_f1: report.macro_f1,
            oos_recall: oos.as_ref().map(|o| o.recall),
            oos_precision: oos.as_ref().map(|o| o.precision),
            in_scope_accuracy: oos.as_ref().map(|o| o.in_scope_accuracy),
            oos_auroc: metrics::auroc(&oos_scores),
            ece: metrics::expected_calibration_error(&calibration, 15),
            count: report.count,
        })
    });

    let entities = manifest.entities.as_ref().and_then(|_| {
        // Only predictions of labels the gold data uses are scored (a rule layer may add
        // types the dataset does not annotate, like `money` or `email`).
        let gold_labels: std::collections::HashSet<&str> = records
            .iter()
            .flat_map(|r| r.entities.iter().flatten().map(|s| s.label.as_str()))
            .collect();
        let docs: Vec<(Vec<Span>, Vec<Span>)> = records
            .iter()
            .zip(&analyses)
            .filter_map(|(r, a)| {
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
                Some((gold, predicted))
            })
            .collect();
        if docs.is_empty() {
            return None;
        }
        let report = metrics::span_report(docs.iter().map(|(g, p)| (g.as_slice(), p.as_slice())));
        Some(EntityScores {
            precision: report.precision,
            recall: report.recall,
            f1: report.f1,
            gold: report.gold,
            predicted: report.predicted,
            count: docs.len(),
        })
    });

    let sentiment = manifest.sentiment.as_ref().and_then(|_| {
        let pairs: Vec<(&str, &str)> = records
            .iter()
            .zip(&analyses)
            .filter_map(|(r, a)| {
                Some((r.sentiment?.as_str(), a.sentiment.as_ref()?.label.as_str()))
            })
            .collect();
        if pairs.is_empty() {
            return None;
        }
        let report = metrics::classification_report(pairs);
        Some(SentimentScores {
            accuracy: report.accuracy,
            macro_f1: report.macro_f1,
            count: report.count,
        })
    });

    Ok(EvalReport {
        intent,
        entities,
        sentiment,
        count: records.len(),
    })
}
