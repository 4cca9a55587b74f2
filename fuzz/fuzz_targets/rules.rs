//! The rule layer on arbitrary UTF-8: `Rules::extract` with each locale (and none) at a
//! fixed reference time, and `rules::redact`. Asserts what `tolka::rules` documents:
//! byte offsets in bounds and on char boundaries, matches non-empty, sorted and disjoint;
//! the redacted text is the input with each reported match replaced by its placeholder
//! (every other byte unchanged), and redacting it again finds nothing.
#![no_main]

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset};
use libfuzzer_sys::fuzz_target;
use tolka::rules::{self, Context, Locale, Match, RuleConfig, Rules};

struct Fixture {
    both: Rules,
    en: Rules,
    sv: Rules,
    now: DateTime<FixedOffset>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let with = |locales: Vec<Locale>| {
            Rules::new(&RuleConfig {
                locales,
                ..RuleConfig::default()
            })
            .unwrap()
        };
        Fixture {
            both: with(vec![Locale::En, Locale::Sv]),
            en: with(vec![Locale::En]),
            sv: with(vec![Locale::Sv]),
            now: DateTime::parse_from_rfc3339("2026-03-14T12:00:00+01:00").unwrap(),
        }
    })
}

/// Offsets in bounds, on char boundaries, non-empty, sorted by start and disjoint.
fn check_spans(text: &str, matches: &[Match]) {
    let mut prev_end = 0;
    for m in matches {
        assert!(m.start < m.end, "empty or reversed span {m:?} in {text:?}");
        assert!(m.end <= text.len(), "span {m:?} past the end of {text:?}");
        assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        assert!(
            m.start >= prev_end,
            "overlapping or unsorted {matches:?} in {text:?}"
        );
        prev_end = m.end;
    }
}

fn placeholder(label: &str) -> &'static str {
    match label {
        "card" => "[CARD]",
        "personal_number" => "[PERSONNUMMER]",
        "iban" => "[IBAN]",
        "email" => "[EMAIL]",
        "phone" => "[PHONE]",
        other => panic!("redact reported a non-PII label {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let f = fixture();
    let rules = match selector % 3 {
        0 => &f.both,
        1 => &f.en,
        _ => &f.sv,
    };
    for locale in [None, Some(Locale::En), Some(Locale::Sv)] {
        let context = Context {
            reference_time: f.now,
            locale,
        };
        check_spans(text, &rules.extract(text, &context));
    }

    let (redacted, found) = rules::redact(rules, text);
    check_spans(text, &found);
    let mut expected = String::with_capacity(text.len());
    let mut pos = 0;
    for m in &found {
        expected.push_str(&text[pos..m.start]);
        expected.push_str(placeholder(&m.label));
        pos = m.end;
    }
    expected.push_str(&text[pos..]);
    assert_eq!(
        redacted, expected,
        "redaction changed other bytes of {text:?}"
    );
    let (again, left) = rules::redact(rules, &redacted);
    assert!(left.is_empty(), "PII left in {redacted:?}: {left:?}");
    assert_eq!(again, redacted);
});
