//! Analyse the texts given as arguments with the default model and print JSON.
//!
//! `cargo run --release --example analyze -- "where is my order 113542617735902?" "thanks!"`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/commerce-en");
    let analyzer = tolka::Analyzer::from_dir(model)?;
    let texts: Vec<String> = std::env::args().skip(1).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    for (text, analysis) in texts.iter().zip(analyzer.analyze_batch(&texts)?) {
        println!("{text}\n{}\n", serde_json::to_string_pretty(&analysis)?);
    }
    Ok(())
}
