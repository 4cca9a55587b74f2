//! `tolka parse`: the rule layer alone (money, numbers, dates, times, sizes, colours, contact
//! and personal data), no encoder.
//!
//! Each record gets `"matches": [{label, text, start, end, value}]` with character offsets.
//! A record's `reference_time` (RFC 3339) and `locale` (`en`, `sv`) fields override the
//! command line's `--reference-time`, `--timezone` and `--locale`.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use tolka::rules::{self, Locale, RuleConfig, Rules};

use crate::input::{Item, Record};
use crate::time::Zone;
use crate::{Sources, error_line};

/// How `parse` resolves the context of a record that does not carry its own.
pub struct Defaults {
    /// "Now" for relative dates and times.
    pub reference_time: DateTime<FixedOffset>,
    /// `None` tries English and Swedish.
    pub locale: Option<Locale>,
}

impl Defaults {
    /// From the command-line flags: `--reference-time` (RFC 3339) wins over the current
    /// time; `--timezone` (an IANA zone such as `Europe/Stockholm`, or `+01:00`, `-0500`,
    /// `UTC`, `Z`; default the system's) is the zone of the current time, or converts
    /// `--reference-time` into that zone.
    pub fn new(
        reference_time: Option<&str>,
        timezone: Option<&str>,
        locale: Option<&str>,
    ) -> Result<Self> {
        let zone = timezone.map(Zone::parse).transpose()?;
        let reference_time = crate::time::default_reference(reference_time, zone.as_ref())?;
        let locale = locale
            .map(|l| parse_locale(l).with_context(|| "--locale"))
            .transpose()?;
        Ok(Defaults {
            reference_time,
            locale,
        })
    }
}

fn parse_locale(s: &str) -> Result<Locale> {
    match s.to_ascii_lowercase().as_str() {
        "en" => Ok(Locale::En),
        "sv" => Ok(Locale::Sv),
        _ => bail!("unknown locale `{s}` (en, sv)"),
    }
}

/// Parses every input; returns false when some record was malformed (bad JSON, CSV, UTF-8,
/// or a `reference_time` / `locale` field that does not parse).
pub fn run(sources: &Sources, config: &RuleConfig, defaults: &Defaults) -> Result<bool> {
    let rules = Rules::new(config).context("compiling the rules")?;
    let mut bad_fields = false;
    let clean = sources.run(|pending, name, out| {
        for item in pending.drain(..) {
            let line = match item {
                Item::Text {
                    mut record,
                    text,
                    line,
                } => match context(&record, defaults) {
                    Ok(context) => {
                        let matches = rules.extract(&text, &context);
                        record.insert("matches", &matches_json(&text, &matches)?)?;
                        record
                    }
                    Err(message) => {
                        bad_fields = true;
                        if sources.strict {
                            out.flush()?;
                            bail!("{name}:{line}: {message}");
                        }
                        error_line(name, line, &message)
                    }
                },
                Item::Error { line, message } => error_line(name, line, &message),
            };
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })?;
    if bad_fields && clean {
        eprintln!("tolka: some records were malformed; see the error lines in the output");
    }
    Ok(clean && !bad_fields)
}

/// The rule context of one record: its own `reference_time` and `locale`, else the defaults.
fn context(record: &Record, defaults: &Defaults) -> std::result::Result<rules::Context, String> {
    let reference_time = match record.get("reference_time") {
        None | Some(Value::Null) => defaults.reference_time,
        Some(Value::String(s)) if !s.is_empty() => DateTime::parse_from_rfc3339(&s)
            .map_err(|e| format!("`reference_time` `{s}` is not RFC 3339: {e}"))?,
        Some(Value::String(_)) => defaults.reference_time,
        Some(_) => return Err("`reference_time` is not a string".into()),
    };
    let locale = match record.get("locale") {
        None | Some(Value::Null) => defaults.locale,
        Some(Value::String(s)) if s.is_empty() => defaults.locale,
        Some(Value::String(s)) => Some(parse_locale(&s).map_err(|e| format!("`locale`: {e}"))?),
        Some(_) => return Err("`locale` is not a string".into()),
    };
    Ok(rules::Context {
        reference_time,
        locale,
    })
}

/// The matches as JSON with character offsets (the matches are sorted and disjoint).
pub(crate) fn matches_json(text: &str, matches: &[rules::Match]) -> Result<Value> {
    let mut out = Vec::with_capacity(matches.len());
    let (mut byte, mut chars) = (0, 0);
    let mut char_offset = |b: usize| {
        chars += text[byte..b].chars().count();
        byte = b;
        chars
    };
    for m in matches {
        let start = char_offset(m.start);
        let end = char_offset(m.end);
        out.push(serde_json::json!({
            "label": m.label,
            "text": &text[m.start..m.end],
            "start": start,
            "end": end,
            "value": serde_json::to_value(&m.value)?,
        }));
    }
    Ok(Value::Array(out))
}
