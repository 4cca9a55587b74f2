use tolka::Analyzer;
use tolka::train::{TrainOptions, train};

use crate::data_dir;

#[test]
fn training_is_deterministic_and_learns() {
    let records =
        tolka::data::read_jsonl(data_dir().join("bitext-customer-support/train.jsonl")).unwrap();
    let train_set = &records[..600];
    let dev_set = &records[600..800];
    let options = TrainOptions {
        encoder_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("models/base/all-MiniLM-L6-v2"),
        max_epochs: 15,
        ..TrainOptions::default()
    };
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut reports = Vec::new();
    for dir in &dirs {
        reports.push(train(train_set, dev_set, &options, dir.path(), &mut |_| {}).unwrap());
    }
    let heads = |d: &tempfile::TempDir| std::fs::read(d.path().join("heads.safetensors")).unwrap();
    assert_eq!(heads(&dirs[0]), heads(&dirs[1]), "same seed, same weights");

    let heads_trained: Vec<&str> = reports[0].heads.iter().map(|h| h.head).collect();
    assert_eq!(
        heads_trained,
        ["intent", "entities"],
        "bitext has no sentiment"
    );
    let analyzer = Analyzer::from_dir(dirs[0].path()).unwrap();
    assert!(analyzer.manifest().sentiment.is_none());
    let a = analyzer
        .analyze("I want to cancel order 113542617735902")
        .unwrap();
    assert!(a.sentiment.is_none(), "a task without a head is omitted");
    let dev =
        tolka::data::read_jsonl(data_dir().join("bitext-customer-support/dev.jsonl")).unwrap();
    let report = tolka::eval::evaluate(&analyzer, &dev, 256, &mut |_| {}).unwrap();
    assert!(report.intent.unwrap().accuracy > 0.8);
}

#[test]
fn malformed_training_data_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(
        &path,
        "{\"text\": \"ok\", \"intent\": \"a\"}\n{\"text\": \"abc\", \"entities\": [{\"start\": 2, \"end\": 9, \"label\": \"x\"}]}\n",
    )
    .unwrap();
    let err = tolka::data::read_jsonl(&path).unwrap_err();
    assert!(matches!(err, tolka::Error::Data { line: 2, .. }), "{err}");
    assert!(err.to_string().contains("bad.jsonl:2"));
}
