//! Span precision / recall / F1 of the rule layer (default [`RuleConfig`], no catalog, no
//! locale given, as `models/commerce-en` runs it) against gold slots of real data.
//!
//! ```text
//! cargo run --release --example rules_eval -- slurp  FILE... [--errors N]
//! cargo run --release --example rules_eval -- bitext FILE... [--errors N]
//! ```
//!
//! **slurp** (`../shared/data/slurp-en/{dev,train}.jsonl`): only the slots whose meaning is
//! that of a rule kind are scored; the rule labels are mapped onto them:
//!
//! | class | gold SLURP slots | rule labels |
//! | --- | --- | --- |
//! | `date` | `date` | `date` |
//! | `time` | `time`, `timeofday` | `time`, `duration` |
//! | `temporal` | `date`, `time`, `timeofday` | `date`, `time`, `duration` |
//!
//! SLURP's `time` holds clock times ("five pm") and durations ("one hour", "five minutes"),
//! so rule `duration` counts as `time`; `timeofday` ("morning", "tonight") is what rule
//! `time` gives as an interval. `temporal` ignores the date / time split: the rule layer
//! merges "tomorrow at six am" into one `time`, which SLURP annotates as a `date` and a
//! `time`. Not scored: `currency_name` (a currency without an amount, which is not a rule
//! `money`), `email_address` (only spoken forms, "john@gmail dot com"),
//! `general_frequency` ("every friday": no rule kind), and the number-like `radio_name` /
//! `change_amount` (names and volume levels, not quantities).
//!
//! **bitext** (`data/bitext-customer-support/{dev,train}.jsonl`): gold `order_id` against
//! rule `order_id`.
//!
//! Both report exact-span scores (`tolka::eval::metrics::span_report`: same start, end and class)
//! and overlap scores (a prediction is correct when it overlaps a gold span of its class; a
//! gold span is found when a prediction of its class overlaps it), per class, and the
//! overlap recall of each gold slot. `--errors N` prints up to N misses and false alarms per
//! class.

use std::collections::BTreeMap;

use chrono::DateTime;
use tolka::data::Span;
use tolka::eval::metrics::span_report;
use tolka::rules::{Context, RuleConfig, Rules};

/// Gold slot → class, and rule label → classes, of one dataset.
struct Mapping {
    gold: &'static [(&'static str, &'static [&'static str])],
    rule: &'static [(&'static str, &'static [&'static str])],
}

const SLURP: Mapping = Mapping {
    gold: &[
        ("date", &["date", "temporal"]),
        ("time", &["time", "temporal"]),
        ("timeofday", &["time", "temporal"]),
    ],
    rule: &[
        ("date", &["date", "temporal"]),
        ("time", &["time", "temporal"]),
        ("duration", &["time", "temporal"]),
    ],
};

const BITEXT: Mapping = Mapping {
    gold: &[("order_id", &["order_id"])],
    rule: &[("order_id", &["order_id"])],
};

fn classes(
    map: &[(&'static str, &'static [&'static str])],
    label: &str,
) -> &'static [&'static str] {
    map.iter()
        .find(|(l, _)| *l == label)
        .map_or(&[], |(_, c)| c)
}

/// Byte offset → char offset.
fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte].chars().count()
}

#[derive(Default)]
struct Overlap {
    pred: usize,
    pred_ok: usize,
    gold: usize,
    gold_found: usize,
}

fn prf(ok_p: usize, p: usize, ok_r: usize, r: usize) -> (f64, f64, f64) {
    let precision = if p == 0 { 0.0 } else { ok_p as f64 / p as f64 };
    let recall = if r == 0 { 0.0 } else { ok_r as f64 / r as f64 };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    (precision, recall, f1)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dataset = args.next().unwrap_or_default();
    let mapping = match dataset.as_str() {
        "slurp" => &SLURP,
        "bitext" => &BITEXT,
        _ => anyhow::bail!("usage: rules_eval slurp|bitext FILE... [--errors N]"),
    };
    let mut files = Vec::new();
    let mut show_errors = 0usize;
    while let Some(a) = args.next() {
        if a == "--errors" {
            show_errors = args.next().unwrap_or_default().parse()?;
        } else {
            files.push(a);
        }
    }
    anyhow::ensure!(!files.is_empty(), "no data file given");

    let rules = Rules::new(&RuleConfig::default())?;
    let ctx = Context::new(DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00")?);

    // Per document: gold and predicted spans, labelled by class.
    let mut docs: Vec<(Vec<Span>, Vec<Span>)> = Vec::new();
    let mut texts = Vec::new();
    // Gold slot → (support, found by an overlapping prediction of its class).
    let mut slot_recall: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for file in &files {
        for record in tolka::data::read_jsonl(file)? {
            let text = record.text;
            let mut gold = Vec::new();
            for e in record.entities.iter().flatten() {
                for class in classes(mapping.gold, &e.label) {
                    gold.push(Span {
                        start: e.start,
                        end: e.end,
                        label: (*class).to_owned(),
                    });
                }
            }
            let mut pred = Vec::new();
            for m in rules.extract(&text, &ctx) {
                for class in classes(mapping.rule, &m.label) {
                    pred.push(Span {
                        start: char_offset(&text, m.start),
                        end: char_offset(&text, m.end),
                        label: (*class).to_owned(),
                    });
                }
            }
            for e in record.entities.iter().flatten() {
                let cs = classes(mapping.gold, &e.label);
                if let Some(class) = cs.first() {
                    let r = slot_recall.entry(e.label.clone()).or_default();
                    r.0 += 1;
                    if pred
                        .iter()
                        .any(|p| p.label == *class && p.start < e.end && e.start < p.end)
                    {
                        r.1 += 1;
                    }
                }
            }
            docs.push((gold, pred));
            texts.push(text);
        }
    }

    println!("{} texts from {}", docs.len(), files.join(", "));
    let exact = span_report(docs.iter().map(|(g, p)| (g.as_slice(), p.as_slice())));
    let mut overlap: BTreeMap<String, Overlap> = BTreeMap::new();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ((gold, pred), text) in docs.iter().zip(&texts) {
        let slice =
            |s: &Span| -> String { text.chars().skip(s.start).take(s.end - s.start).collect() };
        let hit = |a: &Span, b: &Span| a.label == b.label && a.start < b.end && b.start < a.end;
        for p in pred {
            let o = overlap.entry(p.label.clone()).or_default();
            o.pred += 1;
            if gold.iter().any(|g| hit(g, p)) {
                o.pred_ok += 1;
            }
            if !gold.contains(p) {
                errors
                    .entry(p.label.clone())
                    .or_default()
                    .push(format!("  FP {:?} in {text:?}", slice(p)));
            }
        }
        for g in gold {
            let o = overlap.entry(g.label.clone()).or_default();
            o.gold += 1;
            if pred.iter().any(|p| hit(g, p)) {
                o.gold_found += 1;
            }
            if !pred.contains(g) {
                errors
                    .entry(g.label.clone())
                    .or_default()
                    .push(format!("  FN {:?} in {text:?}", slice(g)));
            }
        }
    }
    println!(
        "{:<10} {:>6} {:>6} | {:>6} {:>6} {:>6} (exact) | {:>6} {:>6} {:>6} (overlap)",
        "class", "gold", "pred", "P", "R", "F1", "P", "R", "F1"
    );
    for (class, o) in &overlap {
        let e = exact.per_label.get(class);
        let (ep, er, ef) = e.map_or((0.0, 0.0, 0.0), |e| (e.precision, e.recall, e.f1));
        let (op, or, of) = prf(o.pred_ok, o.pred, o.gold_found, o.gold);
        println!(
            "{class:<10} {:>6} {:>6} | {ep:>6.3} {er:>6.3} {ef:>6.3}         | {op:>6.3} {or:>6.3} {of:>6.3}",
            o.gold, o.pred
        );
    }
    println!("overlap recall per gold slot:");
    for (slot, (n, found)) in &slot_recall {
        println!(
            "  {slot:<10} {found:>4}/{n:<4} {:.3}",
            *found as f64 / (*n).max(1) as f64
        );
    }
    if show_errors > 0 {
        for (class, errs) in &errors {
            println!("errors of {class} ({}):", errs.len());
            for e in errs.iter().take(show_errors) {
                println!("{e}");
            }
        }
    }
    Ok(())
}
