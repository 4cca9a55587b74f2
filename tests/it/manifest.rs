use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use tolka::{Analyzer, Error};

use crate::model_dir;

fn encoder_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/base/all-MiniLM-L6-v2")
}

/// A copy of the default model in a temp dir, with `edit` applied to its manifest JSON.
fn copy_model(edit: impl FnOnce(&mut serde_json::Value)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["tolka.json", "heads.safetensors", "adapters.safetensors"] {
        std::fs::copy(model_dir().join(file), dir.path().join(file)).unwrap();
    }
    let path = dir.path().join("tolka.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut manifest);
    std::fs::write(&path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    dir
}

fn load(dir: &Path) -> Error {
    Analyzer::builder(dir)
        .encoder_dir(encoder_dir())
        .build()
        .err()
        .expect("loading must fail")
}

#[test]
fn a_faithful_copy_loads() {
    let dir = copy_model(|_| {});
    Analyzer::builder(dir.path())
        .encoder_dir(encoder_dir())
        .build()
        .unwrap();
}

#[test]
fn unsupported_format_version() {
    let dir = copy_model(|m| m["format_version"] = 99.into());
    let err = load(dir.path());
    assert!(
        matches!(err, Error::FormatVersion { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("tolka.json"));
}

#[test]
fn another_base_encoder() {
    let dir = copy_model(|m| m["encoder"]["sha256"] = "00".repeat(32).into());
    let err = load(dir.path());
    assert!(matches!(err, Error::EncoderMismatch { .. }), "{err}");
}

#[test]
fn label_count_does_not_match_the_head() {
    let dir = copy_model(|m| {
        m["intent"]["labels"]
            .as_array_mut()
            .unwrap()
            .push("extra_intent".into())
    });
    let err = load(dir.path());
    match &err {
        Error::HeadShape { head, path, .. } => {
            // The output layer of the intent head no longer fits the label count.
            assert!(
                head.starts_with("intent.") && head.ends_with(".weight"),
                "{head}"
            );
            assert!(path.ends_with("heads.safetensors"));
        }
        other => panic!("expected HeadShape, got {other}"),
    }
    let dir = copy_model(|m| m["entities"]["labels"].as_array_mut().unwrap().truncate(1));
    assert!(matches!(load(dir.path()), Error::HeadShape { .. }));
}

#[test]
fn corrupt_or_missing_files() {
    let dir = copy_model(|_| {});
    std::fs::write(
        dir.path().join("heads.safetensors"),
        b"not a safetensors file",
    )
    .unwrap();
    assert!(matches!(load(dir.path()), Error::Tensors { .. }));

    std::fs::remove_file(dir.path().join("heads.safetensors")).unwrap();
    assert!(matches!(load(dir.path()), Error::MissingFile { .. }));

    std::fs::write(dir.path().join("tolka.json"), b"{ not json").unwrap();
    assert!(matches!(load(dir.path()), Error::Json { .. }));

    std::fs::remove_file(dir.path().join("tolka.json")).unwrap();
    assert!(matches!(load(dir.path()), Error::MissingFile { .. }));

    let dir = copy_model(|m| m["intent"]["labels"] = serde_json::json!(["only_one"]));
    assert!(matches!(load(dir.path()), Error::Manifest { .. }));
}

#[test]
fn missing_or_broken_encoder() {
    let dir = copy_model(|_| {});
    let empty = tempfile::tempdir().unwrap();
    let err = Analyzer::builder(dir.path())
        .encoder_dir(empty.path())
        .build()
        .err()
        .unwrap();
    assert!(matches!(err, Error::MissingFile { .. }), "{err}");
    assert!(err.to_string().contains("fetch-encoder.sh"));

    // A truncated model.safetensors: typed error, no panic.
    let broken = tempfile::tempdir().unwrap();
    for file in ["config.json", "tokenizer.json"] {
        std::fs::copy(encoder_dir().join(file), broken.path().join(file)).unwrap();
    }
    let weights = std::fs::read(encoder_dir().join("model.safetensors")).unwrap();
    std::fs::write(
        broken.path().join("model.safetensors"),
        &weights[..weights.len() / 2],
    )
    .unwrap();
    let err = Analyzer::builder(dir.path())
        .encoder_dir(broken.path())
        .build()
        .err()
        .unwrap();
    assert!(matches!(err, Error::Tensors { .. }), "{err}");
}

#[test]
fn adapters_need_format_version_2_and_their_file() {
    let adapters = serde_json::json!({"rank": 8, "alpha": 16.0, "targets": ["query", "value"]});
    let entry = adapters.clone();
    let dir = copy_model(move |m| {
        m["format_version"] = 1.into();
        m["adapters"] = entry;
    });
    let err = load(dir.path());
    assert!(matches!(err, Error::Manifest { .. }), "{err}");
    assert!(err.to_string().contains("format_version"), "{err}");

    let dir = copy_model(move |m| {
        m["format_version"] = 2.into();
        m["adapters"] = adapters;
    });
    std::fs::remove_file(dir.path().join("adapters.safetensors")).unwrap();
    let err = load(dir.path());
    assert!(
        matches!(&err, Error::MissingFile { path, .. } if path.ends_with("adapters.safetensors")),
        "{err}"
    );

    let dir = copy_model(|m| {
        m["format_version"] = 2.into();
        m["adapters"] = serde_json::json!({"rank": 0, "alpha": 16.0, "targets": ["query"]});
    });
    assert!(matches!(load(dir.path()), Error::Manifest { .. }));
}

/// A copy of the default model with `edit` applied to the tensors of its heads file.
fn copy_with_heads(edit: impl FnOnce(&mut HashMap<String, Tensor>)) -> tempfile::TempDir {
    let dir = copy_model(|_| {});
    let path = dir.path().join("heads.safetensors");
    let mut tensors = candle_core::safetensors::load(&path, &Device::Cpu).unwrap();
    edit(&mut tensors);
    candle_core::safetensors::save(&tensors, &path).unwrap();
    dir
}

/// `tensors[key]` with its first value replaced by `value`.
fn poison(tensors: &mut HashMap<String, Tensor>, key: &str, value: f32) {
    let tensor = &tensors[key];
    let mut values = tensor.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    values[0] = value;
    let poisoned = Tensor::from_vec(values, tensor.dims(), &Device::Cpu).unwrap();
    tensors.insert(key.to_owned(), poisoned);
}

#[test]
fn head_tensors_must_be_finite_f32() {
    type Edit = fn(&mut HashMap<String, Tensor>);
    let cases: [(&str, Edit, &str); 4] = [
        (
            "intent.0.weight",
            |t| {
                let half = t["intent.0.weight"].to_dtype(DType::F16).unwrap();
                t.insert("intent.0.weight".into(), half);
            },
            "F16",
        ),
        (
            "intent.0.bias",
            |t| poison(t, "intent.0.bias", f32::NAN),
            "NaN",
        ),
        (
            "sentiment.1.weight",
            |t| poison(t, "sentiment.1.weight", f32::INFINITY),
            "inf",
        ),
        (
            "entities.transitions",
            |t| poison(t, "entities.transitions", f32::NEG_INFINITY),
            "-inf",
        ),
    ];
    for (key, edit, shown) in cases {
        let dir = copy_with_heads(edit);
        match load(dir.path()) {
            Error::HeadValues { path, head, reason } => {
                assert!(path.ends_with("heads.safetensors"), "{path:?}");
                assert_eq!(head, key);
                assert!(reason.contains(shown), "{key}: {reason}");
            }
            other => panic!("{key}: expected HeadValues, got {other}"),
        }
    }
}

#[test]
fn manifest_values_are_validated() {
    type Edit = fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 9] = [
        (
            |m| m["intent"]["temperature"] = 1e-45.into(),
            "intent.temperature",
        ),
        (
            |m| m["intent"]["temperature"] = 0.into(),
            "intent.temperature",
        ),
        (
            |m| m["intent"]["temperature"] = 1e9.into(),
            "intent.temperature",
        ),
        (
            |m| m["intent"]["labels"][1] = m["intent"]["labels"][0].clone(),
            "intent.labels",
        ),
        (
            |m| m["entities"]["labels"][1] = m["entities"]["labels"][0].clone(),
            "entities.labels",
        ),
        (
            |m| m["sentiment"]["labels"] = serde_json::json!(["positive", "positive"]),
            "sentiment.labels",
        ),
        (
            |m| m["intent"]["oos_threshold"] = 2.0.into(),
            "intent.oos_threshold",
        ),
        (
            |m| m["intent"]["oos_threshold"] = (-0.5).into(),
            "intent.oos_threshold",
        ),
        (
            |m| m["sentiment"]["neutral_band"] = (-1).into(),
            "sentiment.neutral_band",
        ),
    ];
    for (edit, field) in cases {
        let dir = copy_model(edit);
        let err = load(dir.path());
        assert!(
            matches!(&err, Error::Manifest { path, .. } if path.ends_with("tolka.json")),
            "{field}: {err}"
        );
        assert!(err.to_string().contains(field), "{err}");
    }
    // An oos_label outside the labels stays valid: a threshold-only out-of-scope model
    // (`--drop-label oos`), or a model without out-of-scope (`--no-oos-pool`, threshold 0).
    let dir = copy_model(|m| {
        m["intent"]["oos_label"] = "no_such_label".into();
        m["intent"]["oos_threshold"] = 0.3.into();
    });
    Analyzer::builder(dir.path())
        .encoder_dir(encoder_dir())
        .build()
        .unwrap();
}

#[test]
fn devices_and_fifos_are_not_read_as_model_files() {
    // A FIFO nobody writes to would block a reader forever; /dev/zero never ends.
    let fifo_dir = tempfile::tempdir().unwrap();
    let fifo = fifo_dir.path().join("catalog.jsonl");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for path in [PathBuf::from("/dev/zero"), fifo] {
        let target = path.to_str().unwrap().to_owned();
        let dir = copy_model(|m| m["rules"]["catalog"] = target.clone().into());
        let err = load(dir.path());
        assert!(
            matches!(&err, Error::Io { path: p, .. } if *p == path),
            "{err}"
        );
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let dir = copy_model(|m| m["adapters"]["file"] = target.into());
        let err = load(dir.path());
        assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");
    }
    // The heads file itself replaced by a FIFO.
    let dir = copy_model(|_| {});
    let heads = dir.path().join("heads.safetensors");
    std::fs::remove_file(&heads).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&heads)
            .status()
            .unwrap()
            .success()
    );
    let err = load(dir.path());
    assert!(err.to_string().contains("heads.safetensors"), "{err}");
}
