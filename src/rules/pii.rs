//! Checksum-validated identifiers: payment cards (Luhn), Swedish personnummer and
//! samordningsnummer (Luhn over `YYMMDDNNNN`), IBAN (mod 97).

use regex::Regex;

use super::text::{next_char, prev_char};
use super::{Cand, Extractor, Value};

/// Compiled identifier patterns.
pub(crate) struct PiiRules {
    card: Regex,
    personal: Regex,
    iban: Regex,
}

impl PiiRules {
    pub(crate) fn new() -> Self {
        let re = |p: &str| Regex::new(p).expect("pii regex");
        PiiRules {
            card: re(r"\b[0-9](?:[ \-]?[0-9]){12,}\b"),
            personal: re(r"\b(?:[0-9]{2})?[0-9]{6}[\-+]?[0-9]{4}\b"),
            iban: re(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b"),
        }
    }

    /// Luhn-valid card numbers of 13 to 19 digits (single spaces or hyphens between digits).
    pub(crate) fn cards(&self, text: &str, out: &mut Vec<Cand>) {
        let mut pos = 0;
        while let Some(m) = self.card.find_at(text, pos) {
            pos = m.end();
            // A run after a dash or plus ("A-1029…") does not start a card at its start.
            let glued_start = prev_char(text, m.start()).is_some_and(|c| c == '-' || c == '+');
            let s = m.as_str();
            let mut ends: Vec<usize> = s
                .char_indices()
                .filter(|(i, c)| {
                    c.is_ascii_digit() && !s[i + 1..].starts_with(|n: char| n.is_ascii_digit())
                })
                .map(|(i, _)| i + 1)
                .collect();
            ends.reverse();
            // The valid number that reaches furthest, from the start of the run or a later
            // digit group after a space: numbers next to the card ("size 42 4111 1111 1111
            // 1111", "order 12345 4111…") join its run.
            let found = group_starts(s)
                .into_iter()
                .filter(|&start| !(glued_start && start == 0))
                .flat_map(|start| ends.iter().map(move |&end| (start, end)))
                .filter(|&(start, end)| end > start)
                .filter_map(|(start, end)| {
                    let digits: Vec<u8> = s[start..end]
                        .bytes()
                        .filter(u8::is_ascii_digit)
                        .map(|b| b - b'0')
                        .collect();
                    ((13..=19).contains(&digits.len()) && luhn(&digits))
                        .then_some((start, end, digits))
                })
                .max_by_key(|&(start, end, _)| (end, std::cmp::Reverse(start)));
            if let Some((start, end, digits)) = found {
                let last4: String = digits[digits.len() - 4..]
                    .iter()
                    .map(|d| char::from(b'0' + d))
                    .collect();
                out.push(Cand::new(
                    m.start() + start,
                    m.start() + end,
                    Extractor::Card,
                    Value::Card {
                        brand: card_brand(&digits).to_owned(),
                        last4,
                    },
                    0.95,
                ));
                // The rest of the run may hold another number.
                pos = m.start() + end;
            }
        }
    }

    pub(crate) fn personal_numbers(&self, text: &str, out: &mut Vec<Cand>) {
        for m in self.personal.find_iter(text) {
            if prev_char(text, m.start()).is_some_and(|c| c == '-' || c == '+')
                || next_char(text, m.end()).is_some_and(|c| c == '-')
            {
                continue;
            }
            let s = m.as_str();
            let sep = s.chars().find(|c| *c == '-' || *c == '+');
            let digits: Vec<u8> = s
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|b| b - b'0')
                .collect();
            let short = &digits[digits.len() - 10..];
            if digits.len() == 12 && !matches!(digits[0] * 10 + digits[1], 18..=20) {
                continue;
            }
            let month = short[2] * 10 + short[3];
            let day = short[4] * 10 + short[5];
            let coordination = day > 60;
            let real_day = if coordination { day - 60 } else { day };
            if !(1..=12).contains(&month) || !(1..=31).contains(&real_day) || !luhn(short) {
                continue;
            }
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
            out.push(Cand::new(
                m.start(),
                m.end(),
                Extractor::PersonalNumber,
                Value::PersonalNumber {
                    value: format!("{head}{sep}{tail}"),
                    coordination,
                },
                if sep == '-' || digits.len() == 12 {
                    0.95
                } else {
                    0.85
                },
            ));
        }
    }

    /// IBANs valid under mod 97, compact or in groups of four.
    pub(crate) fn ibans(&self, text: &str, out: &mut Vec<Cand>) {
        for m in self.iban.find_iter(text) {
            let s = m.as_str();
            // Byte end after each alphanumeric character.
            let ends: Vec<usize> = s
                .char_indices()
                .filter(|(_, c)| c.is_ascii_alphanumeric())
                .map(|(i, _)| i + 1)
                .collect();
            let country = &s[..2];
            let lengths: Vec<usize> = match iban_length(country) {
                Some(l) => vec![l],
                None => (15..=ends.len().min(34)).rev().collect(),
            };
            for len in lengths {
                let Some(&end) = ends.get(len - 1) else {
                    continue;
                };
                if next_char(s, end).is_some_and(|c| c.is_ascii_alphanumeric()) {
                    continue;
                }
                let compact: String = s[..end].chars().filter(|c| *c != ' ').collect();
                if mod97(&compact) {
                    out.push(Cand::new(
                        m.start(),
                        m.start() + end,
                        Extractor::Iban,
                        Value::Iban {
                            value: compact,
                            country: country.to_owned(),
                        },
                        0.95,
                    ));
                    break;
                }
            }
        }
    }
}

/// Luhn check over digits (the last one is the check digit).
/// Byte offsets in a run of digits and separators where a number may start: the run's start,
/// then every digit that follows a space or an opening parenthesis.
pub(crate) fn group_starts(s: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            s.char_indices()
                .filter(|&(i, c)| {
                    c.is_ascii_digit() && i > 0 && (s[..i].ends_with(' ') || s[..i].ends_with('('))
                })
                .map(|(i, _)| i),
        )
        .collect()
}

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

fn card_brand(digits: &[u8]) -> &'static str {
    let prefix = |n: usize| {
        digits
            .iter()
            .take(n)
            .fold(0u32, |acc, d| acc * 10 + u32::from(*d))
    };
    match (digits[0], prefix(2), prefix(4)) {
        (4, _, _) => "visa",
        (_, 51..=55, _) | (_, _, 2221..=2720) => "mastercard",
        (_, 34 | 37, _) => "amex",
        (_, 65, _) | (_, _, 6011) => "discover",
        _ => "other",
    }
}

fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "NL" => 18,
        "AT" | "EE" | "LT" | "LU" => 20,
        "CH" | "LV" => 21,
        "DE" | "GB" | "IE" => 22,
        "SE" | "ES" => 24,
        "PT" => 25,
        "IS" => 26,
        "FR" | "IT" => 27,
        "PL" => 28,
        _ => return None,
    })
}

/// ISO 13616 mod-97 check of a compact IBAN.
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
