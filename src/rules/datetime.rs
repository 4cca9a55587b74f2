//! Dates, times, intervals and durations relative to a reference time.
//!
//! Resolution conventions (documented on [`Rules::extract`](super::Rules::extract)):
//! - a weekday alone or with "on" / "this" / "på" / "i" is its next occurrence after the
//!   reference day (today excluded); "next Friday" / "nästa fredag" is the Friday of the next
//!   calendar week (weeks start on Monday); "last" / "förra" / "i fredags" the previous one;
//! - a day and month without a year is the next occurrence on or after the reference day;
//! - a month name is a date only with a cue: a day number ("3 May") or a word such as
//!   "in", "next", "i", "nästa" ("in May" is the interval of that month); "may" in lower case
//!   after such a word is the verb, not the month;
//! - a time of day is the next occurrence at or after the reference time;
//! - a weekend is Friday 18:00 to Monday 00:00; the end / beginning of a month its days
//!   21–last / 1–10; a shop day or holiday its next occurrence on or after the reference day;
//! - numeric dates: `15.2.2026` (day first) with a year, Swedish also `den 15.2` with a cue;
//!   `2/15` (en: month first) with a cue or a year;
//! - a range of two dates ("from Monday to Wednesday") is the days from the first through
//!   the second; so is a range of days in one month ("3-10 January", "from 3 to 10 January",
//!   "January 3 to 10", "3–10 januari", "mellan den 3 och 10 januari"), in the month and year
//!   of its last day.

use chrono::{
    DateTime, Datelike, Days, Duration, FixedOffset, Months, NaiveDate, NaiveTime, TimeZone,
};
use regex::{Captures, Regex};

use super::numbers::{Num, NumKind, NumberRules};
use super::text::{Token, glued, next_char, prev_char, skip_spaces};
use super::{Cand, Extractor, Locale, Value};

const EN_MONTHS: &str = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec";
const EN_MONTHS_FULL: &str =
    "january|february|march|april|may|june|july|august|september|october|november|december";
const SV_MONTHS: &str = "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|okt|nov|dec";
const SV_MONTHS_FULL: &str =
    "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december";

/// Compiled date and time patterns of one locale.
pub(crate) struct DateRules {
    locale: Locale,
    keyword: Regex,
    weekday: Regex,
    day_month: Regex,
    month_day: Option<Regex>,
    iso: Regex,
    month_cue: Regex,
    period: Regex,
    clock: Regex,
    /// Hours in words: "five pm", "five thirty am", "ten o'clock", "twelve noon",
    /// "klockan fem".
    clock_words: Regex,
    /// Parts of the day: "tonight", "this evening", "in the morning", "i kväll", and the part
    /// after a date ("tomorrow morning", "fredag kväll"), which the date merge joins.
    parts: Regex,
    /// Numeric day and month: "3/5", "3/5/2026" (a year, or a cue such as "on" or "den").
    numeric: Regex,
    hhmm: Regex,
    range: Regex,
    /// "now", "right now", "just nu".
    now_word: Regex,
    /// "this weekend", "next weekend", "i helgen", "nästa helg".
    weekend: Regex,
    /// The start or end of a week, month or year: "end of the month", "i slutet av året".
    edge: Regex,
    /// Dotted day.month.year ("15.2.2026"), Swedish also with a cue ("den 15.2").
    dotted: Regex,
    /// Shop days and holidays of the civil calendar: "Black Friday", "Christmas", "jul",
    /// "midsommar", "nyårsafton".
    holiday: Regex,
    /// Durations with a fraction word: "a quarter of an hour", "en kvart", "en halvtimme".
    fraction: Regex,
    /// The first day of a range before a day and month, matched on the text before it:
    /// "from 3 to " (10 January), "3-" (10 januari), "mellan den 3 och ".
    first_day: Regex,
    /// The last day of a range after a month and day, matched on the text after it:
    /// (January 3) " to 10", "-10th".
    last_day: Option<Regex>,
}

const EN_HOURS: &str = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve";
const EN_MINUTES: &str = "o[h']?\\s+five|five|ten|fifteen|twenty[\\s-]five|twenty|thirty[\\s-]five|thirty|forty[\\s-]five|forty|fifty[\\s-]five|fifty";
const SV_HOURS: &str = "ett|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv";
const EN_WEEKDAYS: &str = "monday|tuesday|wednesday|thursday|friday|saturday|sunday";
const SV_WEEKDAYS: &str = "måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag";

impl DateRules {
    pub(crate) fn new(locale: Locale, numbers: &NumberRules) -> Self {
        let ord = numbers.ordinal_alternation();
        let re = |p: &str| Regex::new(p).expect("date regex");
        match locale {
            Locale::En => DateRules {
                locale,
                keyword: re(
                    r"(?i)\b(today|tomorrow|tmrw|yesterday|(?:the\s+)?day\s+after\s+tomorrow)\b",
                ),
                weekday: re(
                    r"(?i)\b(?:(this\s+coming|on\s+next|next|this|coming|on|last)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
                ),
                day_month: re(&format!(
                    r"(?i)\b(?:the\s+)?([0-9]{{1,2}}(?:st|nd|rd|th)?|{ord})\s+(?:of\s+)?({EN_MONTHS})\b\.?(?:,?\s+([0-9]{{4}})\b)?"
                )),
                month_day: Some(re(&format!(
                    r"(?i)\b({EN_MONTHS})\.?\s+(?:the\s+)?([0-9]{{1,2}}(?:st|nd|rd|th)?|{ord})\b(?:,?\s+([0-9]{{4}})\b)?"
                ))),
                iso: re(r"\b([0-9]{4})-([0-9]{2})-([0-9]{2})\b"),
                month_cue: re(&format!(
                    r"(?i)\b(in|next|this|during|until|by|since|last|early|late|mid)\s+({EN_MONTHS_FULL})\b(?:\s+([0-9]{{4}})\b)?"
                )),
                first_day: re(
                    r"(?i)(?:\b(?P<cue>from|between)\s+)?(?:the\s+)?\b(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?\s*(?P<sep>-|–|to|until|till|through|thru|and)\s*$",
                ),
                last_day: Some(re(
                    r"(?i)^\s*(?:-|–|to|until|till|through|thru)\s*(?:the\s+)?(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?\b",
                )),
                period: re(r"(?i)\b(next|this|last)\s+(week|month|year)\b"),
                clock: re(
                    r"(?i)\b(?:at\s+)?(?P<h>[0-9]{1,2})(?:[:.](?P<m>[0-5][0-9]))?\s?(?P<ap>[ap])\.?m\b\.?|\b(?:at\s+)?(?P<word>noon|midday|midnight)\b",
                ),
                clock_words: re(&format!(
                    r"(?i)\b(?:at\s+)?(?:(?P<hw>{EN_HOURS})(?:\s+(?P<mw>{EN_MINUTES}))?\s*(?:(?P<ap>[ap])\.?m\b\.?|o['’]?\s?clock\b)|[0-9]{{1,2}}\s*o['’]?\s?clock\b|twelve\s+(?:noon|midnight)\b)"
                )),
                parts: re(&format!(
                    r"(?i)\b(?:(?P<cue>this|in\s+the|during\s+the|early\s+in\s+the|late\s+in\s+the)\s+(?P<part>morning|afternoon|evening|night)|(?P<tonight>tonight)|(?:{EN_WEEKDAYS}|today|tomorrow|tmrw|yesterday)\s+(?P<after>morning|afternoon|evening|night))\b"
                )),
                numeric: re(
                    r"(?i)\b(?:(?P<cue>on|by|until|till|before|after|from|since|due)\s+(?:the\s+)?)?(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})(?:/(?P<y>[0-9]{4}|[0-9]{2}))?\b",
                ),
                hhmm: re(r"(?i)\b(?:at\s+)?(?P<h>[01]?[0-9]|2[0-3]):(?P<m>[0-5][0-9])\b"),
                range: re(
                    r"(?i)\b(?:(?P<cue>between|from)\s+)?(?P<h1>[0-9]{1,2})(?::(?P<m1>[0-5][0-9]))?\s?(?:(?P<ap1>[ap])\.?m\.?)?\s*(?P<sep>and|to|until|till|-|–)\s*(?P<h2>[0-9]{1,2})(?::(?P<m2>[0-5][0-9]))?(?:\s?(?P<ap2>[ap])\.?m\b\.?)?",
                ),
                now_word: re(r"(?i)\b(?:right\s+)?now\b"),
                weekend: re(
                    r"(?i)\b(this|next|last|coming|the|over\s+the|on\s+the|during\s+the)\s+weekend\b",
                ),
                edge: re(
                    r"(?i)\b(?:(?:at|by|until|till|before|in|from)\s+)?(?:the\s+)?(end|beginning|start)\s+of\s+(?:the\s+)?(?:(this|next|last)\s+)?(week|month|year)\b",
                ),
                dotted: re(r"\b(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})\b"),
                holiday: re(
                    r"(?i)\b(black\s+friday|cyber\s+monday|christmas\s+eve|christmas\s+day|christmas|xmas|boxing\s+day|new\s+year['’]?s\s+eve|new\s+year['’]?s\s+day|new\s+year['’]?s|new\s+year|valentine['’]?s\s+day|halloween|thanksgiving|singles['’]?\s+day)\b(?:\s+([0-9]{4})\b)?",
                ),
                fraction: re(
                    r"(?i)\b(?:(?P<cue>in|within)\s+)?(?P<d>(?:(?:a|one)\s+)?(?P<q>quarter|three\s+quarters)\s+of\s+an\s+hour)\b",
                ),
            },
            Locale::Sv => DateRules {
                locale,
                keyword: re(
                    r"(?i)\b(idag|i\s+dag|imorgon|i\s+morgon|imorn|i\s+morn|i\s+övermorgon|övermorgon|igår|i\s+går)\b",
                ),
                weekday: re(
                    r"(?i)\b(?:(nästa|denna|kommande|nu\s+på|på|i|förra|till)\s+)?(måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag)(en|s)?\b",
                ),
                day_month: re(&format!(
                    r"(?i)\b(?:den\s+)?([0-9]{{1,2}}(?::e|:a)?|{ord})\s+({SV_MONTHS})\b\.?(?:\s+([0-9]{{4}})\b)?"
                )),
                month_day: None,
                iso: re(r"\b([0-9]{4})-([0-9]{2})-([0-9]{2})\b"),
                first_day: re(
                    r"(?i)(?:\b(?P<cue>från|mellan)\s+)?(?:den\s+)?\b(?P<d>[0-9]{1,2})(?::e|:a)?\s*(?P<sep>-|–|till|och)\s*(?:den\s+)?$",
                ),
                last_day: None,
                month_cue: re(&format!(
                    r"(?i)\b(i|nästa|till|under|från|efter|före|innan|förra|början\s+av|slutet\s+av|mitten\s+av)\s+({SV_MONTHS_FULL})\b(?:\s+([0-9]{{4}})\b)?"
                )),
                period: re(r"(?i)\b(nästa|denna|den\s+här|förra)\s+(veckan?|månaden?|året|år)\b"),
                clock: re(
                    r"(?i)\b(?:kl\.?|klockan)\s*(?P<h>[01]?[0-9]|2[0-3])(?:[:.](?P<m>[0-5][0-9]))?\b|\b(?:vid\s+)?(?P<word>midnatt)\b",
                ),
                clock_words: re(&format!(r"(?i)\b(?:kl\.?|klockan)\s*(?P<hw>{SV_HOURS})\b")),
                parts: re(&format!(
                    r"(?i)\b(?:(?P<today>i\s?kväll|i\s?eftermiddag|i\s?förmiddag|i\s?natt)|(?P<cue>på|under)\s+(?P<part>morgonen|förmiddagen|eftermiddagen|kvällen|natten)|(?:{SV_WEEKDAYS}|idag|imorgon|i\s+morgon|igår)\s+(?P<after>morgon|förmiddag|eftermiddag|kväll|natt))\b"
                )),
                numeric: re(
                    r"(?i)\b(?:(?P<cue>den|på|till|senast|före|innan|efter|från|fr\.?o\.?m\.?)\s+)?(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})(?:/(?P<y>[0-9]{4}|[0-9]{2}))?\b",
                ),
                hhmm: re(r"\b(?P<h>[01]?[0-9]|2[0-3]):(?P<m>[0-5][0-9])\b"),
                range: re(
                    r"(?i)\b(?:(?P<cue>mellan|från)\s+)?(?:(?P<kl>kl\.?|klockan)\s*)?(?P<h1>[0-9]{1,2})(?:[:.](?P<m1>[0-5][0-9]))?\s*(?P<sep>och|till|-|–)\s*(?:kl\.?\s*)?(?P<h2>[0-9]{1,2})(?:[:.](?P<m2>[0-5][0-9]))?\b",
                ),
                now_word: re(r"(?i)\b(?:just\s+nu|nu\s+direkt)\b"),
                weekend: re(
                    r"(?i)\b(i|nästa|förra|till|över|under|kommande|denna|den\s+här)\s+helg(?:en)?\b",
                ),
                edge: re(
                    r"(?i)\b(?:(?:i|till|före|innan|under|från)\s+)?(slutet|början)\s+(?:av|på)\s+(?:(nästa|förra|denna)\s+)?(veckan|vecka|månaden|månad|året|år)\b",
                ),
                dotted: re(
                    r"(?i)\b(?:(?P<cue>den|på|till|senast|före|innan|efter|från)\s+)?(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})(?:\.(?P<y>[0-9]{4}))?\b",
                ),
                holiday: re(
                    r"(?i)\b(black\s+friday|cyber\s+monday|julaftonen|julafton|juldagen|annandag\s+jul|annandagen|julen|jul|nyårsaftonen|nyårsafton|nyårsdagen|nyåret|nyår|midsommaraftonen|midsommarafton|midsommardagen|midsommaren|midsommar|alla\s+hjärtans\s+dag|halloween|valborgsmässoafton|valborg|nationaldagen|lucia|singles\s+day)\b(?:\s+([0-9]{4})\b)?",
                ),
                fraction: re(
                    r"(?i)\b(?:(?P<cue>om|inom)\s+)?(?P<d>(?:(?:en|ett)\s+)?(?P<q>halvtimme|halvtimma|kvart|trekvart|tre\s+kvart))\b",
                ),
            },
        }
    }

    /// Dates (and month / week intervals).
    pub(crate) fn dates(
        &self,
        text: &str,
        now: &DateTime<FixedOffset>,
        numbers: &NumberRules,
        out: &mut Vec<Cand>,
    ) {
        let today = now.date_naive();
        let first = out.len();
        let mut push = |s: usize, e: usize, value: Option<Value>, confidence: f32| {
            if let Some(value) = value {
                out.push(Cand::new(s, e, Extractor::Date, value, confidence));
            }
        };
        for c in self.keyword.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let word = m.as_str().to_lowercase();
            let word: String = word.split_whitespace().collect::<Vec<_>>().join(" ");
            let offset: i64 = match word.as_str() {
                "yesterday" | "igår" | "i går" => -1,
                "tomorrow" | "tmrw" | "imorgon" | "i morgon" | "imorn" | "i morn" => 1,
                w if w.contains("after") || w.contains("över") => 2,
                _ => 0,
            };
            push(
                m.start(),
                m.end(),
                shift_days(today, offset).map(date),
                0.95,
            );
        }
        for c in self.weekday.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let cue = c.get(1).map(|g| g.as_str().to_lowercase());
            let suffix = c.get(3).map(|g| g.as_str().to_lowercase());
            let Some(wd) = weekday_index(&c[2].to_lowercase()) else {
                continue;
            };
            let cue = cue.as_deref().map(str::trim);
            let relation = match (cue, suffix.as_deref()) {
                (Some("i"), Some("s")) | (Some("last" | "förra"), _) => Rel::Last,
                (Some("next" | "on next" | "nästa"), _) => Rel::NextWeek,
                _ => Rel::Coming,
            };
            push(
                m.start(),
                m.end(),
                resolve_weekday(today, wd, relation).map(date),
                0.9,
            );
        }
        let mut day_months = vec![(&self.day_month, 1, 2)];
        if let Some(md) = &self.month_day {
            day_months.push((md, 2, 1));
        }
        for (re, day_group, month_group) in day_months {
            for c in re.captures_iter(text) {
                let m = c.get(0).expect("group 0");
                let Some(day) = day_number(&c[day_group], numbers) else {
                    continue;
                };
                if day == 2
                    && numbers.ordinal_value(&c[day_group]).is_some()
                    && !m.as_str().to_lowercase().starts_with(['t', 'd'])
                {
                    // "second" / "andra" need "the" / "den".
                    continue;
                }
                let Some(month) = month_index(&c[month_group]) else {
                    continue;
                };
                let year = c.get(3).and_then(|y| y.as_str().parse::<i32>().ok());
                let resolved = resolve_day_month(today, year, month, day);
                push(m.start(), m.end(), resolved.map(date), 0.95);
                // A range of days in this month: "3-10 January", "January 3 to 10".
                let Some(resolved) = resolved else { continue };
                let range = if day_group == 1 {
                    self.first_day_before(text, m.start(), day, resolved)
                } else {
                    self.last_day_after(text, m.end(), day, resolved)
                };
                if let Some((start, end, (from, to))) = range {
                    let span = (start.min(m.start()), end.max(m.end()));
                    push(span.0, span.1, interval(now, (from, to)), 0.9);
                }
            }
        }
        for c in self.numeric.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let (a, b) = (c.name("a").expect("a"), c.name("b").expect("b"));
            // Not part of a longer run ("1/2/3/4", "3/5-7", "50/50 %").
            let tail = next_char(text, m.end());
            if glued(text, m.start(), m.end())
                || matches!(tail, Some('/' | '-' | '%' | '.' | ','))
                    && text[m.end() + 1..].starts_with(|ch: char| ch.is_ascii_digit())
                || prev_char(text, a.start()).is_some_and(|ch| matches!(ch, '/' | '-' | '.'))
            {
                continue;
            }
            let year = c.name("y").and_then(|y| {
                let v: i32 = y.as_str().parse().ok()?;
                Some(if y.len() == 2 { 2000 + v } else { v })
            });
            if year.is_none() && c.name("cue").is_none() {
                continue; // "1/2" alone is as likely a fraction.
            }
            let (x, y): (u32, u32) = (
                a.as_str().parse().unwrap_or(0),
                b.as_str().parse().unwrap_or(0),
            );
            // Swedish day/month and English (US) month/day, unless only the other reading
            // is a valid date.
            let day_first = match self.locale {
                Locale::Sv => !(x <= 12 && y > 12),
                Locale::En => x > 12,
            };
            let (day, month) = if day_first { (x, y) } else { (y, x) };
            if !(1..=12).contains(&month) || day == 0 {
                continue;
            }
            push(
                m.start(),
                m.end(),
                resolve_day_month(today, year, month, day).map(date),
                0.8,
            );
        }
        for c in self.iso.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let (Ok(y), Ok(mo), Ok(d)) = (c[1].parse(), c[2].parse(), c[3].parse()) else {
                continue;
            };
            push(
                m.start(),
                m.end(),
                NaiveDate::from_ymd_opt(y, mo, d).map(date),
                0.99,
            );
        }
        for c in self.month_cue.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let month_text = &c[2];
            if self.locale == Locale::En && month_text == "may" {
                continue; // "this may help"
            }
            let Some(month) = month_index(month_text) else {
                continue;
            };
            let cue = c[1].to_lowercase();
            let year = c.get(3).and_then(|y| y.as_str().parse::<i32>().ok());
            let first = year
                .and_then(|y| NaiveDate::from_ymd_opt(y, month, 1))
                .or_else(|| month_occurrence(today, month, &cue));
            push(
                m.start(),
                m.end(),
                first.and_then(|f| month_interval(f, now)),
                0.85,
            );
        }
        for c in self.period.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let unit = c[2].to_lowercase();
            push(
                m.start(),
                m.end(),
                period_bounds(today, &unit, step(&c[1])).and_then(|b| interval(now, b)),
                0.85,
            );
        }
        for c in self.dotted.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let d = c.name("d").expect("d");
            // Not part of a longer run ("1.2.3.4", "1.5.2026.3").
            if prev_char(text, d.start()).is_some_and(|ch| matches!(ch, '.' | ',' | '/'))
                || next_char(text, m.end()).is_some_and(|ch| matches!(ch, '.' | ',' | '/'))
                    && text[m.end() + 1..].starts_with(|ch: char| ch.is_ascii_digit())
            {
                continue;
            }
            let year = c.name("y").and_then(|y| y.as_str().parse::<i32>().ok());
            if year.is_none() && c.name("cue").is_none() {
                continue; // "3.5" alone is a number
            }
            let (Ok(day), Ok(month)) = (d.as_str().parse(), c["m"].parse()) else {
                continue;
            };
            push(
                m.start(),
                m.end(),
                resolve_day_month(today, year, month, day).map(date),
                0.85,
            );
        }
        for c in self.weekend.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            push(m.start(), m.end(), weekend(today, step(&c[1]), now), 0.85);
        }
        for c in self.edge.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let rel = c.get(2).map_or(0, |g| step(g.as_str()));
            let end = matches!(c[1].to_lowercase().as_str(), "end" | "slutet");
            let bounds =
                period_bounds(today, &c[3].to_lowercase(), rel).and_then(|b| period_edge(b, end));
            push(
                m.start(),
                m.end(),
                bounds.and_then(|b| interval(now, b)),
                0.85,
            );
        }
        for c in self.holiday.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let name: String = c[1]
                .to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace(['\'', '’'], "");
            let year = c.get(2).and_then(|y| y.as_str().parse::<i32>().ok());
            let day = match year {
                Some(y) => holiday(&name, y),
                None => holiday(&name, today.year())
                    .filter(|d| *d >= today)
                    .or_else(|| holiday(&name, today.year() + 1)),
            };
            push(m.start(), m.end(), day.map(date), 0.9);
        }
        date_ranges(text, now, first, out);
    }

    /// The range that ends with the day and month at `at` (`day` of `last`'s month): its
    /// first day written just before ("from 3 to", "3-", "mellan den 3 och"), as the match's
    /// span and the days `[first, last + 1)`. "and" / "och" need "between" / "mellan".
    fn first_day_before(
        &self,
        text: &str,
        at: usize,
        day: u32,
        last: NaiveDate,
    ) -> Option<(usize, usize, (NaiveDate, NaiveDate))> {
        // The words of a range fit in a few dozen bytes; a long text is not rescanned.
        let mut from = at.saturating_sub(48);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        let c = self.first_day.captures(&text[from..at])?;
        let sep = c["sep"].to_lowercase();
        if matches!(sep.as_str(), "and" | "och") && c.name("cue").is_none() {
            return None;
        }
        let first: u32 = c["d"].parse().ok()?;
        if first >= day {
            return None;
        }
        let start = from + c.name("cue").map_or(c.name("d")?.start(), |g| g.start());
        Some((start, at, (last.with_day(first)?, last.succ_opt()?)))
    }

    /// The range that starts with the month and day ending at `at` (`first`): its last day
    /// written just after (" to 10", "-10th"), as the match's span and `[first, last + 1)`.
    fn last_day_after(
        &self,
        text: &str,
        at: usize,
        day: u32,
        first: NaiveDate,
    ) -> Option<(usize, usize, (NaiveDate, NaiveDate))> {
        let c = self.last_day.as_ref()?.captures(&text[at..])?;
        let last: u32 = c["d"].parse().ok()?;
        if last <= day {
            return None;
        }
        let end = at + c.get(0)?.end();
        Some((at, end, (first, first.with_day(last)?.succ_opt()?)))
    }

    /// Times of day and time ranges.
    pub(crate) fn times(&self, text: &str, now: &DateTime<FixedOffset>, out: &mut Vec<Cand>) {
        for c in self.clock.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            let hm = if let Some(word) = c.name("word") {
                match word.as_str().to_lowercase().as_str() {
                    "noon" | "midday" => Some((12, 0)),
                    _ => Some((0, 0)),
                }
            } else {
                let h: u32 = c["h"].parse().unwrap_or(99);
                let min = minutes(c.name("m").map(|g| g.as_str()));
                match c.name("ap") {
                    Some(ap) => twelve_hour(h, ap.as_str()).map(|h| (h, min)),
                    None => (h < 24).then_some((h, min)),
                }
            };
            if let Some(v) = hm.and_then(|(h, mi)| next_at(now, h, mi)) {
                out.push(Cand::new(
                    m.start(),
                    m.end(),
                    Extractor::Time,
                    Value::Time { value: v },
                    0.9,
                ));
            }
        }
        for c in self.clock_words.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            if let Some(v) = self.word_clock(&c, m.as_str(), now) {
                out.push(Cand::new(
                    m.start(),
                    m.end(),
                    Extractor::Time,
                    Value::Time { value: v },
                    0.85,
                ));
            }
        }
        for c in self.parts.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            // After a date word only the part is a candidate: the merge with the date
            // candidate before it gives the day.
            let (start, word, day_of) = if let Some(p) = c.name("after") {
                (p.start(), p.as_str(), PartDay::Today)
            } else if let Some(p) = c.name("part") {
                (m.start(), p.as_str(), PartDay::Next)
            } else {
                let w = c.name("tonight").or_else(|| c.name("today")).expect("part");
                (m.start(), w.as_str(), PartDay::Today)
            };
            let cue = c.name("cue").map(|g| g.as_str().to_lowercase());
            let day_of = if cue.as_deref() == Some("this") {
                PartDay::Today
            } else {
                day_of
            };
            if let Some(value) = part_of_day(word, day_of, now) {
                out.push(Cand::new(start, m.end(), Extractor::Time, value, 0.8));
            }
        }
        for c in self.hhmm.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            if next_char(text, m.end()) == Some(':') {
                continue;
            }
            let h: u32 = c["h"].parse().unwrap_or(99);
            let min = minutes(c.name("m").map(|g| g.as_str()));
            if let Some(v) = next_at(now, h, min) {
                out.push(Cand::new(
                    m.start(),
                    m.end(),
                    Extractor::Time,
                    Value::Time { value: v },
                    0.9,
                ));
            }
        }
        for c in self.range.captures_iter(text) {
            let m = c.get(0).expect("group 0");
            if glued(text, m.start(), m.end()) {
                continue;
            }
            let bare_ok = self.bare_range_end(&text[m.end()..]);
            if let Some(value) = self.range_value(&c, bare_ok, now) {
                out.push(Cand::new(m.start(), m.end(), Extractor::Time, value, 0.85));
            }
        }
        for m in self.now_word.find_iter(text) {
            out.push(Cand::new(
                m.start(),
                m.end(),
                Extractor::Time,
                Value::Time { value: *now },
                0.8,
            ));
        }
    }

    /// True when what follows a range of bare numbers ("between 10 and 12", "mellan 10 och
    /// 12") lets it be hours: the end of the text or clause, or a day word, not a unit
    /// ("mellan 2 och 4 dagar", "from 2 to 4 days").
    fn bare_range_end(&self, rest: &str) -> bool {
        let rest = rest.trim_start();
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if word.is_empty() {
            return !rest.starts_with(['%', '$', '€', '£', ':', '/']);
        }
        let days: &[&str] = match self.locale {
            Locale::En => &[
                "today", "tomorrow", "tonight", "on", "this", "next", "every", "or", "o",
            ],
            Locale::Sv => &[
                "idag", "imorgon", "i", "på", "ikväll", "nästa", "varje", "eller", "imorn",
            ],
        };
        days.contains(&word.as_str())
    }

    /// The time of a `clock_words` match.
    fn word_clock(
        &self,
        c: &Captures<'_>,
        matched: &str,
        now: &DateTime<FixedOffset>,
    ) -> Option<DateTime<FixedOffset>> {
        let lower = matched.to_lowercase();
        if c.name("hw").is_none() {
            if lower.ends_with("noon") {
                return next_at(now, 12, 0);
            }
            if lower.ends_with("midnight") {
                return next_at(now, 0, 0);
            }
        }
        let h = match c.name("hw") {
            Some(w) => hour_word(&w.as_str().to_lowercase())?,
            None => lower
                .trim_start_matches(|ch: char| !ch.is_ascii_digit())
                .split(|ch: char| !ch.is_ascii_digit())
                .next()?
                .parse()
                .ok()?,
        };
        let min = c
            .name("mw")
            .map_or(Some(0), |w| minute_word(&w.as_str().to_lowercase()))?;
        if let Some(ap) = c.name("ap") {
            return next_at(now, twelve_hour(h, ap.as_str())?, min);
        }
        // "five o'clock", "klockan fem": the next of the two readings on a 12-hour clock.
        if !(1..=12).contains(&h) {
            return None;
        }
        let a = next_at(now, h % 12, min)?;
        let b = next_at(now, h % 12 + 12, min)?;
        Some(a.min(b))
    }

    /// The interval of a `range` match; `bare_ok`: hours without a clock cue count after
    /// "between" / "from" / "mellan" / "från" (see [`Self::bare_range_end`]).
    fn range_value(
        &self,
        c: &Captures<'_>,
        bare_ok: bool,
        now: &DateTime<FixedOffset>,
    ) -> Option<Value> {
        let sep = c["sep"].to_lowercase();
        let dash = matches!(sep.as_str(), "-" | "–");
        let cue = c.name("cue").is_some();
        let colons = c.name("m1").is_some() && c.name("m2").is_some();
        let h1: u32 = c["h1"].parse().ok()?;
        let h2: u32 = c["h2"].parse().ok()?;
        let (m1, m2) = (
            minutes(c.name("m1").map(|g| g.as_str())),
            minutes(c.name("m2").map(|g| g.as_str())),
        );
        let (h1, h2) = match self.locale {
            Locale::En => {
                let ap1 = c.name("ap1").map(|g| g.as_str().to_lowercase());
                let ap2 = c.name("ap2").map(|g| g.as_str().to_lowercase());
                let bare = ap1.is_none() && ap2.is_none() && !colons;
                if !(cue || dash) || (bare && !(cue && bare_ok)) {
                    return None;
                }
                match (ap1, ap2) {
                    (None, None) if bare => shop_hours(h1, h2),
                    (None, None) => (h1, h2),
                    (Some(a), None) => {
                        let b = if h2 > h1 || h1 == 12 {
                            a.clone()
                        } else {
                            flip(&a)
                        };
                        (twelve_hour(h1, &a)?, twelve_hour(h2, &b)?)
                    }
                    (None, Some(b)) => {
                        let a = if h1 <= h2 && h2 != 12 {
                            b.clone()
                        } else {
                            "a".to_owned()
                        };
                        (twelve_hour(h1, &a)?, twelve_hour(h2, &b)?)
                    }
                    (Some(a), Some(b)) => (twelve_hour(h1, &a)?, twelve_hour(h2, &b)?),
                }
            }
            Locale::Sv => {
                let kl = c.name("kl").is_some();
                let bare = !(kl || colons);
                if (bare && !(cue && bare_ok)) || !(cue || dash || sep == "till") {
                    return None;
                }
                if bare { shop_hours(h1, h2) } else { (h1, h2) }
            }
        };
        if h1 > 23 || h2 > 24 {
            return None;
        }
        let from_t = NaiveTime::from_hms_opt(h1, m1, 0)?;
        let to_t = NaiveTime::from_hms_opt(h2 % 24, m2, 0)?;
        let mut day = now.date_naive();
        if day.and_time(to_t.max(from_t)) < now.naive_local() {
            day = day.succ_opt()?;
        }
        let from = at(now, day, from_t)?;
        let mut to = at(now, day, to_t)?;
        if to <= from {
            to = to.checked_add_signed(Duration::days(1))?;
        }
        Some(Value::Interval { from, to })
    }

    /// Durations ("two hours", "3 days") and relative dates and times ("in two weeks",
    /// "om 3 dagar", "in an hour"), built on the numbers already found.
    pub(crate) fn relative(
        &self,
        text: &str,
        tokens: &[Token],
        nums: &[Num],
        numbers: &NumberRules,
        now: &DateTime<FixedOffset>,
        out: &mut Vec<Cand>,
    ) {
        self.fractions(text, now, out);
        for num in nums {
            if !(num.value.is_finite() && (0.0..=1e7).contains(&num.value)) {
                continue;
            }
            let rest = &text[num.end..];
            let skip = skip_spaces(rest, 2);
            if skip == 0 {
                continue;
            }
            let Some(mut k) = tokens.iter().position(|t| t.start == num.end + skip) else {
                continue;
            };
            // "2 more minutes", "a couple of days", "half an hour"
            if tokens.get(k + 1).is_some_and(|next| {
                text[tokens[k].end..next.start]
                    .chars()
                    .all(char::is_whitespace)
            }) && self.filler(&tokens[k].lower, num)
            {
                k += 1;
            }
            let tok = &tokens[k];
            let Some(unit) = time_unit(self.locale, &tok.lower) else {
                continue;
            };
            // "wait a second", "en sekund": a moment, not a duration; "second" is a unit
            // only after a number.
            if num.kind == NumKind::Article && matches!(unit, TimeUnit::Second) {
                continue;
            }
            // "an hour and a half", "två timmar och en halv"
            let (n, end) = if num.value.fract() == 0.0 && numbers.and_a_half(text, tokens, k) {
                (num.value + 0.5, tokens[k + 3].end)
            } else {
                (num.value, tok.end)
            };
            let seconds = n * unit.seconds() as f64;
            if seconds >= 1.0 {
                out.push(Cand::new(
                    num.start,
                    end,
                    Extractor::Duration,
                    Value::Duration {
                        value: unit.iso(n),
                        seconds: seconds as u64,
                    },
                    if num.kind == NumKind::Article {
                        0.8
                    } else {
                        0.9
                    },
                ));
            }
            // "in" / "within" / "om" before the number.
            let Some(cue) = tokens.iter().rev().find(|t| t.end <= num.start) else {
                continue;
            };
            let cue_ok = matches!(
                (self.locale, cue.lower.as_str()),
                (Locale::En, "in" | "within") | (Locale::Sv, "om")
            );
            if !cue_ok || !text[cue.end..num.start].chars().all(char::is_whitespace) {
                continue;
            }
            if let Some((extractor, value)) = unit.after(now, n) {
                out.push(Cand::new(cue.start, end, extractor, value, 0.9));
            }
        }
    }

    /// A word between a number and its time unit: "more" ("2 more minutes"), "of" after a
    /// number word ("a couple of days"), "a" / "an" after "half" ("half an hour").
    fn filler(&self, word: &str, num: &Num) -> bool {
        self.locale == Locale::En
            && match word {
                "more" | "additional" | "extra" | "further" => true,
                "of" => num.kind == NumKind::Words,
                "a" | "an" => num.value == 0.5,
                _ => false,
            }
    }

    /// Durations of a fraction word ("a quarter of an hour", "en kvart", "en halvtimme"),
    /// and the time after them with "in" / "om" ("om en kvart").
    fn fractions(&self, text: &str, now: &DateTime<FixedOffset>, out: &mut Vec<Cand>) {
        for c in self.fraction.captures_iter(text) {
            let d = c.name("d").expect("d");
            let q = c["q"].to_lowercase();
            // "kvart över tre", "kvart i fem": a time of day.
            let mut after = text[d.end()..].split_whitespace().map(str::to_lowercase);
            if let (Some(w1), Some(w2)) = (after.next(), after.next())
                && matches!(w1.as_str(), "över" | "i")
                && (w2.starts_with(|ch: char| ch.is_ascii_digit()) || hour_word(&w2).is_some())
            {
                continue;
            }
            let minutes: u32 = if q.starts_with("three") || q.starts_with("tre") {
                45
            } else if q.starts_with("halv") {
                30
            } else {
                15
            };
            out.push(Cand::new(
                d.start(),
                d.end(),
                Extractor::Duration,
                Value::Duration {
                    value: format!("PT{minutes}M"),
                    seconds: u64::from(minutes) * 60,
                },
                0.9,
            ));
            if let Some(cue) = c.name("cue")
                && let Some((extractor, value)) = TimeUnit::Minute.after(now, f64::from(minutes))
            {
                out.push(Cand::new(cue.start(), d.end(), extractor, value, 0.9));
            }
        }
    }
}

/// Which day a part of the day ("morning") belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartDay {
    /// The reference day ("this morning", "tonight"; after a date, which replaces it).
    Today,
    /// The next one that has not ended ("in the morning").
    Next,
}

/// The interval of a part of the day: morning 06–12, förmiddag 09–12, afternoon 12–18,
/// evening and night ("tonight", "i natt") 18–24.
fn part_of_day(word: &str, day_of: PartDay, now: &DateTime<FixedOffset>) -> Option<Value> {
    let w = word.to_lowercase();
    let has = |parts: &[&str]| parts.iter().any(|p| w.contains(p));
    let (from_h, to_h): (u32, i64) = if has(&["morning", "morgon"]) {
        (6, 12)
    } else if has(&["förmiddag"]) {
        (9, 12)
    } else if has(&["afternoon", "eftermiddag"]) {
        (12, 18)
    } else if has(&["evening", "night", "kväll", "natt"]) {
        (18, 24)
    } else {
        return None;
    };
    let mut day = now.date_naive();
    let end = day.and_time(NaiveTime::MIN) + Duration::hours(to_h);
    if day_of == PartDay::Next && end <= now.naive_local() {
        day = day.succ_opt()?;
    }
    let from = at(now, day, NaiveTime::from_hms_opt(from_h, 0, 0)?)?;
    let to = from.checked_add_signed(Duration::hours(to_h - i64::from(from_h)))?;
    Some(Value::Interval { from, to })
}

fn hour_word(w: &str) -> Option<u32> {
    Some(match w {
        "one" | "ett" | "en" => 1,
        "two" | "två" => 2,
        "three" | "tre" => 3,
        "four" | "fyra" => 4,
        "five" | "fem" => 5,
        "six" | "sex" => 6,
        "seven" | "sju" => 7,
        "eight" | "åtta" => 8,
        "nine" | "nio" => 9,
        "ten" | "tio" => 10,
        "eleven" | "elva" => 11,
        "twelve" | "tolv" => 12,
        _ => return None,
    })
}

fn minute_word(w: &str) -> Option<u32> {
    let w: String = w
        .chars()
        .map(|c| if c == '-' { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let w = w
        .strip_prefix("oh ")
        .or_else(|| w.strip_prefix("o "))
        .or_else(|| w.strip_prefix("o' "))
        .unwrap_or(&w);
    let (tens, ones) = match w.split_once(' ') {
        Some((t, "five")) => (t, 5),
        _ => (w, 0),
    };
    let tens = match tens {
        "five" => 5,
        "ten" => 10,
        "fifteen" => 15,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        _ => return None,
    };
    Some(tens + ones)
}

/// A unit of time.
#[derive(Debug, Clone, Copy)]
enum TimeUnit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl TimeUnit {
    fn seconds(self) -> u64 {
        match self {
            TimeUnit::Second => 1,
            TimeUnit::Minute => 60,
            TimeUnit::Hour => 3_600,
            TimeUnit::Day => 86_400,
            TimeUnit::Week => 7 * 86_400,
            TimeUnit::Month => 30 * 86_400,
            TimeUnit::Year => 365 * 86_400,
        }
    }

    /// ISO 8601 duration of `n` units.
    fn iso(self, n: f64) -> String {
        let n = if n.fract() == 0.0 {
            format!("{}", n as u64)
        } else {
            format!("{n}")
        };
        match self {
            TimeUnit::Second => format!("PT{n}S"),
            TimeUnit::Minute => format!("PT{n}M"),
            TimeUnit::Hour => format!("PT{n}H"),
            TimeUnit::Day => format!("P{n}D"),
            TimeUnit::Week => format!("P{n}W"),
            TimeUnit::Month => format!("P{n}M"),
            TimeUnit::Year => format!("P{n}Y"),
        }
    }

    /// The date or time `n` units after `now`.
    fn after(self, now: &DateTime<FixedOffset>, n: f64) -> Option<(Extractor, Value)> {
        if matches!(self, TimeUnit::Second | TimeUnit::Minute | TimeUnit::Hour) {
            // Whole seconds: "in an hour and a half".
            let secs = n * self.seconds() as f64;
            if secs.fract() != 0.0 || !(0.0..1e12).contains(&secs) {
                return None;
            }
            let value = now.checked_add_signed(Duration::try_seconds(secs as i64)?)?;
            return Some((Extractor::Time, Value::Time { value }));
        }
        if n.fract() != 0.0 {
            return None;
        }
        let n = n as u64;
        let today = now.date_naive();
        let date = |d: Option<NaiveDate>| d.map(|d| (Extractor::Date, Value::Date { value: d }));
        match self {
            TimeUnit::Second | TimeUnit::Minute | TimeUnit::Hour => None,
            TimeUnit::Day => date(today.checked_add_days(Days::new(n))),
            TimeUnit::Week => date(today.checked_add_days(Days::new(n.checked_mul(7)?))),
            TimeUnit::Month => date(today.checked_add_months(Months::new(u32::try_from(n).ok()?))),
            TimeUnit::Year => {
                date(today.checked_add_months(Months::new(u32::try_from(n.checked_mul(12)?).ok()?)))
            }
        }
    }
}

fn time_unit(locale: Locale, word: &str) -> Option<TimeUnit> {
    use TimeUnit::*;
    Some(match (locale, word) {
        (Locale::En, "second" | "seconds" | "sec" | "secs") => Second,
        (Locale::En, "minute" | "minutes" | "min" | "mins") => Minute,
        (Locale::En, "hour" | "hours" | "hrs" | "hr" | "h") => Hour,
        (Locale::En, "day" | "days") => Day,
        (Locale::En, "week" | "weeks") => Week,
        (Locale::En, "month" | "months") => Month,
        (Locale::En, "year" | "years") => Year,
        (Locale::Sv, "sekund" | "sekunder" | "sek") => Second,
        (Locale::Sv, "minut" | "minuter" | "min") => Minute,
        (Locale::Sv, "timme" | "timmar" | "tim" | "h") => Hour,
        (Locale::Sv, "dag" | "dagar") => Day,
        (Locale::Sv, "vecka" | "veckor") => Week,
        (Locale::Sv, "månad" | "månader") => Month,
        (Locale::Sv, "år") => Year,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Coming,
    NextWeek,
    Last,
}

fn date(value: NaiveDate) -> Value {
    Value::Date { value }
}

fn shift_days(day: NaiveDate, offset: i64) -> Option<NaiveDate> {
    day.checked_add_signed(Duration::try_days(offset)?)
}

fn weekday_index(name: &str) -> Option<u32> {
    const EN: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    const SV: [&str; 7] = [
        "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag",
    ];
    EN.iter()
        .position(|d| *d == name)
        .or_else(|| SV.iter().position(|d| *d == name))
        .map(|i| i as u32)
}

fn resolve_weekday(today: NaiveDate, wd: u32, rel: Rel) -> Option<NaiveDate> {
    let cur = today.weekday().num_days_from_monday();
    let offset = match rel {
        Rel::Coming => {
            let d = (wd + 7 - cur) % 7;
            if d == 0 { 7 } else { i64::from(d) }
        }
        Rel::NextWeek => 7 - i64::from(cur) + i64::from(wd),
        Rel::Last => {
            let d = (cur + 7 - wd) % 7;
            -(if d == 0 { 7 } else { i64::from(d) })
        }
    };
    shift_days(today, offset)
}

fn month_index(name: &str) -> Option<u32> {
    let lower = name.to_lowercase();
    let key = lower.trim_end_matches('.');
    let prefix: String = key.chars().take(3).collect();
    let i = match prefix.as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" | "maj" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" | "okt" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    Some(i)
}

fn day_number(s: &str, numbers: &NumberRules) -> Option<u32> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let day = if digits.is_empty() {
        numbers.ordinal_value(s)?
    } else {
        digits.parse().ok()?
    };
    (1..=31).contains(&day).then_some(day)
}

fn resolve_day_month(
    today: NaiveDate,
    year: Option<i32>,
    month: u32,
    day: u32,
) -> Option<NaiveDate> {
    if let Some(y) = year {
        return NaiveDate::from_ymd_opt(y, month, day);
    }
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this_year {
        Some(d) if d >= today => Some(d),
        _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day),
    }
}

/// First day of the month named after `cue`.
fn month_occurrence(today: NaiveDate, month: u32, cue: &str) -> Option<NaiveDate> {
    let y = today.year();
    let cur = today.month();
    let year = match cue {
        "last" | "förra" | "since" => {
            if month < cur {
                y
            } else {
                y - 1
            }
        }
        "next" | "nästa" => {
            if month > cur {
                y
            } else {
                y + 1
            }
        }
        _ => {
            if month >= cur {
                y
            } else {
                y + 1
            }
        }
    };
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn month_interval(first: NaiveDate, now: &DateTime<FixedOffset>) -> Option<Value> {
    let next = first.checked_add_months(Months::new(1))?;
    Some(Value::Interval {
        from: at(now, first, NaiveTime::MIN)?,
        to: at(now, next, NaiveTime::MIN)?,
    })
}

/// The first day of a week (from Monday), month or year and the first day after it, `step`
/// periods from the one of `today`.
fn period_bounds(today: NaiveDate, unit: &str, step: i32) -> Option<(NaiveDate, NaiveDate)> {
    if unit.starts_with("week") || unit.starts_with("veck") {
        let monday = shift_days(today, -i64::from(today.weekday().num_days_from_monday()))?;
        let from = shift_days(monday, 7 * i64::from(step))?;
        Some((from, shift_days(from, 7)?))
    } else if unit.starts_with("month") || unit.starts_with("månad") {
        let first = today.with_day(1)?;
        let from = if step >= 0 {
            first.checked_add_months(Months::new(step.unsigned_abs()))?
        } else {
            first.checked_sub_months(Months::new(step.unsigned_abs()))?
        };
        Some((from, from.checked_add_months(Months::new(1))?))
    } else {
        let from = NaiveDate::from_ymd_opt(today.year() + step, 1, 1)?;
        Some((
            from,
            NaiveDate::from_ymd_opt(today.year() + step + 1, 1, 1)?,
        ))
    }
}

/// The start or end part of a period: a week's Monday–Tuesday or Friday–Sunday, a month's
/// days 1–10 or 21–last, a year's January–February or November–December.
fn period_edge((from, to): (NaiveDate, NaiveDate), end: bool) -> Option<(NaiveDate, NaiveDate)> {
    let days = (to - from).num_days();
    let (head, tail) = match days {
        7 => (shift_days(from, 2)?, shift_days(from, 4)?),
        28..=31 => (from.with_day(11)?, from.with_day(21)?),
        _ => (from.with_month(3)?, from.with_month(11)?),
    };
    Some(if end { (tail, to) } else { (from, head) })
}

/// The half-open interval of whole days `[from, to)`.
fn interval(now: &DateTime<FixedOffset>, (from, to): (NaiveDate, NaiveDate)) -> Option<Value> {
    Some(Value::Interval {
        from: at(now, from, NaiveTime::MIN)?,
        to: at(now, to, NaiveTime::MIN)?,
    })
}

/// +1 for "next" / "nästa", -1 for "last" / "förra", else 0.
fn step(word: &str) -> i32 {
    match word.to_lowercase().as_str() {
        "next" | "nästa" => 1,
        "last" | "förra" => -1,
        _ => 0,
    }
}

/// A weekend, Friday 18:00 to Monday 00:00: the coming one (the current one on Saturday
/// and Sunday), `step` weekends later.
fn weekend(today: NaiveDate, step: i32, now: &DateTime<FixedOffset>) -> Option<Value> {
    let wd = i64::from(today.weekday().num_days_from_monday());
    let friday = shift_days(today, 4 - wd + 7 * i64::from(step))?;
    Some(Value::Interval {
        from: at(now, friday, NaiveTime::from_hms_opt(18, 0, 0)?)?,
        to: at(now, shift_days(friday, 3)?, NaiveTime::MIN)?,
    })
}

/// The date of a shop day or civil holiday in `year`, by its name as matched (lower case,
/// single spaces, no apostrophes). "jul" is Christmas Eve (when Sweden celebrates),
/// "midsommar" Midsummer Eve, "nyår" New Year's Day.
fn holiday(name: &str, year: i32) -> Option<NaiveDate> {
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    // The first `weekday` (0 = Monday) on or after month/day.
    let first_on_or_after = |m, d, weekday: u32| {
        let start = ymd(m, d)?;
        let wd = start.weekday().num_days_from_monday();
        shift_days(start, i64::from((weekday + 7 - wd) % 7))
    };
    let thanksgiving = || shift_days(first_on_or_after(11, 1, 3)?, 21);
    match name {
        "black friday" => shift_days(thanksgiving()?, 1),
        "cyber monday" => shift_days(thanksgiving()?, 4),
        "thanksgiving" => thanksgiving(),
        "christmas eve" | "julafton" | "julaftonen" | "jul" | "julen" => ymd(12, 24),
        "christmas" | "christmas day" | "xmas" | "juldagen" => ymd(12, 25),
        "boxing day" | "annandag jul" | "annandagen" => ymd(12, 26),
        "new years eve" | "nyårsafton" | "nyårsaftonen" => ymd(12, 31),
        "new year" | "new years" | "new years day" | "nyår" | "nyåret" | "nyårsdagen" => {
            ymd(1, 1)
        }
        "midsommar" | "midsommaren" | "midsommarafton" | "midsommaraftonen" => {
            first_on_or_after(6, 19, 4)
        }
        "midsommardagen" => first_on_or_after(6, 20, 5),
        "valentines day" | "alla hjärtans dag" => ymd(2, 14),
        "halloween" => ymd(10, 31),
        "valborg" | "valborgsmässoafton" => ymd(4, 30),
        "nationaldagen" => ymd(6, 6),
        "lucia" => ymd(12, 13),
        "singles day" => ymd(11, 11),
        _ => None,
    }
}

/// Date ranges with both ends among the dates found since `first`: "from Monday to
/// Wednesday", "från måndag till onsdag", "between May 3 and May 5", "3/5 - 7/5": the
/// interval from the first day to the day after the last. A later weekday than the first
/// end moves on by a week ("from Friday to Monday").
fn date_ranges(text: &str, now: &DateTime<FixedOffset>, first: usize, out: &mut Vec<Cand>) {
    let mut days: Vec<(usize, usize, NaiveDate)> = out[first..]
        .iter()
        .filter_map(|c| match c.value {
            Value::Date { value } => Some((c.start, c.end, value)),
            _ => None,
        })
        .collect();
    days.sort_by_key(|d| (d.0, std::cmp::Reverse(d.1)));
    let mut found = Vec::new();
    for (k, &(a_start, a_end, a)) in days.iter().enumerate() {
        for &(b_start, b_end, mut b) in &days[k + 1..] {
            if b_start < a_end {
                continue;
            }
            let gap = text[a_end..b_start].trim().to_lowercase();
            let b_text = text[b_start..b_end].to_lowercase();
            let join = if gap.is_empty() && b_text.starts_with("till ") {
                "till"
            } else {
                gap.as_str()
            };
            let before = text[..a_start].trim_end();
            let cue = ["from", "between", "från", "mellan"].iter().find_map(|w| {
                let at = before.len().checked_sub(w.len())?;
                (before.get(at..)?.eq_ignore_ascii_case(w)
                    && !prev_char(before, at).is_some_and(char::is_alphanumeric))
                .then_some(at)
            });
            let ok = match join {
                "-" | "–" | "to" | "till" | "until" | "through" | "thru" => true,
                "and" | "och" => cue.is_some(),
                _ => false,
            };
            if !ok {
                break;
            }
            if b < a && (a - b).num_days() < 7 {
                b = shift_days(b, 7).unwrap_or(b);
            }
            if b < a {
                break;
            }
            if let Some(value) = shift_days(b, 1).and_then(|end| interval(now, (a, end))) {
                found.push(Cand::new(
                    cue.unwrap_or(a_start),
                    b_end,
                    Extractor::Date,
                    value,
                    0.85,
                ));
            }
            break;
        }
    }
    out.extend(found);
}

/// Bare hours of a range ("between 2 and 4"): 1–6 (and an end up to 12 after them) are
/// afternoon hours, as in a shop's opening hours.
fn shop_hours(h1: u32, h2: u32) -> (u32, u32) {
    if (1..=6).contains(&h1) && h2 <= 12 && h2 > h1 {
        (h1 + 12, h2 + 12)
    } else {
        (h1, h2)
    }
}

fn minutes(m: Option<&str>) -> u32 {
    m.and_then(|m| m.parse().ok()).unwrap_or(0)
}

fn flip(ap: &str) -> String {
    if ap == "a" { "p" } else { "a" }.to_owned()
}

/// 12-hour clock to 24-hour.
fn twelve_hour(h: u32, ap: &str) -> Option<u32> {
    if !(1..=12).contains(&h) {
        return None;
    }
    let pm = ap.eq_ignore_ascii_case("p");
    Some(match (h, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, true) => h + 12,
        (h, false) => h,
    })
}

fn at(
    now: &DateTime<FixedOffset>,
    day: NaiveDate,
    time: NaiveTime,
) -> Option<DateTime<FixedOffset>> {
    now.offset()
        .from_local_datetime(&day.and_time(time))
        .single()
}

/// The next `h:m` at or after `now`.
fn next_at(now: &DateTime<FixedOffset>, h: u32, m: u32) -> Option<DateTime<FixedOffset>> {
    let time = NaiveTime::from_hms_opt(h, m, 0)?;
    let today = now.date_naive();
    let day = if today.and_time(time) < now.naive_local() {
        today.succ_opt()?
    } else {
        today
    };
    at(now, day, time)
}

/// Combines a date value with the time of day of a time value ("tomorrow at 3pm").
pub(crate) fn combine(date: NaiveDate, time: &Value) -> Option<Value> {
    let with = |t: &DateTime<FixedOffset>| {
        t.offset()
            .from_local_datetime(&date.and_time(t.time()))
            .single()
    };
    match time {
        Value::Time { value } => Some(Value::Time {
            value: with(value)?,
        }),
        Value::Interval { from, to } => {
            let new_from = with(from)?;
            let new_to = new_from.checked_add_signed(*to - *from)?;
            Some(Value::Interval {
                from: new_from,
                to: new_to,
            })
        }
        _ => None,
    }
}
