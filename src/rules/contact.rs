//! E-mail addresses, phone numbers, URLs, order ids and postal codes.

use regex::Regex;

use phonenumber::country;

use super::pii::personal_number_shaped;
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
            // RFC 5322 dot-atoms with RFC 6531's UTF-8 letters, a dot and a top-level domain
            // of letters (or an IDNA `xn--` label) after the last dot.
            email: re(
                r"[\p{L}\p{N}_][\p{L}\p{N}\p{M}._%+\-'=]*@[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}\-]*[\p{L}\p{N}\p{M}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}\-]*[\p{L}\p{N}\p{M}])?)*\.(?:xn--[a-z0-9\-]{2,59}|\p{L}[\p{L}\p{M}]{1,62})",
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

    /// E-mail addresses (RFC 5322 dot-atom local parts and host names, with the UTF-8
    /// letters RFC 6531 allows: `åsa@exempel.se`, `josé.garcía@correo.es`,
    /// `hans@müller.com`): a domain with a dot and a top-level domain of letters; not
    /// `@mention` nor `a@b`.
    pub(crate) fn emails(&self, text: &str, out: &mut Vec<Cand>) {
        for m in self.email.find_iter(text) {
            if prev_char(text, m.start()).is_some_and(|c| c == '@')
                || next_char(text, m.end()).is_some_and(|c| c.is_alphanumeric() || c == '@')
            {
                continue;
            }
            let value = m.as_str().trim_end_matches(['.', '-']);
            if value.contains("..") {
                continue;
            }
            out.push(Cand::new(
                m.start(),
                m.start() + value.len(),
                Extractor::Email,
                Value::Email {
                    value: value.to_owned(),
                },
                0.95,
            ));
        }
    }

    /// Phone numbers normalised to E.164, checked against libphonenumber's metadata (the
    /// `phonenumber` crate). International numbers (`+46 …`, `+1 …`, `0046 …`) always
    /// count; national numbers of the `plain` regions (default Sweden, which needs the
    /// Swedish locale, and the NANP, which needs the English locale) whatever their
    /// grouping; national numbers of the `formatted` regions only with a trunk prefix or an
    /// area code in parentheses and in groups (`0121 234 5678`, `(11) 2345-6789`).
    ///
    /// Not phones: anything inside `masked` spans (IBAN-shaped strings), a string written
    /// like a personnummer (`YYMMDD-NNNN`) whatever its check digit, a number right after
    /// the name of another reference ("invoice", "order", "OCR", "tracking"…).
    pub(crate) fn phones(
        &self,
        text: &str,
        locales: &[Locale],
        regions: &PhoneRegions,
        masked: &[(usize, usize)],
        out: &mut Vec<Cand>,
    ) {
        let mut pos = 0;
        while let Some(m) = self.phone.find_at(text, pos) {
            pos = m.end();
            let s = m.as_str();
            if masked.iter().any(|&(a, b)| a < m.end() && m.start() < b) {
                continue;
            }
            // A number glued to a word, or right after a reference word ("order 12345"),
            // does not start at the run's start; one glued on the right does not end at
            // its end.
            let skip_start = prev_char(text, m.start())
                .is_some_and(|c| c.is_alphanumeric() || matches!(c, '+' | '-' | '/' | '_'));
            // After "order", "invoice", "OCR"… a bare run of digits is that reference; a
            // number written like a phone ("order 070-605 29 87"), or with a trunk prefix
            // ("order 0701234567"), is still a phone: privacy wins over the look-alike.
            let after_reference = after_reference_word(text, m.start());
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
            // Byte starts: the run's, and every digit group (or `+`) after a space: a number
            // just before the phone ("size 42 070-123 45 67") joins its run.
            let starts: Vec<usize> = s
                .char_indices()
                .filter(|&(i, c)| {
                    i == 0 || ((c.is_ascii_digit() || c == '+') && s[..i].ends_with([' ', '(']))
                })
                .map(|(i, _)| i)
                .filter(|&i| !(skip_start && i == 0))
                .collect();
            // The valid number that reaches furthest (then starts earliest).
            let found = starts
                .iter()
                .flat_map(|&start| ends.iter().rev().map(move |&end| (start, end)))
                .filter(|&(start, end)| end > start)
                .filter(|&(start, end)| {
                    let bare = &s[start..end];
                    !(start == 0
                        && after_reference
                        && !bare.starts_with('0')
                        && bare.bytes().all(|b| b.is_ascii_digit()))
                })
                .filter(|&(start, end)| !personal_number_shaped(&s[start..end]))
                .filter_map(|(start, end)| {
                    e164(&s[start..end], locales, regions).map(|(e, c)| (start, end, e, c))
                })
                .max_by_key(|&(start, end, ..)| (end, std::cmp::Reverse(start)));
            if let Some((start, end, e164, confidence)) = found {
                out.push(Cand::new(
                    m.start() + start,
                    m.start() + end,
                    Extractor::Phone,
                    Value::Phone { value: e164 },
                    confidence,
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

/// Capacity of libphonenumber's regex cache (it holds compiled metadata regexes).
const PHONE_REGEX_CACHE: usize = 2048;

/// Regions whose national phone numbers count (see [`RuleConfig`](super::RuleConfig)).
pub(crate) struct PhoneRegions {
    /// National numbers of these regions count written in any way (with the region's trunk
    /// prefix, such as Sweden's `0`, when it has one other than the NANP's `1`).
    plain: Vec<Region>,
    /// National numbers of these regions count when written with the trunk prefix or an
    /// area code in parentheses, in two or more groups.
    formatted: Vec<Region>,
}

/// A region and its trunk prefix (`None` for none or the NANP's optional `1`).
struct Region {
    id: country::Id,
    trunk: Option<String>,
}

impl Region {
    /// True when the written number has the trunk prefix the region's national numbers
    /// are written with (or an area code in parentheses).
    fn written_nationally(&self, written: &str, digits: &str) -> bool {
        self.trunk
            .as_deref()
            .is_none_or(|t| digits.starts_with(t) || written.starts_with('('))
    }
}

impl PhoneRegions {
    /// Parses ISO 3166 alpha-2 region codes.
    pub(crate) fn new(plain: &[String], formatted: &[String]) -> Result<Self> {
        let parse = |list: &[String]| {
            list.iter()
                .map(|r| {
                    let code = r.to_ascii_uppercase();
                    let id = code.parse::<country::Id>().map_err(|_| {
                        Error::Config(format!("phone region `{r}`: not an ISO 3166 region code"))
                    })?;
                    let trunk = phonenumber::metadata::DATABASE
                        .by_id(&code)
                        .and_then(|m| m.national_prefix())
                        .filter(|p| *p != "1")
                        .map(str::to_owned);
                    Ok(Region { id, trunk })
                })
                .collect::<Result<Vec<_>>>()
        };
        // libphonenumber's metadata compiles its regexes lazily into one LRU cache of 100
        // (behind a mutex); the regions tried here and the country codes of "+" numbers
        // need more, else every text recompiles the regexes of the one before.
        if let Ok(mut cache) = phonenumber::metadata::DATABASE.cache().lock()
            && cache.capacity() < PHONE_REGEX_CACHE
        {
            cache.set_capacity(PHONE_REGEX_CACHE);
        }
        Ok(PhoneRegions {
            plain: parse(plain)?,
            formatted: parse(formatted)?,
        })
    }
}

/// The locale a region's national numbers need among the tried locales: Sweden's the
/// Swedish locale, the NANP's (US, Canada) the English one; other regions none.
fn region_allowed(region: country::Id, locales: &[Locale]) -> bool {
    match region {
        country::Id::SE => locales.contains(&Locale::Sv),
        country::Id::US | country::Id::CA => locales.contains(&Locale::En),
        _ => true,
    }
}

/// A valid number (libphonenumber metadata) in E.164.
fn valid_e164(region: Option<country::Id>, number: &str) -> Option<String> {
    let parsed = phonenumber::parse(region, number).ok()?;
    if !phonenumber::is_valid(&parsed) {
        return None;
    }
    Some(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// E.164 form of a phone candidate and a confidence, or `None` when it is not a valid
/// number of a region that counts.
fn e164(s: &str, locales: &[Locale], regions: &PhoneRegions) -> Option<(String, f32)> {
    // Separators: single characters from " -.()" (a ") " pair allowed); a "(0)" after
    // the country code is the trunk prefix, not part of the number.
    let trunk = s.find("(0)");
    let written = match trunk {
        Some(t) => std::borrow::Cow::Owned(format!("{}{}", &s[..t], &s[t + 3..])),
        None => std::borrow::Cow::Borrowed(s),
    };
    let mut digits = String::with_capacity(16);
    let mut groups: Vec<usize> = Vec::with_capacity(6);
    let mut sep_run = 0;
    for c in written.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            if sep_run > 0 || groups.is_empty() {
                groups.push(0);
            }
            if let Some(g) = groups.last_mut() {
                *g += 1;
            }
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
        if rest.len() < 7 || rest.len() > 15 {
            return None;
        }
        let international = format!("+{rest}");
        if let Some(e) = valid_e164(None, &international) {
            return Some((e, 0.9));
        }
        // Written with "+": a number of a known country code with a national length, even
        // if the metadata does not know its range (new ranges, fictional numbers).
        if plus
            && let Ok(parsed) = phonenumber::parse(None, &international)
            && phonenumber::metadata::DATABASE
                .by_code(&parsed.code().value())
                .is_some()
            && (7..=13).contains(&parsed.national().to_string().len())
        {
            return Some((
                parsed.format().mode(phonenumber::Mode::E164).to_string(),
                0.7,
            ));
        }
        // The NANP's fictional 555 numbers and new area codes, written 3-3-4.
        if let Some(national) = rest.strip_prefix('1')
            && nanp(national)
            && groups.ends_with(&[3, 3, 4])
        {
            return Some((format!("+1{national}"), 0.8));
        }
        return None;
    }
    if trunk.is_some() || !(7..=13).contains(&digits.len()) {
        return None;
    }
    // A number of a plain region whose locale is not among the tried ones (a Swedish
    // number in an English text) is not read as another region's number.
    let mut foreign = false;
    for region in &regions.plain {
        if region.written_nationally(s, &digits)
            && let Some(e) = valid_e164(Some(region.id), &digits)
        {
            if region_allowed(region.id, locales) {
                return Some((e, 0.9));
            }
            foreign = true;
        }
    }
    let national = if digits.len() == 11 {
        digits.strip_prefix('1')
    } else {
        Some(digits.as_str())
    };
    // The NANP written 3-3-4 (fictional 555 numbers, ranges the metadata lacks).
    if let Some(national) = national
        && nanp(national)
        && groups.len() >= 3
        && groups.ends_with(&[3, 3, 4])
    {
        for region in &regions.plain {
            if matches!(region.id, country::Id::US | country::Id::CA) {
                if region_allowed(region.id, locales) {
                    return Some((format!("+1{national}"), 0.8));
                }
                foreign = true;
            }
        }
    }
    // Nine digits or more: shorter national numbers are too easily something else.
    if foreign || groups.len() < 2 || digits.len() < 9 {
        return None;
    }
    // Other regions: a trunk prefix or an area code in parentheses, and grouping; the
    // region whose national format groups the digits as written wins, else the first.
    let mut first = None;
    for region in &regions.formatted {
        if !region.written_nationally(s, &digits) || (region.trunk.is_none() && !s.starts_with('('))
        {
            continue;
        }
        let Some(parsed) = phonenumber::parse(Some(region.id), &digits)
            .ok()
            .filter(phonenumber::is_valid)
        else {
            continue;
        };
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        let national = parsed
            .format()
            .mode(phonenumber::Mode::National)
            .to_string();
        if digit_groups(&national) == groups {
            return Some((e164, 0.8));
        }
        first.get_or_insert(e164);
    }
    first.map(|e| (e, 0.7))
}

/// The lengths of the digit runs of `s`.
fn digit_groups(s: &str) -> Vec<usize> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect()
}

/// North American number: ten digits, the area code starting with 2-9.
fn nanp(ten: &str) -> bool {
    let b = ten.as_bytes();
    b.len() == 10 && (b'2'..=b'9').contains(&b[0])
}

/// True when the word before byte `start` names a reference number that is not a phone
/// number ("invoice 2026110045", "OCR …", "kundnummer …", "tracking …").
fn after_reference_word(text: &str, start: usize) -> bool {
    const REFERENCE: &[&str] = &[
        "invoice",
        "order",
        "ordernummer",
        "ordernr",
        "beställning",
        "beställningsnummer",
        "ref",
        "reference",
        "referens",
        "ocr",
        "faktura",
        "fakturan",
        "fakturanummer",
        "fakturanr",
        "kvitto",
        "kvittot",
        "receipt",
        "tracking",
        "kollinummer",
        "kolli",
        "spårningsnummer",
        "sändningsnummer",
        "waybill",
        "purchase",
        "artikelnummer",
        "artnr",
        "sku",
        "ean",
        "gtin",
        "isbn",
        "serial",
        "serienummer",
        "kundnummer",
        "customer",
        "bankgiro",
        "plusgiro",
        "po",
    ];
    let before =
        text[..start].trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '#' | ':' | '.'));
    let word = before
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    REFERENCE.contains(&word.as_str())
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
