//! The `cuda` feature on a GPU: the encoder on the GPU gives the CPU's analyses, for both
//! default models, and fine-tuning runs there. Built only with `--features cuda`; run by
//! `benches/cuda.sh` on a machine with an NVIDIA GPU.

use tolka::train::{TrainOptions, train};
use tolka::{Analysis, Analyzer, Device};

use crate::{analyzer, data_dir, model_dir};

/// Texts of the team-written commerce dev set in `file` (its first `n`).
fn dev_texts(file: &str, n: usize) -> Vec<String> {
    tolka::data::read_jsonl(data_dir().join("commerce").join(file))
        .unwrap()
        .into_iter()
        .take(n)
        .map(|r| r.text)
        .collect()
}

/// How many of `cpu`'s and `gpu`'s analyses disagree where the CPU's answer is not a near tie.
/// Confidences must agree within `tolerance` everywhere; a label may flip only where the top two
/// intents (or sentiments) are within `2 × tolerance` of each other.
fn compare(texts: &[String], cpu: &[Analysis], gpu: &[Analysis], tolerance: f32) {
    let mut ties = 0;
    for ((text, c), g) in texts.iter().zip(cpu).zip(gpu) {
        let (ci, gi) = (c.intent.as_ref().unwrap(), g.intent.as_ref().unwrap());
        let margin = ci.top[0].1 - ci.top.get(1).map_or(0.0, |t| t.1);
        if ci.label != gi.label {
            assert!(margin < 2.0 * tolerance, "{text}: {ci:?} vs {gi:?}");
            ties += 1;
        }
        for ((lc, pc), (lg, pg)) in ci.top.iter().zip(&gi.top) {
            if lc == lg {
                assert!((pc - pg).abs() < tolerance, "{text}: {lc} {pc} vs {pg}");
            }
        }
        let (cs, gs) = (c.sentiment.as_ref().unwrap(), g.sentiment.as_ref().unwrap());
        assert!(
            (cs.score - gs.score).abs() < tolerance,
            "{text}: {cs:?} vs {gs:?}"
        );
        let spans = |a: &Analysis| -> Vec<(String, usize, usize)> {
            a.entities
                .iter()
                .flatten()
                .map(|e| (e.label.clone(), e.start, e.end))
                .collect()
        };
        assert_eq!(spans(c), spans(g), "{text}");
    }
    assert!(ties <= texts.len() / 100, "{ties} near-tie flips");
}

#[test]
fn the_default_model_on_the_gpu_equals_the_cpu() {
    let texts = dev_texts("dev-en.jsonl", 300);
    let gpu = Analyzer::builder(model_dir())
        .device(Device::Cuda(0))
        .build()
        .expect("a GPU: run this test on a machine with one");
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let on_cpu = analyzer().analyze_batch(&refs).unwrap();
    let on_gpu = gpu.analyze_batch(&refs).unwrap();
    compare(&texts, &on_cpu, &on_gpu, 2e-3);
    // One text at a time too (no padding).
    for (text, cpu) in refs.iter().zip(&on_cpu).take(20) {
        compare(
            &[text.to_string()],
            std::slice::from_ref(cpu),
            &[gpu.analyze(text).unwrap()],
            2e-3,
        );
    }
}

#[test]
fn the_multilingual_model_on_the_gpu_equals_the_cpu() {
    let dir = model_dir().with_file_name("commerce-multi");
    let mut texts = dev_texts("dev-sv.jsonl", 150);
    texts.extend(dev_texts("dev-en.jsonl", 50));
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let cpu = Analyzer::from_dir(&dir).unwrap();
    let gpu = Analyzer::builder(&dir)
        .device(Device::Cuda(0))
        .build()
        .unwrap();
    compare(
        &texts,
        &cpu.analyze_batch(&refs).unwrap(),
        &gpu.analyze_batch(&refs).unwrap(),
        2e-3,
    );
}

/// LoRA fine-tuning and encoding on the GPU writes a package that loads on the CPU and
/// learned the training intents.
#[test]
fn finetuning_runs_on_the_gpu() {
    let records = tolka::data::read_jsonl(data_dir().join("commerce/train-en.jsonl")).unwrap();
    let intents = ["track_order", "cancel_order", "return_item", "greeting"];
    let mut chosen: Vec<_> = records
        .into_iter()
        .filter(|r| r.intent.as_deref().is_some_and(|i| intents.contains(&i)))
        .collect();
    chosen.truncate(400);
    let (dev, train_set) = chosen.split_at(80);
    let options = TrainOptions {
        encoder_dir: model_dir().join("../base/all-MiniLM-L6-v2"),
        max_epochs: 20,
        device: Device::Cuda(0),
        finetune: Some(tolka::train::FinetuneOptions {
            batch_size: 16,
            epochs: 2,
            ..Default::default()
        }),
        ..TrainOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let report = train(train_set, dev, &options, dir.path(), &mut |_| {}).unwrap();
    let losses = report.finetune.expect("fine-tuning ran").epoch_losses;
    assert!(losses[1] < losses[0], "{losses:?}");
    let analyzer = Analyzer::from_dir(dir.path()).unwrap();
    let texts: Vec<&str> = dev.iter().map(|r| r.text.as_str()).collect();
    let right = analyzer
        .analyze_batch(&texts)
        .unwrap()
        .iter()
        .zip(dev)
        .filter(|(a, r)| a.intent.as_ref().map(|i| &i.label) == r.intent.as_ref())
        .count();
    assert!(
        right * 10 >= dev.len() * 8,
        "{right} of {} dev texts",
        dev.len()
    );
}
