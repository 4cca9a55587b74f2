//! Evaluation metrics for intent classification, out-of-scope detection and
//! span (entity) extraction.
//!
//! Every ratio is guarded: a zero denominator yields `0.0`, never `NaN`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::data::Span;

/// `num / den`, or `0.0` when `den` is zero.
fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Harmonic mean of precision and recall; `0.0` when both are zero.
fn f1(precision: f64, recall: f64) -> f64 {
    let sum = precision + recall;
    if sum == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / sum
    }
}

/// True positive, false positive and false negative counts for one label.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn prf(self) -> Prf {
        let precision = ratio(self.tp, self.tp + self.fp);
        let recall = ratio(self.tp, self.tp + self.fn_);
        Prf {
            precision,
            recall,
            f1: f1(precision, recall),
            support: self.tp + self.fn_,
        }
    }
}

/// Precision, recall, F1 and support for one label.
///
/// `support` is the number of gold occurrences of the label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// Classification metrics over (gold, predicted) label pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationReport {
    /// Fraction of pairs whose prediction equals the gold label.
    pub accuracy: f64,
    /// Unweighted mean F1 over the labels that occur in gold.
    pub macro_f1: f64,
    /// Number of pairs evaluated.
    pub count: usize,
    /// Metrics for every label seen in gold or predictions.
    pub per_label: BTreeMap<String, Prf>,
}

/// Computes accuracy, macro F1 and per-label metrics from `(gold, predicted)` pairs.
///
/// `per_label` covers every label seen in gold *or* predictions (labels only
/// ever predicted have `support == 0` and F1 `0.0`). `macro_f1`, however,
/// averages F1 only over labels that occur in gold, like scikit-learn's
/// `f1_score(average="macro", labels=<gold labels>)`: spurious predicted
/// labels lower the precision of the gold labels they were confused with but
/// do not add extra zero terms to the average.
///
/// Empty input gives accuracy `0.0`, macro F1 `0.0` and count `0`.
pub fn classification_report<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> ClassificationReport {
    let mut counts: BTreeMap<&str, Counts> = BTreeMap::new();
    let (mut count, mut correct) = (0, 0);
    for (gold, pred) in pairs {
        count += 1;
        if gold == pred {
            correct += 1;
            counts.entry(gold).or_default().tp += 1;
        } else {
            counts.entry(gold).or_default().fn_ += 1;
            counts.entry(pred).or_default().fp += 1;
        }
    }
    let per_label: BTreeMap<String, Prf> = counts
        .into_iter()
        .map(|(label, c)| (label.to_string(), c.prf()))
        .collect();
    let gold_f1: Vec<f64> = per_label
        .values()
        .filter(|p| p.support > 0)
        .map(|p| p.f1)
        .collect();
    ClassificationReport {
        accuracy: ratio(correct, count),
        macro_f1: if gold_f1.is_empty() {
            0.0
        } else {
            gold_f1.iter().sum::<f64>() / gold_f1.len() as f64
        },
        count,
        per_label,
    }
}

/// Out-of-scope detection: gold is out-of-scope when gold label == oos_label;
/// predicted out-of-scope is the bool flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OosReport {
    /// Fraction of gold out-of-scope items flagged out-of-scope.
    pub recall: f64,
    /// Fraction of flagged items that are gold out-of-scope.
    pub precision: f64,
    /// Accuracy on items whose gold label is not out-of-scope.
    pub in_scope_accuracy: f64,
    /// Number of gold out-of-scope items.
    pub gold_oos: usize,
    /// Number of items flagged out-of-scope.
    pub predicted_oos: usize,
}

/// Scores out-of-scope detection from `(gold_label, predicted_label, predicted_out_of_scope)`.
///
/// An item is gold out-of-scope when `gold_label == oos_label`; it is predicted
/// out-of-scope when the flag is set (the predicted label is then ignored for
/// OOS purposes). `in_scope_accuracy` is the accuracy on in-scope gold items,
/// where a prediction is correct only if `predicted_label == gold_label` and
/// the item was not flagged out-of-scope. Any empty denominator gives `0.0`
/// (e.g. precision when nothing was predicted out-of-scope).
pub fn oos_report<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a str, bool)>,
    oos_label: &str,
) -> OosReport {
    let (mut gold_oos, mut predicted_oos, mut both) = (0, 0, 0);
    let (mut in_scope, mut in_scope_correct) = (0, 0);
    for (gold, pred, flagged) in items {
        let is_oos = gold == oos_label;
        gold_oos += usize::from(is_oos);
        predicted_oos += usize::from(flagged);
        both += usize::from(is_oos && flagged);
        if !is_oos {
            in_scope += 1;
            in_scope_correct += usize::from(!flagged && pred == gold);
        }
    }
    OosReport {
        recall: ratio(both, gold_oos),
        precision: ratio(both, predicted_oos),
        in_scope_accuracy: ratio(in_scope_correct, in_scope),
        gold_oos,
        predicted_oos,
    }
}

/// Span-level micro precision/recall/F1 as seqeval (exact start, end and
/// label match), plus per-label metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanReport {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Distinct gold spans.
    pub gold: usize,
    /// Distinct predicted spans.
    pub predicted: usize,
    /// Predicted spans exactly matching a gold span.
    pub correct: usize,
    /// Metrics for every label seen in gold or predicted spans.
    pub per_label: BTreeMap<String, Prf>,
}

/// Scores span extraction over documents; each item is `(gold, predicted)` for one text.
///
/// A predicted span is correct only if a gold span in the same document has
/// the same `start`, `end` and `label` (seqeval's strict entity matching), so a
/// span with the right label but wrong boundaries counts as both a false
/// positive and a false negative. Duplicate spans within a document count
/// once. Scores are micro-averaged over all documents; `per_label` covers
/// labels seen in gold or predictions.
pub fn span_report<'a>(docs: impl IntoIterator<Item = (&'a [Span], &'a [Span])>) -> SpanReport {
    let mut total = Counts::default();
    let mut counts: BTreeMap<&str, Counts> = BTreeMap::new();
    for (gold, pred) in docs {
        let gold: BTreeSet<&Span> = gold.iter().collect();
        let pred: BTreeSet<&Span> = pred.iter().collect();
        for span in &pred {
            let c = counts.entry(&span.label).or_default();
            if gold.contains(span) {
                c.tp += 1;
                total.tp += 1;
            } else {
                c.fp += 1;
                total.fp += 1;
            }
        }
        for span in gold.difference(&pred) {
            counts.entry(&span.label).or_default().fn_ += 1;
            total.fn_ += 1;
        }
    }
    let overall = total.prf();
    SpanReport {
        precision: overall.precision,
        recall: overall.recall,
        f1: overall.f1,
        gold: total.tp + total.fn_,
        predicted: total.tp + total.fp,
        correct: total.tp,
        per_label: counts
            .into_iter()
            .map(|(label, c)| (label.to_string(), c.prf()))
            .collect(),
    }
}

/// One equal-width confidence bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// Lower edge of the bin (exclusive, except 0 for the first bin).
    pub lower: f64,
    /// Upper edge of the bin (inclusive).
    pub upper: f64,
    /// Number of items whose confidence falls in the bin.
    pub count: usize,
    /// Mean confidence of those items; `0.0` for an empty bin.
    pub confidence: f64,
    /// Fraction of those items whose prediction is correct; `0.0` for an empty bin.
    pub accuracy: f64,
}

/// The `bins` equal-width confidence bins of a reliability diagram. Items are (confidence in
/// [0, 1], prediction correct); bin `i` holds confidences in `(i/bins, (i+1)/bins]`, and
/// confidence 0 goes to the first bin. Every bin is returned, empty ones included.
pub fn reliability_bins(items: &[(f32, bool)], bins: usize) -> Vec<ReliabilityBin> {
    let mut sums = vec![(0usize, 0f64, 0usize); bins]; // (count, sum of confidences, correct)
    for &(confidence, correct) in items {
        let c = f64::from(confidence).clamp(0.0, 1.0);
        let bin = ((c * bins as f64).ceil() as usize).clamp(1, bins) - 1;
        sums[bin].0 += 1;
        sums[bin].1 += c;
        sums[bin].2 += usize::from(correct);
    }
    sums.iter()
        .enumerate()
        .map(|(i, &(count, conf, correct))| ReliabilityBin {
            lower: i as f64 / bins as f64,
            upper: (i + 1) as f64 / bins as f64,
            count,
            confidence: if count == 0 { 0.0 } else { conf / count as f64 },
            accuracy: ratio(correct, count),
        })
        .collect()
}

/// Expected calibration error with `bins` equal-width confidence bins (Guo et al., 2017):
/// the support-weighted mean |accuracy − mean confidence| over the bins of
/// [`reliability_bins`]. Items are (confidence in [0, 1], prediction correct). Empty input
/// gives 0.
pub fn expected_calibration_error(items: &[(f32, bool)], bins: usize) -> f64 {
    if items.is_empty() || bins == 0 {
        return 0.0;
    }
    let n = items.len() as f64;
    reliability_bins(items, bins)
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| (b.count as f64 / n) * (b.accuracy - b.confidence).abs())
        .sum()
}

/// Counts of every `(gold, predicted)` pair, the correct ones (gold == predicted) included.
pub fn confusion_matrix<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<(String, String), usize> {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for pair in pairs {
        *counts.entry(pair).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((g, p), n)| ((g.to_string(), p.to_string()), n))
        .collect()
}

/// The ROC curve of `score` for separating positives from negatives: (false positive rate,
/// true positive rate) points from (0, 0) to (1, 1), one per distinct score taken as the
/// threshold from the highest down (a score at or above the threshold is called positive).
/// Tied scores make one diagonal step, so the trapezoidal area under the points equals
/// [`auroc`]. Items are (score, is positive); without positives or negatives: `None`.
pub fn roc_curve(items: &[(f32, bool)]) -> Option<Vec<(f64, f64)>> {
    let positives = items.iter().filter(|i| i.1).count();
    let negatives = items.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f32, bool)> = items.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0, 0);
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            tp += usize::from(sorted[j].1);
            fp += usize::from(!sorted[j].1);
            j += 1;
        }
        points.push((ratio(fp, negatives), ratio(tp, positives)));
        i = j;
    }
    Some(points)
}

/// Area under the ROC curve of `score` for separating positives from negatives (ties count
/// half), i.e. the probability that a random positive scores above a random negative.
/// Items are (score, is positive). Without positives or negatives the AUROC is undefined:
/// `None`.
pub fn auroc(items: &[(f32, bool)]) -> Option<f64> {
    let positives = items.iter().filter(|i| i.1).count();
    let negatives = items.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f32, bool)> = items.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Mann–Whitney U with average ranks for ties.
    let mut rank_sum = 0f64;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += average_rank * sorted[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// Multi-label metrics (e.g. emotions): per-label precision/recall/F1 over the labels of
/// every (gold set, predicted set) pair, their macro average and the micro F1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiLabelReport {
    /// Mean F1 over the labels that occur in gold or predictions.
    pub macro_f1: f64,
    /// F1 of all (example, label) decisions pooled.
    pub micro_f1: f64,
    /// Number of examples.
    pub count: usize,
    pub per_label: BTreeMap<String, Prf>,
}

/// Scores multi-label predictions: each item is (gold labels, predicted labels).
pub fn multi_label_report<'a>(
    items: impl IntoIterator<Item = (&'a [String], &'a [String])>,
) -> MultiLabelReport {
    let mut counts: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut count = 0;
    for (gold, predicted) in items {
        count += 1;
        for label in gold {
            let c = counts.entry(label).or_default();
            if predicted.contains(label) {
                c.tp += 1;
            } else {
                c.fn_ += 1;
            }
        }
        for label in predicted.iter().filter(|l| !gold.contains(l)) {
            counts.entry(label).or_default().fp += 1;
        }
    }
    let total = counts.values().fold(Counts::default(), |a, c| Counts {
        tp: a.tp + c.tp,
        fp: a.fp + c.fp,
        fn_: a.fn_ + c.fn_,
    });
    let per_label: BTreeMap<String, Prf> = counts
        .into_iter()
        .map(|(label, c)| (label.to_owned(), c.prf()))
        .collect();
    let macro_f1 = per_label.values().map(|p| p.f1).sum::<f64>() / per_label.len().max(1) as f64;
    MultiLabelReport {
        macro_f1,
        micro_f1: total.prf().f1,
        count,
        per_label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-4;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < EPS
    }

    fn span(start: usize, end: usize, label: &str) -> Span {
        Span {
            start,
            end,
            label: label.to_string(),
        }
    }

    #[test]
    fn classification_cases() {
        // (name, gold, pred, accuracy, macro_f1)
        type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], f64, f64);
        let cases: &[Case] = &[
            // sklearn f1_score docs: y_true=[0,1,2,0,1,2], y_pred=[0,2,1,0,0,1].
            // Label 0: tp=2, fp=1, fn=0 -> p=2/3, r=1, f1=0.8. Labels 1, 2: tp=0 -> f1=0.
            // macro = 0.8/3 = 0.2667; accuracy = 2/6.
            (
                "sklearn 3-class",
                &["0", "1", "2", "0", "1", "2"],
                &["0", "2", "1", "0", "0", "1"],
                2.0 / 6.0,
                0.8 / 3.0,
            ),
            ("perfect", &["a", "b", "a"], &["a", "b", "a"], 1.0, 1.0),
            // Gold labels {a}; "x" is only predicted: a: tp=1, fn=1 -> p=1, r=0.5, f1=2/3.
            // macro over gold labels only = 2/3 (x is not averaged in).
            (
                "predicted-only label",
                &["a", "a"],
                &["a", "x"],
                0.5,
                2.0 / 3.0,
            ),
            ("empty", &[], &[], 0.0, 0.0),
        ];
        for &(name, gold, pred, acc, macro_f1) in cases {
            let r = classification_report(gold.iter().copied().zip(pred.iter().copied()));
            assert_eq!(r.count, gold.len(), "{name}");
            assert!(close(r.accuracy, acc), "{name}: accuracy {}", r.accuracy);
            assert!(close(r.macro_f1, macro_f1), "{name}: macro {}", r.macro_f1);
            assert!(r.per_label.values().all(|p| p.f1.is_finite()), "{name}");
        }
    }

    #[test]
    fn classification_per_label() {
        let gold = ["0", "1", "2", "0", "1", "2"];
        let pred = ["0", "2", "1", "0", "0", "1"];
        let r = classification_report(gold.into_iter().zip(pred));
        let zero = |support| Prf {
            precision: 0.0,
            recall: 0.0,
            f1: 0.0,
            support,
        };
        let p0 = &r.per_label["0"];
        assert!(close(p0.precision, 2.0 / 3.0) && close(p0.recall, 1.0) && close(p0.f1, 0.8));
        assert_eq!(p0.support, 2);
        assert_eq!(r.per_label["1"], zero(2));
        assert_eq!(r.per_label["2"], zero(2));

        let r = classification_report([("a", "a"), ("a", "x")]);
        assert_eq!(r.per_label["x"], zero(0));
    }

    #[test]
    fn oos_cases() {
        // (name, items, recall, precision, in_scope_accuracy, gold_oos, predicted_oos)
        type Case<'a> = (
            &'a str,
            &'a [(&'a str, &'a str, bool)],
            f64,
            f64,
            f64,
            usize,
            usize,
        );
        let cases: &[Case] = &[
            // Gold oos: items 0, 1; flagged: 0, 2. Both: item 0 -> recall 1/2, precision 1/2.
            // In scope: items 2 (flagged -> wrong even though label matches),
            // 3 (correct), 4 (wrong label) -> 1/3.
            (
                "mixed",
                &[
                    ("oos", "oos", true),
                    ("oos", "weather", false),
                    ("weather", "weather", true),
                    ("weather", "weather", false),
                    ("alarm", "weather", false),
                ],
                0.5,
                0.5,
                1.0 / 3.0,
                2,
                2,
            ),
            // Nothing flagged: precision 0 (no division by zero), recall 0/1.
            (
                "nothing flagged",
                &[("oos", "alarm", false), ("alarm", "alarm", false)],
                0.0,
                0.0,
                1.0,
                1,
                0,
            ),
            ("empty", &[], 0.0, 0.0, 0.0, 0, 0),
        ];
        for &(name, items, recall, precision, isa, gold_oos, predicted_oos) in cases {
            let r = oos_report(items.iter().copied(), "oos");
            assert!(close(r.recall, recall), "{name}: {r:?}");
            assert!(close(r.precision, precision), "{name}: {r:?}");
            assert!(close(r.in_scope_accuracy, isa), "{name}: {r:?}");
            assert_eq!(
                (r.gold_oos, r.predicted_oos),
                (gold_oos, predicted_oos),
                "{name}"
            );
        }
    }

    #[test]
    fn span_cases() {
        let city = span(0, 5, "city");
        let city_wide = span(0, 6, "city");
        let date = span(10, 15, "date");
        let date_as_city = span(10, 15, "city");
        // (name, docs, precision, recall, gold, predicted, correct)
        type Case = (
            &'static str,
            Vec<(Vec<Span>, Vec<Span>)>,
            f64,
            f64,
            usize,
            usize,
            usize,
        );
        let cases: Vec<Case> = vec![
            // Wrong boundary: city_wide is an fp and city an fn; date correct.
            // tp=1, fp=1, fn=1 -> p=1/2, r=1/2.
            (
                "boundary error",
                vec![(
                    vec![city.clone(), date.clone()],
                    vec![city_wide.clone(), date.clone()],
                )],
                0.5,
                0.5,
                2,
                2,
                1,
            ),
            // Doc 1: city correct, date mislabelled (fp city + fn date).
            // Doc 2: one gold date, nothing predicted (fn). Duplicate predicted
            // city in doc 1 counts once. tp=1, fp=1, fn=2 -> p=1/2, r=1/3.
            (
                "multi-doc with duplicates",
                vec![
                    (
                        vec![city.clone(), date.clone()],
                        vec![city.clone(), city.clone(), date_as_city.clone()],
                    ),
                    (vec![date.clone()], vec![]),
                ],
                0.5,
                1.0 / 3.0,
                3,
                2,
                1,
            ),
            // Same span in different documents is matched per document:
            // doc 1 gold city / no pred, doc 2 pred city / no gold -> tp=0.
            (
                "per-document matching",
                vec![(vec![city.clone()], vec![]), (vec![], vec![city.clone()])],
                0.0,
                0.0,
                1,
                1,
                0,
            ),
            ("empty", vec![], 0.0, 0.0, 0, 0, 0),
            ("empty docs", vec![(vec![], vec![])], 0.0, 0.0, 0, 0, 0),
        ];
        for (name, docs, precision, recall, gold, predicted, correct) in cases {
            let r = span_report(docs.iter().map(|(g, p)| (g.as_slice(), p.as_slice())));
            assert!(close(r.precision, precision), "{name}: {r:?}");
            assert!(close(r.recall, recall), "{name}: {r:?}");
            assert!(close(r.f1, f1(precision, recall)), "{name}: {r:?}");
            assert_eq!(
                (r.gold, r.predicted, r.correct),
                (gold, predicted, correct),
                "{name}"
            );
        }
    }

    #[test]
    fn span_per_label() {
        // Doc: gold {city 0..5, date 10..15}, pred {city 0..6, date 10..15}.
        // city: tp=0, fp=1, fn=1 -> all 0, support 1. date: tp=1 -> all 1, support 1.
        let gold = [span(0, 5, "city"), span(10, 15, "date")];
        let pred = [span(0, 6, "city"), span(10, 15, "date")];
        let r = span_report([(&gold[..], &pred[..])]);
        let prf = |v, support| Prf {
            precision: v,
            recall: v,
            f1: v,
            support,
        };
        assert_eq!(r.per_label["city"], prf(0.0, 1));
        assert_eq!(r.per_label["date"], prf(1.0, 1));
        assert!(close(r.f1, 0.5));
    }

    #[test]
    fn calibration_error_by_hand() {
        // Two bins: (0, .5] and (.5, 1].
        // bin 1: confidences .2, .4 (mean .3), 1 of 2 correct -> |.5 - .3| = .2, weight 2/4
        // bin 2: confidences .9, .7 (mean .8), 2 of 2 correct -> |1 - .8| = .2, weight 2/4
        let items = [(0.2, true), (0.4, false), (0.9, true), (0.7, true)];
        assert!((expected_calibration_error(&items, 2) - 0.2).abs() < 1e-6);
        // Perfectly calibrated: confidence 1 and always right.
        assert_eq!(
            expected_calibration_error(&[(1.0, true), (1.0, true)], 15),
            0.0
        );
        assert_eq!(expected_calibration_error(&[], 15), 0.0);
    }

    #[test]
    fn auroc_by_hand() {
        // Perfect separation, inverse separation, and a tie counting half.
        assert_eq!(auroc(&[(0.9, true), (0.8, true), (0.1, false)]), Some(1.0));
        assert_eq!(auroc(&[(0.1, true), (0.9, false)]), Some(0.0));
        assert_eq!(auroc(&[(0.5, true), (0.5, false)]), Some(0.5));
        // positives .8 and .4, negatives .6 and .2: pairs won 1+1+0+1 = 3 of 4.
        assert_eq!(
            auroc(&[(0.8, true), (0.4, true), (0.6, false), (0.2, false)]),
            Some(0.75)
        );
        assert_eq!(auroc(&[(0.5, true)]), None);
    }

    #[test]
    fn reliability_bins_by_hand() {
        // The ECE example above: bin (0, .5] has .2 (right) and .4 (wrong), bin (.5, 1] has
        // .9 and .7 (both right). Confidence 0 goes to the first bin.
        let items = [
            (0.2, true),
            (0.4, false),
            (0.9, true),
            (0.7, true),
            (0.0, false),
        ];
        let bins = reliability_bins(&items, 2);
        assert_eq!(bins.len(), 2);
        assert_eq!((bins[0].lower, bins[0].upper, bins[0].count), (0.0, 0.5, 3));
        assert!(close(bins[0].confidence, 0.2) && close(bins[0].accuracy, 1.0 / 3.0));
        assert_eq!((bins[1].lower, bins[1].upper, bins[1].count), (0.5, 1.0, 2));
        assert!(close(bins[1].confidence, 0.8) && close(bins[1].accuracy, 1.0));
        // Bin edges are inclusive above: .5 is in the first bin, 1 in the last.
        let bins = reliability_bins(&[(0.5, true), (1.0, true)], 2);
        assert_eq!((bins[0].count, bins[1].count), (1, 1));
        // 15 bins, all present even when empty.
        let bins = reliability_bins(&[(0.95, true)], 15);
        assert_eq!(bins.len(), 15);
        assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), 1);
        assert_eq!(bins[14].count, 1);
        assert_eq!((bins[0].confidence, bins[0].accuracy), (0.0, 0.0));
    }

    #[test]
    fn confusion_matrix_counts_pairs() {
        let m = confusion_matrix([("a", "a"), ("a", "b"), ("a", "b"), ("b", "a")]);
        let get = |g: &str, p: &str| m.get(&(g.to_string(), p.to_string())).copied();
        assert_eq!(get("a", "a"), Some(1));
        assert_eq!(get("a", "b"), Some(2));
        assert_eq!(get("b", "a"), Some(1));
        assert_eq!(get("b", "b"), None);
    }

    /// Trapezoidal area under ROC points.
    fn area(points: &[(f64, f64)]) -> f64 {
        points
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
            .sum()
    }

    #[test]
    fn roc_curve_by_hand() {
        // Positives .8 and .4, negatives .6 and .2. Thresholds from the top:
        // .8 -> tp 1, fp 0 -> (0, .5); .6 -> (.5, .5); .4 -> (.5, 1); .2 -> (1, 1).
        let items = [(0.8, true), (0.4, true), (0.6, false), (0.2, false)];
        let roc = roc_curve(&items).unwrap();
        assert_eq!(
            roc,
            vec![(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
        );
        assert!(close(area(&roc), 0.75));
        assert_eq!(auroc(&items), Some(0.75));
        // A tie of a positive and a negative is one diagonal step (area 1/2).
        let roc = roc_curve(&[(0.5, true), (0.5, false)]).unwrap();
        assert_eq!(roc, vec![(0.0, 0.0), (1.0, 1.0)]);
        assert_eq!(roc_curve(&[(0.5, true)]), None);
    }

    #[test]
    fn roc_area_equals_auroc() {
        // Many ties (scores on a coarse grid) and uneven classes.
        let items: Vec<(f32, bool)> = (0..200u32)
            .map(|i| (((i * 37) % 11) as f32 / 10.0, (i * 13) % 7 < 2 + (i % 3)))
            .collect();
        let roc = roc_curve(&items).unwrap();
        assert_eq!(roc.first(), Some(&(0.0, 0.0)));
        assert_eq!(roc.last(), Some(&(1.0, 1.0)));
        assert!(roc.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        assert!((area(&roc) - auroc(&items).unwrap()).abs() < 1e-9);
    }

    #[test]
    fn multi_label_counts_every_label_decision() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (g1, p1) = (s(&["anger", "annoyance"]), s(&["anger"]));
        let (g2, p2) = (s(&["joy"]), s(&["joy", "anger"]));
        let report = multi_label_report([(&g1[..], &p1[..]), (&g2[..], &p2[..])]);
        assert_eq!(report.count, 2);
        let anger = &report.per_label["anger"];
        assert_eq!((anger.precision, anger.recall), (0.5, 1.0));
        assert_eq!(report.per_label["annoyance"].f1, 0.0);
        assert_eq!(report.per_label["joy"].f1, 1.0);
        // tp 2, fp 1, fn 1: micro F1 2/3; macro (2/3 + 0 + 1) / 3.
        assert!((report.micro_f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((report.macro_f1 - 5.0 / 9.0).abs() < 1e-12);
    }
}
