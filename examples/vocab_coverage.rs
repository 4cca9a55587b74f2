//! How a pruned model package (`tolka prune`) agrees with its full package on text it was
//! not pruned on.
//!
//! ```text
//! cargo run --release --example vocab_coverage -- FULL_MODEL PRUNED_MODEL FILE.jsonl...
//! ```
//!
//! For every JSONL file (the `text` field) it prints, as one JSON line: the share of texts
//! whose sentence embedding is bit-identical under both packages (the pruned tokenizer
//! chose the same pieces), the mean and minimum cosine of the embeddings of the others,
//! and the share of texts whose intent label differs.

use std::path::Path;

use tolka::Analyzer;

fn texts(path: &Path) -> Vec<String> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["text"].as_str().expect("a `text` string").to_owned()
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [full, pruned, files @ ..] = args.as_slice() else {
        eprintln!("usage: vocab_coverage FULL_MODEL PRUNED_MODEL FILE.jsonl...");
        std::process::exit(2);
    };
    let full = Analyzer::builder(full).batch_size(64).build()?;
    let pruned = Analyzer::builder(pruned).batch_size(64).build()?;
    for file in files {
        let owned = texts(Path::new(file));
        let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
        let (a, b) = (full.embed(&texts)?, pruned.embed(&texts)?);
        let cosines: Vec<f32> = a
            .rows()
            .into_iter()
            .zip(b.rows())
            .filter(|(x, y)| x != y)
            .map(|(x, y)| x.dot(&y))
            .collect();
        let (ia, ib) = (full.analyze_batch(&texts)?, pruned.analyze_batch(&texts)?);
        let label = |a: &tolka::Analysis| a.intent.as_ref().map(|i| i.label.clone());
        let intent_changed = ia
            .iter()
            .zip(&ib)
            .filter(|(x, y)| label(x) != label(y))
            .count();
        let n = texts.len() as f64;
        let line = serde_json::json!({
            "file": file,
            "texts": texts.len(),
            "identical": 1.0 - cosines.len() as f64 / n,
            "mean_cosine_of_others": if cosines.is_empty() { 1.0 } else {
                cosines.iter().map(|&c| f64::from(c)).sum::<f64>() / cosines.len() as f64
            },
            "min_cosine": cosines.iter().copied().fold(1.0f32, f32::min),
            "intent_changed": intent_changed as f64 / n,
        });
        println!("{line}");
    }
    Ok(())
}
