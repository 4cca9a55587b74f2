//! Checksum-validated identifiers: payment cards (Luhn, issuer prefix and length),
//! Swedish personnummer and samordningsnummer (date and Luhn over `YYMMDDNNNN`), IBAN
//! (registry length per country and mod 97).

use regex::Regex;

use super::text::{next_char, prev_char};
use super::{Cand, Extractor, Value};

/// Compiled identifier patterns.
pub(crate) struct PiiRules {
    card: Regex,
    personal: Regex,
    iban: Regex,
}

/// The value of an ASCII digit or a full-width digit (U+FF10–FF19).
pub(crate) fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{ff10}'..='\u{ff19}' => Some((c as u32 - 0xff10) as u8),
        _ => None,
    }
}

/// Whether `s` has more than one kind of separator between its digits (a card uses one).
fn mixed_separators(s: &str) -> bool {
    let mut kinds = s.chars().filter_map(card_separator);
    let first = kinds.next();
    kinds.any(|k| Some(k) != first)
}

/// Characters people put between the digit groups of a card number: spaces (also
/// no-break U+00A0, thin U+2009, narrow no-break U+202F, ideographic U+3000), hyphens and
/// dots.
fn card_separator(c: char) -> Option<char> {
    match c {
        ' ' | '\u{a0}' | '\u{2009}' | '\u{202f}' | '\u{3000}' => Some(' '),
        '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' => Some('-'),
        '.' => Some('.'),
        _ => None,
    }
}

impl PiiRules {
    pub(crate) fn new() -> Self {
        let re = |p: &str| Regex::new(p).expect("pii regex");
        PiiRules {
            card: re(
                r"[0-9\x{ff10}-\x{ff19}](?:[ \x{a0}\x{2009}\x{202f}\x{3000}\-\x{2010}\x{2011}\x{2013}.]?[0-9\x{ff10}-\x{ff19}]){12,18}",
            ),
            personal: re(r"(?:[0-9]{2})?[0-9]{6}[\-+]?[0-9]{4}"),
            iban: re(r"[A-Za-z]{2}[ \-.]?[0-9]{2}(?:[ \-.]?[A-Za-z0-9]){10,32}"),
        }
    }

    /// Card numbers: 12 to 19 digits (ASCII or full-width) with one kind of separator
    /// between groups (a space of any width, a hyphen or a dot), an issuer prefix and a
    /// length that the issuer uses (see [`card_brand`]), and a valid Luhn check digit.
    pub(crate) fn cards(&self, text: &str, out: &mut Vec<Cand>) {
        let mut pos = 0;
        while let Some(m) = self.card.find_at(text, pos) {
            let s = m.as_str();
            let glued_left = prev_char(text, m.start())
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '+' | '-' | '.' | ',' | '/'));
            let glued_right = next_char(text, m.end()).is_some_and(|c| c.is_alphanumeric());
            // (byte start, byte end, value) of every digit of the run.
            let digits: Vec<(usize, usize, u8)> = s
                .char_indices()
                .filter_map(|(i, c)| digit_value(c).map(|d| (i, i + c.len_utf8(), d)))
                .collect();
            // Digit groups: a group starts after a separator and ends before one.
            let starts: Vec<usize> = (0..digits.len())
                .filter(|&k| k == 0 || digits[k - 1].1 != digits[k].0)
                .collect();
            let ends: Vec<usize> = (0..digits.len())
                .filter(|&k| k + 1 == digits.len() || digits[k].1 != digits[k + 1].0)
                .collect();
            // The valid card that reaches furthest, from the run's start or a later group: a
            // number just before the card ("size 42 4111 …", "order 12345 4263 …") joins
            // its run of digits and spaces.
            let mut best: Option<(usize, usize, &'static str, Vec<u8>)> = None;
            for &a in &starts {
                if a == 0 && glued_left {
                    continue;
                }
                for &b in ends.iter().rev().filter(|&&b| b >= a) {
                    if (b + 1 == digits.len() && glued_right) || !(12..=19).contains(&(b - a + 1)) {
                        continue;
                    }
                    if mixed_separators(&s[digits[a].0..digits[b].1]) {
                        continue;
                    }
                    let ds: Vec<u8> = digits[a..=b].iter().map(|d| d.2).collect();
                    let Some(brand) = card_brand(&ds) else {
                        continue;
                    };
                    if !luhn(&ds) {
                        continue;
                    }
                    if best.as_ref().is_none_or(|(_, bb, ..)| b > *bb) {
                        best = Some((a, b, brand, ds));
                    }
                    break;
                }
            }
            let Some((a, b, brand, ds)) = best else {
                // A run longer than the pattern may hold a card from a later group on.
                pos = starts.get(1).map_or(m.end(), |&k| m.start() + digits[k].0);
                continue;
            };
            let last4: String = ds[ds.len() - 4..]
                .iter()
                .map(|d| char::from(b'0' + d))
                .collect();
            out.push(Cand::new(
                m.start() + digits[a].0,
                m.start() + digits[b].1,
                Extractor::Card,
                Value::Card {
                    brand: brand.to_owned(),
                    last4,
                },
                0.95,
            ));
            // The rest of the run may hold another number.
            pos = m.start() + digits[b].1;
        }
    }

    /// Swedish personnummer / samordningsnummer: `YYMMDD-NNNN`, `YYMMDD+NNNN` (a hundred
    /// years or older), `YYYYMMDD-NNNN` (century 18, 19 or 20), or the same digits without
    /// separator; a valid date (day + 60 for samordningsnummer) and Luhn check digit over the
    /// ten digits `YYMMDDNNNN`. Letters may touch the number ("personnummer198112189876"),
    /// digits may not.
    pub(crate) fn personal_numbers(&self, text: &str, out: &mut Vec<Cand>) {
        let mut pos = 0;
        while let Some(m) = self.personal.find_at(text, pos) {
            pos = m.start() + 1;
            if prev_char(text, m.start())
                .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+')
                || next_char(text, m.end()).is_some_and(|c| c.is_ascii_digit() || c == '-')
            {
                // A twelve-digit form may have matched as its last ten: let the regex
                // move on by one byte (`pos`), it finds the longer form from its start.
                continue;
            }
            pos = m.end();
            if let Some(c) = personal_number(m.start(), m.as_str()) {
                out.push(c);
            }
        }
    }

    /// IBANs: a country of the IBAN registry, its exact length, and the mod-97 check;
    /// compact or grouped with spaces, hyphens or dots, in upper or lower case.
    pub(crate) fn ibans(&self, text: &str, out: &mut Vec<Cand>) {
        let mut pos = 0;
        while let Some(m) = self.iban.find_at(text, pos) {
            // A match that is no IBAN may hide one that starts inside it ("… please 499 kr
            // FI31…" matches from "se"): look again one character further on.
            pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
            if let Some((end, compact, country)) = self.iban_at(text, m.start(), m.as_str()) {
                out.push(Cand::new(
                    m.start(),
                    m.start() + end,
                    Extractor::Iban,
                    Value::Iban {
                        value: compact,
                        country,
                    },
                    0.95,
                ));
                pos = m.start() + end;
            }
        }
    }

    /// The IBAN starting at byte `start` (where the pattern matched `s`): its byte length,
    /// compact form and country, when the country's length and the mod-97 check fit.
    fn iban_at(&self, text: &str, start: usize, s: &str) -> Option<(usize, String, String)> {
        if prev_char(text, start).is_some_and(char::is_alphanumeric) {
            return None;
        }
        // Byte end after each alphanumeric character.
        let ends: Vec<usize> = s
            .char_indices()
            .filter(|(_, c)| c.is_ascii_alphanumeric())
            .map(|(i, _)| i + 1)
            .collect();
        let country = s[..2].to_ascii_uppercase();
        let len = iban_length(&country)?;
        let &end = ends.get(len - 1)?;
        if next_char(text, start + end).is_some_and(char::is_alphanumeric) {
            return None;
        }
        let compact: String = s[..end]
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        mod97(&compact).then_some((end, compact, country))
    }

    /// Spans shaped like an IBAN (two letters, two digits, ten or more alphanumerics in
    /// groups), checksum-valid or not: phone numbers are not looked for inside them.
    pub(crate) fn iban_shaped(&self, text: &str) -> Vec<(usize, usize)> {
        self.iban
            .find_iter(text)
            .filter(|m| {
                !prev_char(text, m.start()).is_some_and(char::is_alphanumeric)
                    && m.as_str()[..2].chars().all(|c| c.is_ascii_uppercase())
            })
            .map(|m| (m.start(), m.end()))
            .collect()
    }
}

/// A personnummer candidate (`s` matched the pattern at byte `start`), if the date and
/// check digit are valid.
fn personal_number(start: usize, s: &str) -> Option<Cand> {
    let sep = s.chars().find(|c| *c == '-' || *c == '+');
    let digits: Vec<u8> = s
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let short = &digits[digits.len() - 10..];
    if digits.len() == 12 && !matches!(digits[0] * 10 + digits[1], 18..=20) {
        return None;
    }
    if !valid_personal_number(short) {
        return None;
    }
    let day = short[4] * 10 + short[5];
    let n = digits.len();
    let head: String = digits[..n - 4]
        .iter()
        .map(|d| char::from(b'0' + d))
        .collect();
    let tail: String = digits[n - 4..]
        .iter()
        .map(|d| char::from(b'0' + d))
        .collect();
    let sep = if sep == Some('+') { '+' } else { '-' };
    Some(Cand::new(
        start,
        start + s.len(),
        Extractor::PersonalNumber,
        Value::PersonalNumber {
            value: format!("{head}{sep}{tail}"),
            coordination: day > 60,
        },
        if sep == '-' || digits.len() == 12 {
            0.95
        } else {
            0.85
        },
    ))
}

/// Date (month 1–12, day 1–31 or 61–91) and Luhn check of the ten digits `YYMMDDNNNN`.
fn valid_personal_number(short: &[u8]) -> bool {
    if short.len() != 10 {
        return false;
    }
    let month = short[2] * 10 + short[3];
    let day = short[4] * 10 + short[5];
    let real_day = if day > 60 { day - 60 } else { day };
    (1..=12).contains(&month) && (1..=31).contains(&real_day) && luhn(short)
}

/// True when `s` is written like a personnummer (`YYMMDD-NNNN`, `YYMMDD+NNNN`,
/// `YYYYMMDD-NNNN`, month 01–12 and day 01–31 or 61–91), whatever its check digit: such a
/// string is not a phone number.
pub(crate) fn personal_number_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    let (date, rest) = match b.len() {
        11 => (&b[..6], &b[6..]),
        13 => (&b[2..8], &b[8..]),
        _ => return false,
    };
    if !matches!(rest[0], b'-' | b'+')
        || !rest[1..].iter().all(u8::is_ascii_digit)
        || !b[..b.len() - 5].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let month = (date[2] - b'0') * 10 + (date[3] - b'0');
    let day = (date[4] - b'0') * 10 + (date[5] - b'0');
    (1..=12).contains(&month) && ((1..=31).contains(&day) || (61..=91).contains(&day))
}

/// Luhn check over digits (the last one is the check digit).
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The card brand of a number from its issuer identification number (ISO/IEC 7812 prefix)
/// and length, or `None` when no issuer uses that prefix with that many digits:
///
/// | brand | prefixes | lengths |
/// | --- | --- | --- |
/// | Visa | 4 | 13, 16, 19 |
/// | Mastercard | 51–55, 2221–2720 | 16 |
/// | American Express | 34, 37 | 15 |
/// | Discover | 6011, 644–649, 65 | 16–19 |
/// | JCB | 3528–3589 | 16–19 |
/// | Diners Club | 300–305, 36, 38–39 | 14–19 |
/// | UnionPay | 62 | 16–19 |
/// | Mir | 2200–2204 | 16–19 |
/// | Maestro | 50, 56–69 (the ranges above keep their brand) | 13–19 |
pub(crate) fn card_brand(digits: &[u8]) -> Option<&'static str> {
    let n = digits.len();
    if !(13..=19).contains(&n) {
        return None;
    }
    let prefix = |k: usize| {
        digits
            .iter()
            .take(k)
            .fold(0u32, |acc, d| acc * 10 + u32::from(*d))
    };
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    if p1 == 4 {
        matches!(n, 13 | 16 | 19).then_some("visa")
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        (n == 16).then_some("mastercard")
    } else if p2 == 34 || p2 == 37 {
        (n == 15).then_some("amex")
    } else if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 {
        (n >= 16).then_some("discover")
    } else if (3528..=3589).contains(&p4) {
        (n >= 16).then_some("jcb")
    } else if (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39 {
        (n >= 14).then_some("diners")
    } else if p2 == 62 {
        (n >= 16).then_some("unionpay")
    } else if (2200..=2204).contains(&p4) {
        (n >= 16).then_some("mir")
    } else if p2 == 50 || (56..=69).contains(&p2) {
        Some("maestro")
    } else {
        None
    }
}

/// The length of an IBAN of `country` (ISO 3166 alpha-2, upper case) in the IBAN registry
/// (ISO 13616), or `None` for a country without IBANs.
pub(crate) fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "NO" => 15,
        "BE" => 16,
        "MK" | "SI" => 19,
        "AT" | "BA" | "EE" | "KZ" | "LT" | "LU" | "MN" | "XK" => 20,
        "CH" | "HR" | "LI" | "LV" => 21,
        "BG" | "BH" | "CR" | "DE" | "GB" | "GE" | "IE" | "ME" | "RS" | "VA" => 22,
        "AE" | "GI" | "IL" | "IQ" | "OM" | "SO" | "TL" => 23,
        "AD" | "CZ" | "ES" | "MD" | "PK" | "RO" | "SA" | "SE" | "SK" | "TN" | "VG" => 24,
        "LY" | "PT" | "ST" => 25,
        "IS" | "TR" => 26,
        "BI" | "DJ" | "FR" | "GR" | "IT" | "MC" | "MR" | "SM" => 27,
        "AL" | "AZ" | "BY" | "CY" | "DO" | "GT" | "HU" | "LB" | "NI" | "PL" | "SV" => 28,
        "BR" | "EG" | "PS" | "QA" | "UA" => 29,
        "JO" | "KW" | "MU" | "YE" => 30,
        "MT" | "SC" => 31,
        "LC" => 32,
        "RU" => 33,
        "DK" | "FI" | "FO" | "GL" | "NL" | "FK" | "SD" => 18,
        _ => return None,
    })
}

/// ISO 13616 mod-97 check of a compact, upper-case IBAN.
pub(crate) fn mod97(iban: &str) -> bool {
    if iban.len() < 15 || !iban.is_ascii() {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        match c {
            '0'..='9' => rem = (rem * 10 + (c as u32 - '0' as u32)) % 97,
            'A'..='Z' => rem = (rem * 100 + (c as u32 - 'A' as u32 + 10)) % 97,
            _ => return false,
        }
    }
    rem == 1
}
