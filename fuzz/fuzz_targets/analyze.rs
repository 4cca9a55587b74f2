//! `Analyzer::analyze` and `Analyzer::redact` with the default model (`models/commerce-en`,
//! loaded once) on arbitrary UTF-8 up to 2 KB. Asserts what the docs promise: entity
//! offsets are character offsets in bounds with `text` equal to those characters, sorted by
//! start; probabilities and confidences are finite and in [0, 1], the sentiment score in
//! [-1, 1]; a redaction's entities are in bounds and hold the placeholder, not the text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tolka::{Analyzer, Entity};

const MAX_BYTES: usize = 2048;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/commerce-en");
        Analyzer::builder(dir).threads(1).build().unwrap()
    })
}

fn unit(x: f32, what: &str) {
    assert!(x.is_finite() && (0.0..=1.0).contains(&x), "{what} {x}");
}

/// Character offsets in bounds, sorted by start.
fn check_offsets(chars: &[char], entities: &[Entity]) {
    let mut prev_start = 0;
    for e in entities {
        assert!(e.start < e.end && e.end <= chars.len(), "{e:?}");
        assert!(e.start >= prev_start, "unsorted: {entities:?}");
        prev_start = e.start;
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let analyzer = analyzer();
    let chars: Vec<char> = text.chars().collect();
    let analysis = analyzer.analyze(text).unwrap();

    let entities = analysis.entities.unwrap_or_default();
    check_offsets(&chars, &entities);
    for e in &entities {
        let span: String = chars[e.start..e.end].iter().collect();
        assert_eq!(span, e.text, "{e:?} in {text:?}");
        unit(e.confidence, "entity confidence");
    }
    if let Some(intent) = &analysis.intent {
        unit(intent.confidence, "intent confidence");
        for (_, p) in &intent.top {
            unit(*p, "intent probability");
        }
    }
    if let Some(s) = &analysis.sentiment {
        assert!(
            s.score.is_finite() && (-1.0..=1.0).contains(&s.score),
            "{s:?}"
        );
    }
    for e in analysis.emotions.iter().flatten() {
        unit(e.score, "emotion score");
    }
    if let Some(lang) = &analysis.lang {
        unit(lang.confidence, "language confidence");
    }

    let redaction = analyzer.redact(text);
    check_offsets(&chars, &redaction.entities);
    for e in &redaction.entities {
        assert!(
            e.text.starts_with('[') && e.text.ends_with(']'),
            "a redaction entity holds {:?}",
            e.text
        );
    }
});
