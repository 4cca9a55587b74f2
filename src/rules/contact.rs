//! E-mail addresses, phone numbers, URLs, order ids and postal codes.

use regex::Regex;

use super::text::{glued, next_char, prev_char};
use super::{Cand, Extractor, Locale, Value};
use crate::error::{Error, Result};

/// Compiled contact and reference patterns.
pub(crate) struct ContactRules {
    email: Regex,
    phone: Regex,
    url: Regex,
    domain: Regex,
    order_ids: Vec<Regex>,
    postal_se: Regex,
    postal_se_cue: Regex,
    postal_us: Regex,
}

impl ContactRules {
    pub(crate) fn new(order_id_patterns: &[String]) -> Result<Self> {
        let re = |p: &str| Regex::new(p).expect("contact regex");
        let order_ids = order_id_patterns
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|e| Error::Config(format!("order id pattern `{p}`: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ContactRules {
            email: re(
                r"\b[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b",
            ),
            phone: re(r"(?:\+ ?|\()?[0-9][0-9 ().\-]{5,24}[0-9]"),
            url: re(r#"(?i)\b(?:https?://|www\.)[^\s<>"'\[\]{}|\\^`]+"#),
            domain: re(
                r#"(?i)\b[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.(?:com|se|nu|net|org|io|eu|uk|de|no|dk|fi|shop|store)\b(?:/[^\s<>"'\[\]{}|\\^`]*)?"#,
            ),
            order_ids,
            postal_se: re(r"\b(?:SE-? ?)?([1-9][0-9]{2}) ([0-9]{2})\b"),
            postal_se_cue: re(r"(?i)\b(?:postnummer|postnr)\.?:?\s*([1-9][0-9]{2}) ?([0-9]{2})\b"),
            postal_us: re(
                r"(?i:\b(?:zip|zip\s*code|zipcode|postal\s+code)(?:\s+is)?\s*:?\s*)([0-9]{5}(?:-[0-9]{4})?)\b|\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC),?\s+([0-9]{5}(?:-[0-9]{4})?)\b",
            ),
        })
    }

    pub(crate) fn emails(&self, text: &str, out: &mut Vec<Cand>) {
        for m in self.email.find_iter(text) {
            out.push(Cand::new(
                m.start(),
                m.end(),
                Extractor::Email,
                Value::Email {
                    value: m.as_str().to_owned(),
                },
                0.95,
            ));
        }
    }

    /// Phone numbers normalised to E.164. Swedish national numbers (`070-123 45 67`,
    /// `08-123 456 78`) need the Swedish locale, North American ones (`(555) 123-4567`) the
    /// English locale; international numbers (`+46 …`, `+1 …`, `0046 …`) always count.
    pub(crate) fn phones(&self, text: &str, locales: &[Locale], out: &mut Vec<Cand>) {
        let mut pos = 0;
        while let Some(m) = self.phone.find_at(text, pos) {
            pos = m.end();
            let s = m.as_str();
            // A number glued to a word does not start or end at the run's ends.
            let glued_start =
                prev_char(text, m.start()).is_some_and(|c| c.is_alphanumeric() || c == '+');
            let glued_end = next_char(text, m.end()).is_some_and(char::is_alphanumeric);
            // Byte ends of the digit groups.
            let ends: Vec<usize> = s
                .char_indices()
                .filter(|(i, c)| {
                    c.is_ascii_digit() && !s[i + 1..].starts_with(|n: char| n.is_ascii_digit())
                })
                .map(|(i, _)| i + 1)
                .filter(|&end| !(glued_end && end == s.len()))
                .collect();
            // The valid number that reaches furthest, from the start of the run or a later
            // group after a space: a number just before the phone ("size 42 070-123 45 67")
            // joins its run.
            let found = super::pii::group_starts(s)
                .into_iter()
                .filter(|&start| !(glued_start && start == 0))
                .flat_map(|start| ends.iter().map(move |&end| (start, end)))
                .filter(|&(start, end)| end > start)
                .filter_map(|(start, end)| e164(&s[start..end], locales).map(|e| (start, end, e)))
                .max_by_key(|&(start, end, _)| (end, std::cmp::Reverse(start)));
            if let Some((start, end, e164)) = found {
                out.push(Cand::new(
                    m.start() + start,
                    m.start() + end,
                    Extractor::Phone,
                    Value::Phone { value: e164 },
                    0.9,
                ));
                pos = m.start() + end;
            }
        }
    }

    pub(crate) fn urls(&self, text: &str, out: &mut Vec<Cand>) {
        for (re, scheme_given) in [(&self.url, true), (&self.domain, false)] {
            for m in re.find_iter(text) {
                if !scheme_given
                    && prev_char(text, m.start()).is_some_and(|c| matches!(c, '@' | '.' | '/'))
                {
                    continue;
                }
                let mut end = m.end();
                while let Some(c) = prev_char(text, end) {
                    if matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | ')' | '\'' | '"') {
                        end -= c.len_utf8();
                    } else {
                        break;
                    }
                }
                let raw = &text[m.start()..end];
                if raw.len() < 4 {
                    continue;
                }
                let lower = raw.to_ascii_lowercase();
                let value = if lower.starts_with("http://") || lower.starts_with("https://") {
                    raw.to_owned()
                } else {
                    format!("https://{raw}")
                };
                out.push(Cand::new(
                    m.start(),
                    end,
                    Extractor::Url,
                    Value::Url { value },
                    if scheme_given { 0.95 } else { 0.8 },
                ));
            }
        }
    }

    /// Order ids from the configured patterns: capture group 1 is the id (the whole match
    /// when the pattern has no group).
    pub(crate) fn order_ids(&self, text: &str, out: &mut Vec<Cand>) {
        for re in &self.order_ids {
            for c in re.captures_iter(text) {
                let Some(m) = c.get(1).or_else(|| c.get(0)) else {
                    continue;
                };
                if m.is_empty() || after_other_document(text, c.get(0).map_or(0, |g| g.start())) {
                    continue;
                }
                out.push(Cand::new(
                    m.start(),
                    m.end(),
                    Extractor::OrderId,
                    Value::OrderId {
                        value: m.as_str().to_uppercase(),
                    },
                    0.9,
                ));
            }
        }
    }

    /// Postal codes: Swedish `123 45` (Swedish locale) or `12345` after "postnummer"; US
    /// ZIP codes only after "zip" / "zip code" or a state abbreviation (English locale).
    pub(crate) fn postal_codes(&self, text: &str, locales: &[Locale], out: &mut Vec<Cand>) {
        if locales.contains(&Locale::Sv) {
            for re in [&self.postal_se, &self.postal_se_cue] {
                for c in re.captures_iter(text) {
                    let (Some(all), Some(a), Some(b)) = (c.get(0), c.get(1), c.get(2)) else {
                        continue;
                    };
                    let after = text.get(all.end()..).unwrap_or("");
                    let before = text.get(..all.start()).unwrap_or("");
                    // Part of a longer digit sequence (a phone number, an amount).
                    if glued(text, all.start(), all.end())
                        || after
                            .strip_prefix(' ')
                            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                        || before
                            .strip_suffix([' ', '-'])
                            .is_some_and(|r| r.ends_with(|c: char| c.is_ascii_digit()))
                    {
                        continue;
                    }
                    let start = if re.as_str().starts_with("(?i)") {
                        a.start()
                    } else {
                        all.start()
                    };
                    out.push(Cand::new(
                        start,
                        all.end(),
                        Extractor::PostalCode,
                        Value::PostalCode {
                            value: format!("{} {}", a.as_str(), b.as_str()),
                            country: "SE".to_owned(),
                        },
                        0.7,
                    ));
                }
            }
        }
        if locales.contains(&Locale::En) {
            for c in self.postal_us.captures_iter(text) {
                let Some(m) = c.get(1).or_else(|| c.get(2)) else {
                    continue;
                };
                out.push(Cand::new(
                    m.start(),
                    m.end(),
                    Extractor::PostalCode,
                    Value::PostalCode {
                        value: m.as_str().to_owned(),
                        country: "US".to_owned(),
                    },
                    0.85,
                ));
            }
        }
    }
}

/// E.164 form of a phone candidate, or `None` when it is not a plausible number.
fn e164(s: &str, locales: &[Locale]) -> Option<String> {
    // Separators: single characters from " -.()" (a ") " pair allowed).
    let mut digits = String::with_capacity(16);
    let mut sep_run = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            sep_run = 0;
        } else if c != '+' {
            sep_run += 1;
            if sep_run > 2 {
                return None;
            }
        }
    }
    let plus = s.starts_with('+');
    let intl = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    if let Some(rest) = intl {
        if let Some(national) = rest.strip_prefix("46") {
            let national = national.strip_prefix('0').unwrap_or(national);
            return (7..=9)
                .contains(&national.len())
                .then(|| format!("+46{national}"));
        }
        if let Some(national) = rest.strip_prefix('1') {
            return (national.len() == 10 && nanp(national)).then(|| format!("+1{national}"));
        }
        return (8..=15).contains(&rest.len()).then(|| format!("+{rest}"));
    }
    if locales.contains(&Locale::Sv) && digits.starts_with('0') {
        let ok = if digits.starts_with("07") {
            digits.len() == 10
        } else {
            (8..=10).contains(&digits.len())
        };
        if ok {
            return Some(format!("+46{}", &digits[1..]));
        }
    }
    if locales.contains(&Locale::En) {
        if digits.len() == 10 && nanp(&digits) {
            return Some(format!("+1{digits}"));
        }
        if digits.len() == 11 && digits.starts_with('1') && nanp(&digits[1..]) {
            return Some(format!("+{digits}"));
        }
    }
    None
}

/// North American number: ten digits, the area code starting with 2-9.
fn nanp(ten: &str) -> bool {
    let b = ten.as_bytes();
    b.len() == 10 && (b'2'..=b'9').contains(&b[0])
}

/// True when the word before byte `start` (skipping spaces, `#` and `:`) names a document
/// other than an order: "invoice #12588" is an invoice number.
fn after_other_document(text: &str, start: usize) -> bool {
    const OTHER: &[&str] = &[
        "invoice", "bill", "receipt", "ticket", "case", "faktura", "fakturan", "kvitto", "kvittot",
        "ärende", "ärendet",
    ];
    let before =
        text[..start].trim_end_matches(|c: char| c.is_whitespace() || c == '#' || c == ':');
    let word = before
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    OTHER.contains(&word.as_str())
}
