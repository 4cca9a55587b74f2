//! Load time of a generated catalog (default 100k entries, the generator of the
//! `catalog_100k_entries_loads_fast` test): `Catalog::load` end to end, and its two halves,
//! JSONL parsing and index building (`Catalog::from_entries`), median of ROUNDS.
//!
//! Times are wall clock and, in brackets, this thread's CPU time (from
//! `/proc/thread-self/schedstat`, Linux only), which a loaded machine disturbs less.
//!
//! `cargo run --release --example catalog_load -- [ENTRIES [ROUNDS]]`

use std::time::Instant;

use tolka::rules::{Catalog, CatalogEntry};

#[path = "../tests/support/catalog_gen.rs"]
mod catalog_gen;
use catalog_gen::catalog_jsonl;

/// CPU time of this thread in seconds (0 where `/proc` does not tell).
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 * 1e-9)
}

/// Runs `f`, pushing (wall, cpu) seconds.
fn timed<T>(w: &mut Vec<f64>, c: &mut Vec<f64>, f: impl FnOnce() -> T) -> T {
    let (t, c0) = (Instant::now(), cpu());
    let out = f();
    w.push(t.elapsed().as_secs_f64());
    c.push(cpu() - c0);
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("catalog.jsonl");
    let text = catalog_jsonl(n);
    std::fs::write(&path, &text)?;
    let mut times: [Vec<f64>; 6] = Default::default();
    for _ in 0..rounds {
        let [lw, lc, pw, pc, bw, bc] = &mut times;
        let c = timed(lw, lc, || Catalog::load(&path).map_err(anyhow::Error::from))?;
        assert_eq!(c.len(), n);
        drop(c);
        let entries: Vec<CatalogEntry> = timed(pw, pc, || {
            text.lines()
                .map(serde_json::from_str)
                .collect::<Result<_, _>>()
        })?;
        let c = timed(bw, bc, || {
            Catalog::from_entries(entries).map_err(anyhow::Error::from)
        })?;
        drop(c);
    }
    let [lw, lc, pw, pc, bw, bc] = times.map(|v| 1e3 * median(v));
    println!(
        "{n} entries, median of {rounds}, ms wall (cpu): load {lw:.1} ({lc:.1}), parse {pw:.1} ({pc:.1}), build {bw:.1} ({bc:.1})"
    );
    Ok(())
}
