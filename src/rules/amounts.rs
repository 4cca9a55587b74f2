//! Money and quantities: numbers with a currency or a unit.

use std::sync::LazyLock;

use regex::Regex;

use super::numbers::{Num, NumKind};
use super::text::{Token, next_char, prev_char, skip_spaces, starts_with_ci};
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
    ("canadian dollars", "CAD", true),
    ("australian dollars", "AUD", true),
    ("swiss francs", "CHF", true),
    ("francs", "CHF", true),
    ("norwegian kroner", "NOK", true),
    ("danish kroner", "DKK", true),
    ("kroner", "NOK", true),
    ("yen", "JPY", true),
    ("rupees", "INR", true),
    ("rupee", "INR", true),
    ("cad", "CAD", false),
    ("aud", "AUD", false),
    ("chf", "CHF", false),
    ("jpy", "JPY", false),
    ("inr", "INR", false),
    ("¥", "JPY", false),
    ("₹", "INR", false),
];

/// Currency with a scale after the amount: (lower-case form, ISO 4217 code, factor):
/// "3 mkr" (miljoner kronor), "5 tkr" (tusen kronor).
const SCALED_SUFFIXES: &[(&str, &str, f64)] = &[
    ("mkr", "SEK", 1e6),
    ("m kr", "SEK", 1e6),
    ("mnkr", "SEK", 1e6),
    ("msek", "SEK", 1e6),
    ("m sek", "SEK", 1e6),
    ("tkr", "SEK", 1e3),
    ("ksek", "SEK", 1e3),
];

/// Minor units after the amount: (lower-case form, the currencies it belongs to; the first
/// when it stands alone).
const MINOR: &[(&str, &[&str])] = &[
    ("öre", &["SEK", "NOK", "DKK"]),
    ("øre", &["NOK", "DKK"]),
    ("cents", &["USD", "EUR", "CAD", "AUD"]),
    ("cent", &["USD", "EUR", "CAD", "AUD"]),
    ("pence", &["GBP"]),
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
    ("cad", "CAD"),
    ("c$", "CAD"),
    ("aud", "AUD"),
    ("a$", "AUD"),
    ("chf", "CHF"),
    ("jpy", "JPY"),
    ("¥", "JPY"),
    ("inr", "INR"),
    ("₹", "INR"),
    ("rs.", "INR"),
    ("rs", "INR"),
];

/// Money: "499 kr", "$1,299.99", "1 299,50 kr", "20 bucks", "femtio kronor", "499:-",
/// "CAD 3.03", "USD3.14", "$10K", "50 öre", "20 dollars 43 cents", "två kronor och 23 öre".
pub(crate) fn money(text: &str, nums: &[Num], out: &mut Vec<Cand>) {
    let first = out.len();
    let mut minors = Vec::new();
    for num in nums {
        if !(num.value.is_finite() && num.value >= 0.0 && num.value < 1e15) {
            continue;
        }
        let num = &scaled(text, num);
        let mut found = None;
        if num.kind == NumKind::Digits {
            found = prefix(text, num.start).map(|(start, code)| (start, num.end, code));
        }
        let mut factor = 1.0;
        if found.is_none() {
            found = suffix(text, num).map(|(end, code, f)| {
                factor = f;
                (num.start, end, code)
            });
        }
        let confidence = if num.kind == NumKind::Digits {
            0.95
        } else {
            0.85
        };
        let Some((start, end, code)) = found else {
            if let Some((end, codes)) = minor(text, num) {
                minors.push((num.start, end, num.value / 100.0, codes, confidence));
            }
            continue;
        };
        out.push(money_cand(start, end, num.value * factor, code, confidence));
    }
    for (start, end, value, codes, confidence) in minors {
        out.push(money_cand(start, end, value, codes[0], confidence));
        // "20 dollars 43 cents", "två kronor och 23 öre"
        let major = out[first..].iter().find_map(|c| match &c.value {
            Value::Money { amount, currency }
                if c.end <= start
                    && codes.contains(&currency.as_str())
                    && matches!(text[c.end..start].trim(), "" | "and" | "och" | "," | "og") =>
            {
                Some((c.start, amount.parse::<f64>().ok()?, currency.clone()))
            }
            _ => None,
        });
        if let Some((major_start, amount, currency)) = major {
            out.push(money_cand(
                major_start,
                end,
                amount + value,
                &currency,
                confidence,
            ));
        }
    }
}

fn money_cand(start: usize, end: usize, value: f64, code: &str, confidence: f32) -> Cand {
    Cand::new(
        start,
        end,
        Extractor::Money,
        Value::Money {
            amount: format!("{value:.2}"),
            currency: code.to_owned(),
        },
        confidence,
    )
}

/// A digit number with a glued thousand or million suffix ("10K", "2m") scaled by it.
fn scaled(text: &str, num: &Num) -> Num {
    let mut out = *num;
    if num.kind != NumKind::Digits || !num.glued {
        return out;
    }
    let Some(c) = next_char(text, num.end) else {
        return out;
    };
    let factor = match c {
        'k' | 'K' => 1e3,
        'm' | 'M' => 1e6,
        _ => return out,
    };
    if next_char(text, num.end + 1).is_some_and(char::is_alphanumeric) {
        return out;
    }
    out.value *= factor;
    out.end += 1;
    out.glued = false;
    out
}

/// A minor unit after the number ("50 öre", "43 cents"): (end, the currencies it belongs to).
fn minor(text: &str, num: &Num) -> Option<(usize, &'static [&'static str])> {
    if num.kind == NumKind::Article {
        return None;
    }
    let rest = text.get(num.end..)?;
    let skip = skip_spaces(rest, 2);
    let rest = &rest[skip..];
    MINOR.iter().find_map(|(word, codes)| {
        let len = starts_with_ci(rest, word)?;
        if rest[len..].starts_with(char::is_alphanumeric)
            || (skip == 0 && num.kind != NumKind::Digits)
        {
            return None;
        }
        Some((num.end + skip + len, *codes))
    })
}

/// A currency code glued before digits ("USD3.14", "sek499"): these digits are no
/// [`Num`] of their own.
static GLUED_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(usd|eur|gbp|sek|nok|dkk|cad|aud|chf|jpy|inr)([0-9]+(?:[.,][0-9]{1,2})?)\b")
        .expect("glued currency regex")
});

/// Money written as a code glued to the amount: "USD3.14", "EUR20".
pub(crate) fn glued_codes(text: &str, out: &mut Vec<Cand>) {
    for c in GLUED_CODE.captures_iter(text) {
        let (Some(all), Some(code), Some(digits)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        let Ok(value) = digits.as_str().replace(',', ".").parse::<f64>() else {
            continue;
        };
        out.push(money_cand(
            all.start(),
            all.end(),
            value,
            &code.as_str().to_uppercase(),
            0.9,
        ));
    }
}

/// Price limits and ranges around the money candidates `out[first..]`: "under $50",
/// "max 500 kr", "upp till 300 kr", "från 200 kr", "between 20 and 30 euros",
/// "$20-$30", "20–30 kr".
pub(crate) fn price_ranges(
    text: &str,
    nums: &[Num],
    locale: Locale,
    first: usize,
    out: &mut Vec<Cand>,
) {
    let (max_cues, min_cues, range_cues, joins): (&[&str], &[&str], &[&str], &[&str]) = match locale
    {
        Locale::En => (
            &[
                "under",
                "below",
                "less than",
                "cheaper than",
                "max",
                "max.",
                "maximum",
                "up to",
                "at most",
                "no more than",
                "not more than",
                "within",
            ],
            &[
                "over",
                "above",
                "more than",
                "at least",
                "from",
                "starting at",
                "starting from",
                "min",
                "min.",
                "minimum",
            ],
            &["between", "from"],
            &["and", "to", "-", "–"],
        ),
        Locale::Sv => (
            &[
                "under",
                "max",
                "max.",
                "högst",
                "upp till",
                "upp mot",
                "mindre än",
                "billigare än",
                "inte mer än",
                "maximalt",
                "maximum",
            ],
            &[
                "över",
                "minst",
                "från",
                "mer än",
                "lägst",
                "minimum",
                "dyrare än",
                "min",
            ],
            &["mellan", "från"],
            &["och", "till", "-", "–"],
        ),
    };
    let monies: Vec<(usize, usize, f64, String)> = out[first..]
        .iter()
        .filter_map(|c| match &c.value {
            Value::Money { amount, currency } => {
                Some((c.start, c.end, amount.parse().ok()?, currency.clone()))
            }
            _ => None,
        })
        .collect();
    for (start, end, amount, currency) in &monies {
        let before = text[..*start].trim_end();
        // A range: "<cue> N <join> M", "N-M kr".
        if let Some((join, rest)) = joins
            .iter()
            .find_map(|j| Some((*j, word_suffix(before, j)?)))
        {
            let rest = rest.trim_end();
            let low = monies
                .iter()
                .find(|m| m.1 == rest.len() && m.3 == *currency)
                .map(|m| (m.0, m.2))
                .or_else(|| {
                    nums.iter()
                        .find(|n| n.end == rest.len() && n.kind != NumKind::Article)
                        .map(|n| (n.start, n.value))
                });
            if let Some((low_start, low)) = low {
                let cue = range_cues
                    .iter()
                    .find_map(|c| word_suffix(text[..low_start].trim_end(), c));
                let needs_cue = join.chars().all(char::is_alphabetic) && join != "to";
                if (cue.is_some() || !needs_cue) && low < *amount {
                    let range_start = cue.map_or(low_start, str::len);
                    out.push(range(range_start, *end, Some(low), Some(*amount), currency));
                    continue;
                }
            }
        }
        for (cues, is_max) in [(max_cues, true), (min_cues, false)] {
            if let Some(rest) = cues.iter().find_map(|c| word_suffix(before, c)) {
                let (min, max) = if is_max {
                    (None, Some(*amount))
                } else {
                    (Some(*amount), None)
                };
                out.push(range(rest.len(), *end, min, max, currency));
                break;
            }
        }
    }
}

/// `hay` without `word` at its end (ignoring case), when `word` is a whole word there.
fn word_suffix<'a>(hay: &'a str, word: &str) -> Option<&'a str> {
    let at = hay.len().checked_sub(word.len())?;
    let tail = hay.get(at..)?;
    if !tail.to_lowercase().eq(word) {
        return None;
    }
    let rest = &hay[..at];
    if word.starts_with(char::is_alphanumeric)
        && prev_char(hay, at).is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    Some(rest)
}

fn range(start: usize, end: usize, min: Option<f64>, max: Option<f64>, currency: &str) -> Cand {
    Cand::new(
        start,
        end,
        Extractor::PriceRange,
        Value::PriceRange {
            min: min.map(|v| format!("{v:.2}")),
            max: max.map(|v| format!("{v:.2}")),
            currency: currency.to_owned(),
        },
        0.9,
    )
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

/// A currency after the number: (end of the currency, code, scale factor).
fn suffix(text: &str, num: &Num) -> Option<(usize, &'static str, f64)> {
    let rest = text.get(num.end..)?;
    let skip = skip_spaces(rest, 2);
    let rest = &rest[skip..];
    if num.kind == NumKind::Digits {
        for (word, code, factor) in SCALED_SUFFIXES {
            if let Some(len) = starts_with_ci(rest, word)
                && !rest[len..].starts_with(char::is_alphanumeric)
            {
                return Some((num.end + skip + len, code, *factor));
            }
        }
    }
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
    Some((num.end + skip + len, code, 1.0))
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
