//! Recall of PII redaction per kind, and false alarms on look-alikes, on the team-written
//! cases of `data/pii/pii-cases.jsonl` (default [`RuleConfig`]: locales `en` and `sv`, as
//! `tolka redact` runs it).
//!
//! ```text
//! cargo run --release --example pii_eval [-- FILE] [--errors]
//! ```
//!
//! A positive case (`kind` is `card`, `phone`, `email`, `iban` or `personal_number`) is
//! found when every byte of its `pii` substring lies inside one redaction of that kind
//! (`redacted` counts redactions of any kind: what matters for privacy). A look-alike
//! (`kind` is `none`) is a false alarm when anything in it is redacted. `--errors` prints
//! the misses and false alarms. The last line is the throughput of `redact` on these
//! texts, one thread.

use std::collections::BTreeMap;

use tolka::rules::{RuleConfig, Rules, redact};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut file = "data/pii/pii-cases.jsonl".to_owned();
    let mut errors = false;
    for arg in std::env::args().skip(1) {
        if arg == "--errors" {
            errors = true;
        } else {
            file = arg;
        }
    }
    let rules = Rules::new(&RuleConfig::default())?;
    let text = std::fs::read_to_string(&file)?;
    // kind → (cases, found with the right label, fully redacted whatever the label)
    let mut recall: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    // look-alike kind → (cases, false alarms)
    let mut alarms: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut report = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{file}:{}: {e}", n + 1))?;
        let field = |k: &str| case.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let (text, kind) = (field("text"), field("kind"));
        let (_, found) = redact(&rules, text);
        if kind == "none" {
            let entry = alarms.entry(field("lookalike").to_owned()).or_default();
            entry.0 += 1;
            if !found.is_empty() {
                entry.1 += 1;
                let what: Vec<_> = found
                    .iter()
                    .map(|m| format!("{} {:?}", m.label, &text[m.start..m.end]))
                    .collect();
                report.push(format!("FALSE ALARM {text:?}: {}", what.join(", ")));
            }
            continue;
        }
        let pii = field("pii");
        let start = text
            .find(pii)
            .ok_or_else(|| format!("{file}:{}: pii not in text", n + 1))?;
        let end = start + pii.len();
        let covering = found.iter().find(|m| m.start <= start && m.end >= end);
        let right = covering.is_some_and(|m| m.label == kind);
        let entry = recall.entry(kind.to_owned()).or_default();
        entry.0 += 1;
        if right {
            entry.1 += 1;
        }
        // Privacy: no byte of the PII outside a redaction.
        let all_covered = (start..end).all(|b| found.iter().any(|m| m.start <= b && b < m.end));
        if all_covered {
            entry.2 += 1;
        }
        if !right {
            let what: Vec<_> = found
                .iter()
                .map(|m| format!("{} {:?}", m.label, &text[m.start..m.end]))
                .collect();
            report.push(format!(
                "MISS {kind} {pii:?} in {text:?}: got [{}]",
                what.join(", ")
            ));
        }
    }
    println!("| kind | cases | recall (right kind) | fully redacted |");
    println!("| --- | ---: | ---: | ---: |");
    let (mut n, mut hit, mut red) = (0, 0, 0);
    for (kind, (cases, right, covered)) in &recall {
        println!(
            "| {kind} | {cases} | {:.3} | {:.3} |",
            *right as f64 / *cases as f64,
            *covered as f64 / *cases as f64
        );
        n += cases;
        hit += right;
        red += covered;
    }
    println!(
        "| **all** | {n} | {:.3} | {:.3} |",
        hit as f64 / n.max(1) as f64,
        red as f64 / n.max(1) as f64
    );
    println!();
    println!("| look-alike | cases | false alarms |");
    println!("| --- | ---: | ---: |");
    let (mut m, mut fa) = (0, 0);
    for (kind, (cases, bad)) in &alarms {
        println!("| {kind} | {cases} | {bad} |");
        m += cases;
        fa += bad;
    }
    println!(
        "| **all** | {m} | {fa} ({:.1} %) |",
        100.0 * fa as f64 / m.max(1) as f64
    );
    // Throughput of `redact` on these texts (PII-dense, unlike chat at large).
    let texts: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|c| c.get("text").and_then(|t| t.as_str()).map(str::to_owned))
        .collect();
    let started = std::time::Instant::now();
    let mut passes = 0;
    while passes < 3 || started.elapsed().as_secs_f64() < 1.0 {
        for t in &texts {
            std::hint::black_box(redact(&rules, t));
        }
        passes += 1;
    }
    println!();
    println!(
        "redact: {:.0} texts/s ({} texts × {passes})",
        (texts.len() * passes) as f64 / started.elapsed().as_secs_f64(),
        texts.len()
    );
    if errors {
        println!();
        for r in report {
            println!("{r}");
        }
    }
    Ok(())
}
