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

fn encoder_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/base/all-MiniLM-L6-v2")
}

/// Five CLINC intents (train: 12 each plus 10 `oos`; dev: the other 8 each plus 40 `oos`).
fn small_clinc() -> (Vec<tolka::data::Record>, Vec<tolka::data::Record>) {
    let records = tolka::data::read_jsonl(data_dir().join("clinc150-oos/dev.jsonl")).unwrap();
    let intents = ["balance", "weather", "timer", "translate", "play_music"];
    let (mut train, mut dev) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashMap::new();
    for r in records {
        let label = r.intent.clone().unwrap();
        let n = seen.entry(label.clone()).or_insert(0usize);
        *n += 1;
        if label == "oos" {
            if *n <= 10 {
                train.push(r);
            } else if *n <= 50 {
                dev.push(r);
            }
        } else if intents.contains(&label.as_str()) {
            if *n <= 12 { train.push(r) } else { dev.push(r) }
        }
    }
    (train, dev)
}

#[test]
fn out_of_scope_without_oos_training_data() {
    let (train_set, dev_set) = small_clinc();
    let options = TrainOptions {
        encoder_dir: encoder_dir(),
        max_epochs: 30,
        learning_rate: 0.01,
        drop_intents: vec!["oos".into()],
        oos_pool: false,
        ..TrainOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let report = train(&train_set, &dev_set, &options, dir.path(), &mut |_| {}).unwrap();
    let names: Vec<&str> = report.oos_auroc.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["msp", "energy", "centroid"]);
    assert!(report.oos_auroc.iter().all(|(_, a)| *a > 0.5), "{report:?}");
    let analyzer = Analyzer::from_dir(dir.path()).unwrap();
    let head = analyzer.manifest().intent.clone().unwrap();
    assert_eq!(head.labels.len(), 5, "oos is not a trained class");
    assert!(
        head.oos_threshold > 0.0,
        "threshold tuned on dev's oos records"
    );
    let scores = tolka::eval::evaluate(&analyzer, &dev_set, 256, &mut |_| {})
        .unwrap()
        .intent
        .unwrap();
    // Measured: AUROC 0.914, recall 0.5 at precision 1.0 (5 intents, 12 examples each).
    assert!(scores.oos_auroc.unwrap() > 0.8, "{scores:?}");
    assert!(scores.oos_recall.unwrap() >= 0.4, "{scores:?}");
    assert!(scores.in_scope_accuracy.unwrap() > 0.8, "{scores:?}");
}

#[test]
fn few_shot_prototype_classifier() {
    let (train_set, dev_set) = small_clinc();
    let options = TrainOptions {
        encoder_dir: encoder_dir(),
        classifier: tolka::train::Classifier::Prototype,
        per_label: Some(4),
        hidden: vec![32], // ignored: a prototype head is linear
        ..TrainOptions::default()
    };
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut reports = Vec::new();
    for dir in &dirs {
        reports.push(train(&train_set, &dev_set, &options, dir.path(), &mut |_| {}).unwrap());
    }
    let heads = |d: &tempfile::TempDir| std::fs::read(d.path().join("heads.safetensors")).unwrap();
    assert_eq!(heads(&dirs[0]), heads(&dirs[1]), "same seed, same sample");
    // 4 per intent, oos included (it is a label of the training data here).
    assert_eq!(reports[0].heads[0].train_examples, 6 * 4);
    let analyzer = Analyzer::from_dir(dirs[0].path()).unwrap();
    assert!(
        analyzer
            .manifest()
            .intent
            .as_ref()
            .unwrap()
            .hidden
            .is_empty()
    );
    let intent = analyzer
        .analyze("what's the weather like tomorrow")
        .unwrap()
        .intent
        .unwrap();
    assert_eq!(intent.label, "weather");
}

#[test]
fn entity_decoder_is_written_and_read() {
    let records =
        tolka::data::read_jsonl(data_dir().join("bitext-customer-support/train.jsonl")).unwrap();
    let for_decoder = |decoder| {
        let options = TrainOptions {
            encoder_dir: encoder_dir(),
            max_epochs: 5,
            decoder,
            ..TrainOptions::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let report = train(
            &records[..300],
            &records[300..400],
            &options,
            dir.path(),
            &mut |_| {},
        )
        .unwrap();
        (dir, report)
    };
    let (learned, report) = for_decoder(tolka::entity::Decoder::Learned);
    let d = report.decoding.expect("dev has entities");
    assert!(d.learned_f1 >= d.constrained_f1, "{d:?}");
    let manifest = std::fs::read_to_string(learned.path().join("tolka.json")).unwrap();
    assert!(manifest.contains("\"decoder\": \"learned\""));
    let tensors = candle_core::safetensors::load(
        learned.path().join("heads.safetensors"),
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let tags = 1 + 2 * Analyzer::from_dir(learned.path())
        .unwrap()
        .manifest()
        .entities
        .as_ref()
        .unwrap()
        .labels
        .len();
    assert_eq!(tensors["entities.transitions"].dims(), [tags + 1, tags]);

    // Constrained: no decoder field and no transitions (what older packages look like).
    let (constrained, report) = for_decoder(tolka::entity::Decoder::Constrained);
    assert!(report.decoding.is_none());
    let manifest = std::fs::read_to_string(constrained.path().join("tolka.json")).unwrap();
    assert!(!manifest.contains("decoder"));
    let a = Analyzer::from_dir(constrained.path()).unwrap();
    a.analyze("I want to cancel order 113542617735902").unwrap();

    // A learned decoder without its transitions is a shape error naming the tensor.
    let tensors: std::collections::HashMap<String, candle_core::Tensor> = tensors
        .into_iter()
        .filter(|(k, _)| k != "entities.transitions")
        .collect();
    candle_core::safetensors::save(&tensors, learned.path().join("heads.safetensors")).unwrap();
    let err = Analyzer::from_dir(learned.path()).err().unwrap();
    assert!(err.to_string().contains("entities.transitions"), "{err}");
}

/// LoRA fine-tuning of the real base encoder on a handful of records writes a package whose
/// adapters are merged at load time (the analysis differs from the same heads over the base
/// encoder), and a damaged adapter file is a typed error naming it.
#[test]
fn lora_finetuning_writes_a_package_that_loads() {
    let records =
        tolka::data::read_jsonl(data_dir().join("bitext-customer-support/train.jsonl")).unwrap();
    let options = TrainOptions {
        encoder_dir: encoder_dir(),
        max_epochs: 3,
        finetune: Some(tolka::train::FinetuneOptions {
            learning_rate: 1e-2,
            batch_size: 8,
            max_records: Some(24),
            ..Default::default()
        }),
        ..TrainOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let report = train(
        &records[..60],
        &records[600..640],
        &options,
        dir.path(),
        &mut |_| {},
    )
    .unwrap();
    let finetune = report.finetune.expect("fine-tuning ran");
    assert_eq!((finetune.records, finetune.steps), (24, 3));
    assert!(finetune.epoch_losses[0].is_finite());
    let adapters = dir.path().join(tolka::model::ADAPTERS_FILE);
    let size = std::fs::metadata(&adapters).unwrap().len();
    assert!(size < 4 << 20, "adapters are {size} bytes");

    let analyzer = Analyzer::from_dir(dir.path()).unwrap();
    let manifest = analyzer.manifest().clone();
    assert_eq!(manifest.format_version, 2);
    let lora = manifest.adapters.clone().expect("adapters in the manifest");
    assert_eq!((lora.rank, lora.alpha), (8, 16.0));
    let text = "I want to cancel order 113542617735902";
    let adapted = analyzer.analyze(text).unwrap().intent.unwrap();

    // The same heads over the base encoder (manifest without adapters) score differently.
    let base = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("heads.safetensors"),
        base.path().join("heads.safetensors"),
    )
    .unwrap();
    let mut plain = manifest.clone();
    plain.adapters = None;
    plain.format_version = 1;
    plain.encoder.path = encoder_dir();
    plain.write(base.path()).unwrap();
    let unadapted = Analyzer::from_dir(base.path())
        .unwrap()
        .analyze(text)
        .unwrap()
        .intent
        .unwrap();
    assert!(
        (adapted.confidence - unadapted.confidence).abs() > 1e-5,
        "{adapted:?} vs {unadapted:?}"
    );

    // A truncated adapter file.
    let bytes = std::fs::read(&adapters).unwrap();
    std::fs::write(&adapters, &bytes[..bytes.len() / 2]).unwrap();
    let err = Analyzer::from_dir(dir.path())
        .err()
        .expect("loading must fail");
    assert!(
        matches!(&err, tolka::Error::Tensors { path, .. } if *path == adapters),
        "{err}"
    );
    assert!(err.to_string().contains("adapters.safetensors"), "{err}");
}

/// A shop's own few intents get out-of-scope detection from the built-in pool; without the
/// pool, off-topic text lands in one of the shop's intents.
#[test]
fn shop_intents_get_out_of_scope_from_the_pool() {
    let train_set = tolka::data::read(data_dir().join("shop-fewshot/train.jsonl")).unwrap();
    let options = TrainOptions {
        encoder_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("models/base/all-MiniLM-L6-v2"),
        ..TrainOptions::default()
    };
    let pooled = tempfile::tempdir().unwrap();
    train(&train_set, &[], &options, pooled.path(), &mut |_| {}).unwrap();
    let bare = tempfile::tempdir().unwrap();
    let no_pool = TrainOptions {
        oos_pool: false,
        ..options
    };
    train(&train_set, &[], &no_pool, bare.path(), &mut |_| {}).unwrap();

    let pooled = Analyzer::from_dir(pooled.path()).unwrap();
    let bare = Analyzer::from_dir(bare.path()).unwrap();
    let label = |a: &Analyzer, text: &str| a.analyze(text).unwrap().intent.unwrap();
    let weather = label(&pooled, "what is the weather like");
    assert!(weather.out_of_scope, "{weather:?}");
    assert_eq!(
        label(&pooled, "can I hire a bike for saturday?").label,
        "rent_bike"
    );
    assert!(!label(&bare, "what is the weather like").out_of_scope);
    assert!(
        !bare
            .manifest()
            .intent
            .as_ref()
            .unwrap()
            .labels
            .contains(&"oos".to_owned()),
        "without the pool there is no out-of-scope class"
    );
}
