//! The rule layer's share of `Analyzer::analyze_batch` time on the default model, measured
//! with interleaved runs (rules on, rules off, rules alone) so that a change in machine load
//! affects all three alike.
//!
//! ```text
//! cargo run --release --example rules_share -- [TEXTS [ROUNDS [BATCH]]]
//! ```
//!
//! Defaults: the first 256 texts of CLINC150 dev, 3 rounds, batch 32. Prints the median
//! seconds of each variant and the overhead of rules on against off; "rules alone" is
//! `Rules::extract` (default config) over the same texts, one thread.

use std::time::Instant;

use chrono::DateTime;
use tolka::Analyzer;
use tolka::rules::{Context, RuleConfig, Rules};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(256), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let batch: usize = args.next().map_or(Ok(32), |a| a.parse())?;
    let root = env!("CARGO_MANIFEST_DIR");
    let texts: Vec<String> =
        tolka::data::read_jsonl(format!("{root}/data/clinc150-oos/dev.jsonl"))?
            .into_iter()
            .take(n)
            .map(|r| r.text)
            .collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let model = format!("{root}/models/commerce-en");
    let on = Analyzer::builder(&model).batch_size(batch).build()?;
    let off = Analyzer::builder(&model)
        .batch_size(batch)
        .rules(None)
        .build()?;
    let rules = Rules::new(&RuleConfig::default())?;
    let ctx = Context::new(DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00")?);
    let run = |a: &Analyzer| -> anyhow::Result<f64> {
        let t = Instant::now();
        for chunk in texts.chunks(batch) {
            std::hint::black_box(a.analyze_batch(chunk)?);
        }
        Ok(t.elapsed().as_secs_f64())
    };
    // Warm-up.
    run(&on)?;
    run(&off)?;
    let (mut t_on, mut t_off, mut t_rules) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate the order so that neither variant always runs first.
        if round % 2 == 0 {
            t_on.push(run(&on)?);
            t_off.push(run(&off)?);
        } else {
            t_off.push(run(&off)?);
            t_on.push(run(&on)?);
        }
        let t = Instant::now();
        for text in &texts {
            std::hint::black_box(rules.extract(text, &ctx));
        }
        t_rules.push(t.elapsed().as_secs_f64());
    }
    let (on_s, off_s, rules_s) = (median(t_on.clone()), median(t_off.clone()), median(t_rules));
    println!("{n} texts, batch {batch}, {rounds} rounds");
    println!(
        "rules on : {t_on:.3?} s, median {on_s:.3} s ({:.1} texts/s)",
        n as f64 / on_s
    );
    println!(
        "rules off: {t_off:.3?} s, median {off_s:.3} s ({:.1} texts/s)",
        n as f64 / off_s
    );
    println!(
        "rules alone: median {rules_s:.4} s ({:.0} texts/s) = {:.3} % of analyze_batch (rules off)",
        n as f64 / rules_s,
        100.0 * rules_s / off_s
    );
    println!("overhead on vs off: {:+.2} %", 100.0 * (on_s / off_s - 1.0));
    Ok(())
}
