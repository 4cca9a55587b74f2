//! The redaction property test: random valid personal data (Luhn-valid cards in several
//! groupings, personnummer with their check digit, mod-97-valid IBANs, e-mail addresses,
//! Swedish and international phone numbers) in random customer-like text; no byte of the
//! output may hold it, as written or as its digits alone.
//!
//! The library path runs many cases (`Analyzer::redact`, and an analysis with
//! `Analyzer::redact_analysis`); one CLI run puts a batch of generated texts through
//! `tolka tag --redact` (with and without conversations) and `tolka redact`.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::analyzer;
use crate::cli::tolka;

/// One piece of personal data: how it is written in the text, and the forms that must not
/// appear in any output.
#[derive(Debug, Clone)]
struct Pii {
    written: String,
    forbidden: Vec<String>,
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The Luhn check digit that completes `body`.
fn luhn_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn show(ds: &[u8]) -> String {
    ds.iter().map(|d| char::from(b'0' + d)).collect()
}

/// `s` cut into groups of the given sizes, joined by `sep`.
fn grouped(s: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut pos = 0;
    for &n in sizes {
        if pos >= s.len() {
            break;
        }
        out.push(&s[pos..(pos + n).min(s.len())]);
        pos += n;
    }
    if pos < s.len() {
        out.push(&s[pos..]);
    }
    out.join(sep)
}

fn pii(written: String, mut forbidden: Vec<String>) -> Pii {
    forbidden.push(written.clone());
    let d = digits(&written);
    if d.len() >= 6 {
        forbidden.push(d);
    }
    Pii { written, forbidden }
}

fn card() -> impl Strategy<Value = Pii> {
    (
        0..3usize,
        prop::collection::vec(0..10u8, 16),
        prop::sample::select(vec![" ", "-", ""]),
    )
        .prop_map(|(brand, random, sep)| {
            let (mut body, len, groups): (Vec<u8>, usize, &[usize]) = match brand {
                0 => (vec![4], 16, &[4, 4, 4, 4]),
                1 => (vec![5, 1 + random[0] % 5], 16, &[4, 4, 4, 4]),
                _ => (
                    vec![3, if random[0] % 2 == 0 { 4 } else { 7 }],
                    15,
                    &[4, 6, 5],
                ),
            };
            body.extend(&random[1..len - body.len()]);
            body.push(luhn_digit(&body));
            pii(grouped(&show(&body), groups, sep), Vec::new())
        })
}

fn personnummer() -> impl Strategy<Value = Pii> {
    (
        1940..2008u32,
        1..13u32,
        1..29u32,
        0..1000u32,
        prop::sample::select(vec!["short-", "short", "long-", "long"]),
    )
        .prop_map(|(year, month, day, serial, form)| {
            let short = format!("{:02}{month:02}{day:02}{serial:03}", year % 100);
            let ds: Vec<u8> = short.bytes().map(|b| b - b'0').collect();
            let check = luhn_digit(&ds);
            let (head, tail) = (&short[..6], format!("{}{check}", &short[6..]));
            let century = year / 100;
            let written = match form {
                "short-" => format!("{head}-{tail}"),
                "short" => format!("{head}{tail}"),
                "long-" => format!("{century}{head}-{tail}"),
                _ => format!("{century}{head}{tail}"),
            };
            pii(written, vec![format!("{head}{tail}")])
        })
}

fn iban() -> impl Strategy<Value = Pii> {
    (
        prop::sample::select(vec![
            ("SE", 20),
            ("DE", 18),
            ("NO", 11),
            ("FI", 14),
            ("GB", 14),
        ]),
        prop::collection::vec(0..10u8, 20),
        prop::collection::vec(0..26u8, 4),
        any::<bool>(),
    )
        .prop_map(|((country, n), random, letters, spaced)| {
            let mut bban = String::new();
            if country == "GB" {
                bban.extend(letters.iter().map(|l| char::from(b'A' + l)));
            }
            bban.push_str(&show(&random[..n]));
            // Mod 97: the BBAN, then the country and "00", letters as 10..35.
            let rearranged = format!("{bban}{country}00");
            let remainder = rearranged.chars().fold(0u64, |r, c| {
                let v = c.to_digit(36).expect("alphanumeric") as u64;
                if v >= 10 {
                    (r * 100 + v) % 97
                } else {
                    (r * 10 + v) % 97
                }
            });
            let compact = format!("{country}{:02}{bban}", 98 - remainder);
            let written = if spaced {
                grouped(&compact, &[4; 8], " ")
            } else {
                compact.clone()
            };
            pii(written, vec![compact.clone(), compact[4..].to_owned()])
        })
}

fn email() -> impl Strategy<Value = Pii> {
    (
        "[a-z]{2,8}",
        prop::option::of("[a-z0-9]{1,5}"),
        "[a-z]{3,10}",
        prop::sample::select(vec!["se", "com", "nu", "io", "co.uk", "org"]),
        prop::sample::select(vec![".", "_", "+", "-"]),
    )
        .prop_map(|(user, extra, domain, tld, sep)| {
            let local = match extra {
                Some(x) => format!("{user}{sep}{x}"),
                None => user,
            };
            pii(format!("{local}@{domain}.{tld}"), vec![format!("{local}@")])
        })
}

fn phone() -> impl Strategy<Value = Pii> {
    (
        prop::sample::select(vec![0u8, 2, 3, 6, 9]),
        prop::collection::vec(0..10u8, 10),
        0..10usize,
    )
        .prop_map(|(operator, r, form)| {
            let seven = show(&r[..7]);
            let mobile = format!("7{operator}{seven}"); // national number without the 0
            let e164 = format!("+46{mobile}");
            let written = match form {
                0 => format!(
                    "0{}-{} {} {}",
                    &mobile[..2],
                    &seven[..3],
                    &seven[3..5],
                    &seven[5..]
                ),
                1 => format!("0{mobile}"),
                2 => format!(
                    "0{} {} {} {}",
                    &mobile[..2],
                    &seven[..3],
                    &seven[3..5],
                    &seven[5..]
                ),
                3 => format!(
                    "+46 {} {} {} {}",
                    &mobile[..2],
                    &seven[..3],
                    &seven[3..5],
                    &seven[5..]
                ),
                4 => e164.clone(),
                5 => format!(
                    "0046 {} {} {} {}",
                    &mobile[..2],
                    &seven[..3],
                    &seven[3..5],
                    &seven[5..]
                ),
                6 => format!("08-{} {} {}", &seven[..3], &seven[3..6], show(&r[7..9])),
                7 => format!("+44 20 {} {}", show(&r[..4]), show(&r[4..8])),
                8 => format!(
                    "+1 {}{} {} {}",
                    2 + r[0] % 8,
                    show(&r[1..3]),
                    show(&r[3..6]),
                    show(&r[6..10])
                ),
                _ => format!("+49 30 {}", show(&r[..8])),
            };
            let normalised = format!("+{}", digits(&written).trim_start_matches("00"));
            let national = digits(&written).trim_start_matches('0').to_owned();
            let forbidden = if form <= 5 {
                vec![e164, format!("0{mobile}")]
            } else if form == 6 {
                vec![format!("+46{national}")]
            } else {
                vec![normalised]
            };
            pii(written, forbidden)
        })
}

fn any_pii() -> impl Strategy<Value = Pii> {
    prop_oneof![card(), personnummer(), iban(), email(), phone()]
}

/// Customer-like words around the personal data, English and Swedish, with numbers.
fn filler() -> impl Strategy<Value = String> {
    let words = vec![
        "hi",
        "hej",
        "my",
        "card",
        "kort",
        "was",
        "charged",
        "twice",
        "for",
        "order",
        "12345",
        "A-10293",
        "please",
        "refund",
        "to",
        "kontot",
        "mejla",
        "mig",
        "på",
        "ring",
        "call",
        "me",
        "at",
        "nr",
        "number",
        "is",
        "är",
        "betalade",
        "med",
        "499 kr",
        "2 st",
        "size 42",
        "imorgon",
        "tomorrow",
        "lol",
        "asap",
        "!!",
        "??",
        "personnummer",
        "pnr",
        "IBAN",
        "e-mail",
        "tel",
        "mobil",
        "the",
        "och",
        "and",
        "wtf",
        "tack",
        "thanks",
        "😀",
    ];
    prop::collection::vec(prop::sample::select(words), 0..8).prop_map(|w| w.join(" "))
}

/// A text with one to three pieces of personal data, and the forms that must not leak.
fn case() -> impl Strategy<Value = (String, Vec<String>)> {
    let before = prop::sample::select(vec![" ", ": ", ", ", " (", "\n", " är ", " is "]);
    let after = prop::sample::select(vec!["", ".", ",", ")", "!", " ", "?", "\n"]);
    (
        filler(),
        prop::collection::vec((any_pii(), before, after, filler()), 1..4),
    )
        .prop_map(|(start, parts)| {
            let mut text = start;
            let mut forbidden = Vec::new();
            for (pii, before, after, words) in parts {
                text.push_str(before);
                text.push_str(&pii.written);
                text.push_str(after);
                text.push(' ');
                text.push_str(&words);
                forbidden.extend(pii.forbidden);
            }
            (text, forbidden)
        })
}

fn assert_clean(output: &str, forbidden: &[String], what: &str) {
    for f in forbidden {
        if let Some(line) = output.lines().find(|l| l.contains(f.as_str())) {
            panic!("{what} leaks `{f}`:\n{line}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn redact_keeps_no_personal_data((text, forbidden) in case()) {
        let redaction = analyzer().redact(&text);
        assert_clean(&serde_json::to_string(&redaction).unwrap(), &forbidden, "redact");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_redacted_analysis_keeps_no_personal_data((text, forbidden) in case()) {
        let mut analysis = analyzer().analyze(&text).unwrap();
        let redaction = analyzer().redact_analysis(&text, &mut analysis);
        let out = format!("{}\n{}", redaction.text, serde_json::to_string(&analysis).unwrap());
        assert_clean(&out, &forbidden, "redact_analysis");
    }
}

/// Generated cases from a fixed seed.
fn cases(n: usize) -> Vec<(String, Vec<String>)> {
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

#[test]
fn the_cli_keeps_no_personal_data() {
    let cases = cases(150);
    let mut input = String::new();
    for (i, (text, _)) in cases.iter().enumerate() {
        let speaker = if i % 3 == 2 { "agent" } else { "customer" };
        let record = serde_json::json!({"conversation": format!("c{}", i % 7), "speaker": speaker, "text": text});
        input.push_str(&format!("{record}\n"));
    }
    let forbidden: Vec<String> = cases.into_iter().flat_map(|(_, f)| f).collect();
    let conversations = [
        "--conversation-field",
        "conversation",
        "--speaker-field",
        "speaker",
    ];
    for args in [
        &["tag", "--format", "jsonl", "--redact"][..],
        &[
            &["tag", "--format", "jsonl", "--redact"][..],
            &conversations[..],
        ]
        .concat(),
        &["redact", "--format", "jsonl"][..],
    ] {
        let out = tolka(args, Some(input.as_bytes()));
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 150, "{args:?}");
        assert_clean(&stdout, &forbidden, &format!("{args:?}"));
        assert_clean(&String::from_utf8_lossy(&out.stderr), &forbidden, "stderr");
    }
    // Without --redact the same input shows the data: the check can fail.
    let out = tolka(&["tag", "--format", "jsonl"], Some(input.as_bytes()));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(forbidden.iter().any(|f| stdout.contains(f.as_str())));
}
