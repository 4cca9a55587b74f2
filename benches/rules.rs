//! Throughput of the rule layer alone, its share of `Analyzer::analyze_batch`, and catalog
//! loading.
//!
//! - `rules_extract/{clinc150,bitext}`: `Rules::extract` (default config, no catalog, no
//!   locale given) over the first 1024 texts of CLINC150 dev (the texts of
//!   `benches/analyze.rs`) and the 450 texts of Bitext dev;
//! - `rules_redact/{clinc150,bitext}`: `rules::redact` over the same texts;
//! - `analyze_batch_32/{rules_on,rules_off}`: `analyze_batch` at batch 32 on
//!   `models/commerce-en` over the first 256 CLINC150 texts, with the manifest's rule layer and with
//!   `.rules(None)` (needs `models/fetch-encoder.sh`; skipped when the encoder is missing);
//! - `catalog_load/100k`: `Catalog::load` of a generated 100k-entry JSONL catalog (the
//!   generator of the `catalog_100k_entries_loads_fast` test).
//!
//! `cargo bench --bench rules` (one group: `cargo bench --bench rules -- '^rules_extract'`).
//! `examples/rules_share.rs` measures the rule layer's share of `analyze_batch` with
//! interleaved runs, which a loaded machine disturbs less.

use std::hint::black_box;
use std::path::Path;

use chrono::DateTime;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tolka::Analyzer;
use tolka::rules::{Catalog, Context, RuleConfig, Rules, redact};

fn texts(file: &str, n: usize) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    tolka::data::read_jsonl(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_iter()
        .take(n)
        .map(|r| r.text)
        .collect()
}

fn corpora() -> [(&'static str, Vec<String>); 2] {
    [
        ("clinc150", texts("data/clinc150-oos/dev.jsonl", 1024)),
        (
            "bitext",
            texts("data/bitext-customer-support/dev.jsonl", usize::MAX),
        ),
    ]
}

fn context() -> Context {
    Context::new(DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00").expect("time"))
}

fn rule_layer(c: &mut Criterion) {
    let rules = Rules::new(&RuleConfig::default()).expect("default rules");
    let ctx = context();
    let corpora = corpora();
    let mut group = c.benchmark_group("rules_extract");
    for (name, texts) in &corpora {
        group.throughput(Throughput::Elements(texts.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), texts, |b, texts| {
            b.iter(|| {
                for t in texts {
                    black_box(rules.extract(t, &ctx));
                }
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("rules_redact");
    for (name, texts) in &corpora {
        group.throughput(Throughput::Elements(texts.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), texts, |b, texts| {
            b.iter(|| {
                for t in texts {
                    black_box(redact(&rules, t));
                }
            })
        });
    }
    group.finish();
}

fn analyze_share(c: &mut Criterion) {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/commerce-en");
    let on = match Analyzer::builder(model).batch_size(32).build() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("analyze_batch_32 skipped: {e}");
            return;
        }
    };
    let off = Analyzer::builder(model)
        .batch_size(32)
        .rules(None)
        .build()
        .expect("load models/commerce-en");
    let texts = texts("data/clinc150-oos/dev.jsonl", 256);
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut group = c.benchmark_group("analyze_batch_32");
    group.sample_size(10);
    group.throughput(Throughput::Elements(texts.len() as u64));
    for (name, analyzer) in [("rules_on", &on), ("rules_off", &off)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                for chunk in texts.chunks(32) {
                    black_box(analyzer.analyze_batch(chunk).unwrap());
                }
            })
        });
    }
    group.finish();
}

#[path = "../tests/support/catalog_gen.rs"]
mod catalog_gen;
use catalog_gen::catalog_jsonl;

fn catalog_load(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("catalog.jsonl");
    std::fs::write(&path, catalog_jsonl(100_000)).expect("write catalog");
    let mut group = c.benchmark_group("catalog_load");
    group.sample_size(10);
    group.bench_function("100k", |b| {
        b.iter(|| black_box(Catalog::load(&path).expect("load")))
    });
    group.finish();
}

criterion_group!(benches, rule_layer, catalog_load, analyze_share);
criterion_main!(benches);
