//! multilingual-e5-small from its 4-bit E5S1 file (`models/fetch-multilingual.sh`).

use std::path::PathBuf;

use tolka::Analyzer;
use tolka::train::{TrainOptions, train};

use crate::{char_slice, data_dir};

fn encoder_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/base/multilingual-e5-small")
}

#[test]
fn e5s1_encoder_trains_and_reads_swedish() {
    let records =
        tolka::data::read_jsonl(data_dir().join("bitext-customer-support/train.jsonl")).unwrap();
    let options = TrainOptions {
        encoder_dir: encoder_dir(),
        encoder_name: "multilingual-e5-small".into(),
        max_epochs: 10,
        ..TrainOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    train(
        &records[..200],
        &records[200..260],
        &options,
        dir.path(),
        &mut |_| {},
    )
    .unwrap();
    let analyzer = Analyzer::from_dir(dir.path()).unwrap();

    // Cross-lingual paraphrases sit closer than unrelated sentences.
    let v = analyzer
        .embed(&[
            "Var är min beställning?",
            "Where is my order?",
            "Jag gillar katter och hundar.",
        ])
        .unwrap();
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    assert_eq!(v[0].len(), 384);
    assert!(
        dot(&v[0], &v[1]) > dot(&v[0], &v[2]) + 0.03,
        "{} vs {}",
        dot(&v[0], &v[1]),
        dot(&v[0], &v[2])
    );

    // The "query: " prefix is added inside tolka and never leaks into offsets.
    let text = "Hej! Jag vill spåra beställning 113542617735902 från Åre 😀";
    let a = analyzer.analyze(text).unwrap();
    for e in a.entities.unwrap() {
        assert_eq!(char_slice(text, e.start, e.end), e.text);
    }
}
