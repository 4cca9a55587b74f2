//! Parcel tracking numbers: UPS (`1Z…`, check digit), the UPU S10 format of national postal
//! services (`RR123456785SE`, check digit), and any number of 8 to 30 letters and digits after
//! a cue ("tracking number", "spårningsnummer", "kollinummer", "sändnings-id").

use std::sync::LazyLock;

use regex::Regex;

use super::text::glued;
use super::{Cand, Extractor, Value};

/// UPS: `1Z`, then 16 letters and digits (the last a check digit); spaces between groups of
/// the printed label allowed ("1Z 999 AA1 01 2345 6784").
static UPS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b1Z(?:\s?[0-9A-Z]){16}\b").expect("UPS regex"));

/// UPU S10: two letters, eight digits, a check digit, an ISO country code.
static S10: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[A-Z]{2}\s?[0-9]{3}\s?[0-9]{3}\s?[0-9]{3}\s?[A-Z]{2}\b").expect("S10 regex")
});

/// [`S10`] of a whole compact id.
static S10_SHAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$").expect("S10 shape regex"));

/// A tracking number of any carrier, named as one: group `id`.
static CUED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)\b(?:tracking\s*(?:number|no\.?|nr\.?|id|code|#)|tracking|track\s*&\s*trace|",
        r"spårningsnummer|spårningsnr\.?|spårnings-?id|spårningskod|kollinummer|kolli-?id|",
        r"sändningsnummer|sändnings-?id|paketnummer)",
        r"\s*(?:is|är|:|#|=)?\s*#?\s*(?P<id>[0-9A-Z]*[0-9][0-9A-Z]*)\b",
    ))
    .expect("tracking regex")
});

/// Tracking numbers in `text`. A number found by its shape counts only with a valid check
/// digit; one named as a tracking number counts whatever it is, and gets the carrier its
/// check digit shows, if any, so both finds of one number carry the same value.
pub(crate) fn tracking_numbers(text: &str, out: &mut Vec<Cand>) {
    let mut push = |start: usize, end: usize, id: String, carrier: Option<&str>, conf| {
        out.push(Cand::new(
            start,
            end,
            Extractor::TrackingNumber,
            Value::TrackingNumber {
                value: id,
                carrier: carrier.map(str::to_owned),
            },
            conf,
        ));
    };
    for m in UPS.find_iter(text).chain(S10.find_iter(text)) {
        let id = compact(m.as_str());
        if let Some(carrier) = carrier(&id)
            && !glued(text, m.start(), m.end())
        {
            push(m.start(), m.end(), id, Some(carrier), 0.95);
        }
    }
    for c in CUED.captures_iter(text) {
        let Some(m) = c.name("id") else { continue };
        if (8..=30).contains(&m.len()) {
            let id = m.as_str().to_uppercase();
            let carrier = carrier(&id);
            push(m.start(), m.end(), id, carrier, 0.85);
        }
    }
}

/// The carrier whose check digit `id` (compact, upper case) passes: `ups` or `post` (UPU S10).
fn carrier(id: &str) -> Option<&'static str> {
    if id.starts_with("1Z") && ups_valid(id) {
        Some("ups")
    } else if S10_SHAPE.is_match(id) && s10_valid(id) {
        Some("post")
    } else {
        None
    }
}

/// Upper case, without spaces.
fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The value of a character in UPS's check: a digit is itself, a letter `(code − 3) mod 10`
/// (A = 2, B = 3, …).
fn ups_value(c: u8) -> u32 {
    if c.is_ascii_digit() {
        u32::from(c - b'0')
    } else {
        (u32::from(c) - 3) % 10
    }
}

/// UPS's check digit: over the 15 characters after `1Z`, the values at odd positions
/// (1-based) once and at even ones twice; the check digit brings the sum to a multiple of 10.
fn ups_valid(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 18 || !b[17].is_ascii_digit() || !b.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let sum: u32 = b[2..17]
        .iter()
        .enumerate()
        .map(|(i, &c)| ups_value(c) * if i % 2 == 1 { 2 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(b[17] - b'0')
}

/// The S10 check digit: the eight serial digits weighted 8, 6, 4, 2, 3, 5, 9, 7;
/// `11 − sum mod 11`, where 10 is written 0 and 11 is written 5.
fn s10_valid(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 13 {
        return false;
    }
    let sum: u32 = b[2..10]
        .iter()
        .zip([8, 6, 4, 2, 3, 5, 9, 7])
        .map(|(&c, w)| u32::from(c - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        d => d,
    };
    check == u32::from(b[10] - b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits() {
        // UPS's published example and a second one; S10 examples of the UPU standard's shape.
        assert!(ups_valid("1Z999AA10123456784"));
        assert!(ups_valid("1Z879E930346834440"));
        assert!(!ups_valid("1Z999AA10123456785"));
        assert!(!ups_valid("1Z12345E0205271688"));
        assert!(s10_valid("RB123456785GB"));
        assert!(!s10_valid("RB123456784GB"));
        // 11 − 0 = 11 is written 5: serial 00000000.
        assert!(s10_valid("RR000000005SE"));
        // What a cue finds gets the carrier its check digit shows.
        assert_eq!(carrier("1Z999AA10123456784"), Some("ups"));
        assert_eq!(carrier("RB123456785GB"), Some("post"));
        assert_eq!(carrier("00370712345678901234"), None);
    }
}
