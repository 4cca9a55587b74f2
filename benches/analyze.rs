//! Throughput of `Analyzer::analyze_batch` (tokenise → encode → heads → decode) on real
//! utterances, on the default model: the texts of the file named by `TOLKA_BENCH_TEXTS`
//! (one per line; `benches/compare.sh` writes the peers' sample there), else the first 1024
//! texts of CLINC150 dev. Batches are taken in file order, like the peers'.
//!
//! `cargo bench --bench analyze` (needs `models/fetch-encoder.sh`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tolka::Analyzer;

fn utterances() -> Vec<String> {
    if let Some(path) = std::env::var_os("TOLKA_BENCH_TEXTS") {
        let text = std::fs::read_to_string(&path).expect("TOLKA_BENCH_TEXTS is readable");
        return text.lines().map(str::to_owned).collect();
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/clinc150-oos/dev.jsonl");
    tolka::data::read_jsonl(path)
        .expect("data/clinc150-oos/dev.jsonl")
        .into_iter()
        .take(1024)
        .map(|r| r.text)
        .collect()
}

fn analyze_batch(c: &mut Criterion) {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/commerce-en");
    let texts = utterances();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut group = c.benchmark_group("cpu_analyze_batch");
    group.sample_size(10);
    for batch_size in [1, 8, 32, 128] {
        let analyzer = Analyzer::builder(model)
            .batch_size(batch_size)
            .build()
            .expect("load models/commerce-en");
        // Batch 1 analyses texts one call at a time; the others hand the analyzer all texts.
        let n = if batch_size == 1 { 256 } else { texts.len() };
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(batch_size),
            &batch_size,
            |b, &bs| {
                b.iter(|| {
                    if bs == 1 {
                        for text in &texts[..n] {
                            analyzer.analyze(text).unwrap();
                        }
                    } else {
                        for chunk in texts.chunks(bs) {
                            analyzer.analyze_batch(chunk).unwrap();
                        }
                    }
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, analyze_batch);
criterion_main!(benches);
