//! Money and quantities: numbers with a currency or a unit.

use super::numbers::{Num, NumKind};
use super::text::{Token, prev_char, skip_spaces, starts_with_ci};
use super::{Cand, Extractor, Locale, Value};

/// Currency written after the amount: (lower-case form, ISO 4217 code, is a word).
const SUFFIXES: &[(&str, &str, bool)] = &[
    ("svenska kronor", "SEK", true),
    ("norska kronor", "NOK", true),
    ("danska kronor", "DKK", true),
    ("kronor", "SEK", true),
    ("krona", "SEK", true),
    ("kronas", "SEK", true),
    ("crowns", "SEK", true),
    ("spänn", "SEK", true),
    ("kr", "SEK", false),
    (":-", "SEK", false),
    ("sek", "SEK", false),
    ("nok", "NOK", false),
    ("dkk", "DKK", false),
    ("dollars", "USD", true),
    ("dollar", "USD", true),
    ("bucks", "USD", true),
    ("buck", "USD", true),
    ("usd", "USD", false),
    ("$", "USD", false),
    ("euros", "EUR", true),
    ("euro", "EUR", true),
    ("eur", "EUR", false),
    ("€", "EUR", false),
    ("pounds", "GBP", true),
    ("pound", "GBP", true),
    ("quid", "GBP", true),
    ("pund", "GBP", true),
    ("gbp", "GBP", false),
    ("£", "GBP", false),
];

/// Currency written before the amount.
const PREFIXES: &[(&str, &str)] = &[
    ("us$", "USD"),
    ("$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("usd", "USD"),
    ("eur", "EUR"),
    ("gbp", "GBP"),
    ("sek", "SEK"),
    ("nok", "NOK"),
    ("dkk", "DKK"),
];

/// Money: "499 kr", "$1,299.99", "1 299,50 kr", "20 bucks", "femtio kronor", "499:-".
pub(crate) fn money(text: &str, nums: &[Num], out: &mut Vec<Cand>) {
    for num in nums {
        if !(num.value.is_finite() && num.value >= 0.0 && num.value < 1e15) {
            continue;
        }
        let mut found = None;
        if num.kind == NumKind::Digits {
            found = prefix(text, num.start).map(|(start, code)| (start, num.end, code));
        }
        if found.is_none() {
            found = suffix(text, num).map(|(end, code)| (num.start, end, code));
        }
        let Some((start, end, code)) = found else {
            continue;
        };
        let confidence = if num.kind == NumKind::Digits {
            0.95
        } else {
            0.85
        };
        out.push(Cand::new(
            start,
            end,
            Extractor::Money,
            Value::Money {
                amount: format!("{:.2}", num.value),
                currency: code.to_owned(),
            },
            confidence,
        ));
    }
}

/// A currency symbol or code right before `start` (one space allowed).
fn prefix(text: &str, start: usize) -> Option<(usize, &'static str)> {
    let before = text.get(..start)?;
    let trimmed = before.strip_suffix(' ').unwrap_or(before);
    for (p, code) in PREFIXES {
        let Some(at) = trimmed.len().checked_sub(p.len()) else {
            continue;
        };
        let Some(cand) = trimmed.get(at..) else {
            continue;
        };
        if cand.eq_ignore_ascii_case(p) && !prev_char(text, at).is_some_and(char::is_alphanumeric) {
            return Some((at, code));
        }
    }
    None
}

/// A currency after the number: (end of the currency, code).
fn suffix(text: &str, num: &Num) -> Option<(usize, &'static str)> {
    let rest = text.get(num.end..)?;
    let skip = skip_spaces(rest, 2);
    let rest = &rest[skip..];
    let mut best: Option<(usize, &str, bool)> = None;
    for (word, code, is_word) in SUFFIXES {
        if *word == ":-" && skip > 0 {
            continue;
        }
        if let Some(len) = starts_with_ci(rest, word) {
            let after = rest[len..].chars().next();
            let alpha_word = word.chars().all(char::is_alphabetic);
            if alpha_word && after.is_some_and(char::is_alphanumeric) {
                continue;
            }
            if best.is_none_or(|(l, _, _)| len > l) {
                best = Some((len, code, *is_word));
            }
        }
    }
    let (len, code, is_word) = best?;
    if num.kind == NumKind::Article && !is_word {
        return None;
    }
    if num.kind != NumKind::Digits && skip == 0 {
        return None;
    }
    Some((num.end + skip + len, code))
}

/// Quantities: "two pairs", "3 st", "2 x"…, "a pair".
pub(crate) fn quantities(
    text: &str,
    tokens: &[Token],
    nums: &[Num],
    locale: Locale,
    out: &mut Vec<Cand>,
) {
    for num in nums {
        if !(num.value.is_finite() && num.value >= 0.0) {
            continue;
        }
        let skip = skip_spaces(&text[num.end..], 2);
        if skip == 0 {
            continue;
        }
        let Some(tok) = tokens.iter().find(|t| t.start == num.end + skip) else {
            continue;
        };
        let Some(unit) = unit(locale, &tok.lower) else {
            continue;
        };
        if num.kind == NumKind::Article && unit != "pair" {
            continue;
        }
        out.push(Cand::new(
            num.start,
            tok.end,
            Extractor::Quantity,
            Value::Quantity {
                value: num.value,
                unit: unit.to_owned(),
            },
            0.9,
        ));
    }
}

fn unit(locale: Locale, word: &str) -> Option<&'static str> {
    Some(match (locale, word) {
        (Locale::En, "pair" | "pairs") | (Locale::Sv, "par") => "pair",
        (Locale::En, "piece" | "pieces" | "pcs" | "pc")
        | (Locale::Sv, "st" | "stycken" | "styck" | "stk") => "piece",
        (Locale::En, "item" | "items") | (Locale::Sv, "artikel" | "artiklar") => "item",
        (Locale::En, "box" | "boxes")
        | (Locale::Sv, "kartong" | "kartonger" | "låda" | "lådor") => "box",
        (Locale::En, "pack" | "packs" | "package" | "packages")
        | (Locale::Sv, "paket" | "förpackning" | "förpackningar") => "pack",
        (Locale::En, "bottle" | "bottles") | (Locale::Sv, "flaska" | "flaskor") => "bottle",
        (_, "kg" | "kilo" | "kilos") | (Locale::En, "kilograms") => "kg",
        _ => return None,
    })
}
