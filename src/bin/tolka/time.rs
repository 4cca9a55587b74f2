//! Time zones and message times of the command line: `--timezone`, `--reference-time` and
//! the `--time-field` of records.

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, Local, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

/// A user's time zone: a named IANA zone (its offset follows daylight saving time) or a
/// fixed UTC offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    Named(Tz),
    Fixed(FixedOffset),
}

impl Zone {
    /// `Europe/Stockholm` (any IANA name), `+01:00`, `+0100`, `-05:00`, `UTC` or `Z`.
    pub fn parse(s: &str) -> Result<Zone> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("utc") || s.eq_ignore_ascii_case("z") {
            return Ok(Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset")));
        }
        if let Ok(offset) = s.parse::<FixedOffset>() {
            return Ok(Zone::Fixed(offset));
        }
        s.parse::<Tz>().map(Zone::Named).map_err(|_| {
            anyhow::anyhow!(
                "--timezone `{s}` is neither an IANA time zone (`Europe/Stockholm`) nor a UTC \
                 offset (`+01:00`, `-0500`, `UTC`)"
            )
        })
    }

    /// The instant `t` on this zone's clock.
    pub fn convert<T: TimeZone>(&self, t: &DateTime<T>) -> DateTime<FixedOffset> {
        match self {
            Zone::Named(tz) => {
                let local = t.with_timezone(tz);
                let offset = local.offset().fix();
                local.with_timezone(&offset)
            }
            Zone::Fixed(offset) => t.with_timezone(offset),
        }
    }

    /// A wall-clock time in this zone; `None` when the clock skips it (a daylight saving
    /// gap). An ambiguous time (the hour the clock repeats) is the earlier instant.
    fn on_clock(&self, naive: &NaiveDateTime) -> Option<DateTime<FixedOffset>> {
        match self {
            Zone::Named(tz) => earliest(tz.from_local_datetime(naive)).map(|t| self.convert(&t)),
            Zone::Fixed(offset) => earliest(offset.from_local_datetime(naive)),
        }
    }
}

fn earliest<T: TimeZone>(r: LocalResult<DateTime<T>>) -> Option<DateTime<T>> {
    match r {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(a, _) => Some(a),
        LocalResult::None => None,
    }
}

/// "Now" for records without a time of their own, from `--reference-time` and `--timezone`:
/// the reference time (RFC 3339), converted into the zone when one is given; else the
/// current time in the zone, else in the system's.
pub fn default_reference(
    reference_time: Option<&str>,
    zone: Option<&Zone>,
) -> Result<DateTime<FixedOffset>> {
    Ok(match reference_time {
        Some(t) => {
            let t = DateTime::parse_from_rfc3339(t.trim())
                .with_context(|| format!("--reference-time `{t}` is not RFC 3339"))?;
            zone.map_or(t, |z| z.convert(&t))
        }
        None => match zone {
            Some(z) => z.convert(&Utc::now()),
            None => Local::now().fixed_offset(),
        },
    })
}

/// The time of a record's `--time-field` value, or why it is not one.
///
/// Accepted: RFC 3339 / ISO 8601 with an offset (`2026-03-10T14:05:00+01:00`, `…Z`, a space
/// for the `T`), converted into `zone` when one is given; a time without an offset
/// (`2026-03-10 14:05`, `2026-03-10T14:05:30`), read on the clock of `zone` (default the
/// system's); a date alone (`2026-03-10`, midnight); a number, as Unix seconds.
pub fn parse_time(
    value: &Value,
    zone: Option<&Zone>,
) -> std::result::Result<DateTime<FixedOffset>, String> {
    match value {
        Value::String(s) => parse_time_str(s.trim(), zone).ok_or_else(|| {
            format!("time `{s}` is not RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or a date")
        }),
        Value::Number(n) => {
            let secs = n.as_f64().unwrap_or(f64::NAN);
            let t = (secs.is_finite() && secs.abs() < 1e11)
                .then(|| {
                    DateTime::from_timestamp(secs.floor() as i64, ((secs.fract()) * 1e9) as u32)
                })
                .flatten()
                .ok_or_else(|| format!("time {n} is not a Unix time in seconds"))?;
            Ok(match zone {
                Some(z) => z.convert(&t),
                None => t.with_timezone(&Local).fixed_offset(),
            })
        }
        _ => Err("the time is not a string or a number".into()),
    }
}

fn parse_time_str(s: &str, zone: Option<&Zone>) -> Option<DateTime<FixedOffset>> {
    let with_offset = DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(&s.replacen(' ', "T", 1)).ok())
        .or_else(|| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z").ok())
        .or_else(|| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%z").ok());
    if let Some(t) = with_offset {
        return Some(zone.map_or(t, |z| z.convert(&t)));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    match zone {
        Some(z) => z.on_clock(&naive),
        None => earliest(Local.from_local_datetime(&naive)).map(|t| t.fixed_offset()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_zones_follow_daylight_saving() {
        let zone = Zone::parse("Europe/Stockholm").unwrap();
        let winter = parse_time(&"2026-01-15 10:00".into(), Some(&zone)).unwrap();
        let summer = parse_time(&"2026-07-15T10:00:00".into(), Some(&zone)).unwrap();
        assert_eq!(winter.to_rfc3339(), "2026-01-15T10:00:00+01:00");
        assert_eq!(summer.to_rfc3339(), "2026-07-15T10:00:00+02:00");
        // An instant with an offset is converted into the zone.
        let utc = parse_time(&"2026-07-15T23:30:00Z".into(), Some(&zone)).unwrap();
        assert_eq!(utc.to_rfc3339(), "2026-07-16T01:30:00+02:00");
        // The spring-forward gap does not exist on Stockholm's clock.
        assert!(parse_time(&"2026-03-29 02:30".into(), Some(&zone)).is_err());
    }

    #[test]
    fn offsets_numbers_and_errors() {
        let plus1 = Zone::parse("+01:00").unwrap();
        assert_eq!(Zone::parse("UTC").unwrap(), Zone::parse("+00:00").unwrap());
        let t = parse_time(&serde_json::json!(1_773_147_600), Some(&plus1)).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-10T14:00:00+01:00");
        let kept = parse_time(&"2026-03-10T14:05:00-05:00".into(), None).unwrap();
        assert_eq!(kept.to_rfc3339(), "2026-03-10T14:05:00-05:00");
        for bad in ["yesterday", "2026-13-01 10:00", "10:00", ""] {
            assert!(parse_time(&bad.into(), Some(&plus1)).is_err(), "{bad}");
        }
        assert!(parse_time(&serde_json::json!(true), None).is_err());
        assert!(parse_time(&serde_json::json!(1e300), None).is_err());
        assert!(Zone::parse("Europe/Stockholmm").is_err());
        assert!(Zone::parse("+25:00").is_err());
    }
}
