//! Cardinal numbers (digits and number words) and ordinals, English and Swedish.

use std::collections::HashMap;

use regex::Regex;

use super::Locale;
use super::text::{Token, joinable, next_char, prev_char};

/// How a [`Num`] was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumKind {
    /// Digits ("1 299,50").
    Digits,
    /// Number words ("two hundred and fifty", "tvåhundrafemtio", "a couple").
    Words,
    /// An indefinite article ("a", "an", "en", "ett"): 1 only before a unit.
    Article,
}

/// A number found in the text, the building block of money, quantities, durations, dates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Num {
    pub start: usize,
    pub end: usize,
    pub value: f64,
    pub kind: NumKind,
    /// A letter or digit follows directly ("15kr", "3pm"): not a number on its own.
    pub glued: bool,
}

/// Compiled number patterns of one locale.
pub(crate) struct NumberRules {
    locale: Locale,
    digits: Regex,
    ordinal_digits: Regex,
    /// Ordinal words as written ("twenty-fifth", "twenty fifth", "tjugofemte") by value.
    ordinal_values: HashMap<String, u32>,
}

impl NumberRules {
    pub(crate) fn new(locale: Locale) -> Self {
        let (digits, ordinal_digits) = match locale {
            // 1,299.99 | 1299.99 | 12
            Locale::En => (
                r"[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?",
                r"(?i)\b([0-9]{1,4})(?:st|nd|rd|th)\b",
            ),
            // 1 299,50 | 1.299,50 | 1299,50 | 12
            Locale::Sv => (
                r"[1-9][0-9]{0,2}(?:[ \u{a0}.][0-9]{3})+(?:,[0-9]+)?|[0-9]+(?:,[0-9]+)?",
                r"(?i)\b([0-9]{1,4}):(?:a|e|dje)\b",
            ),
        };
        let words = ordinal_words(locale);
        NumberRules {
            locale,
            digits: Regex::new(digits).expect("number regex"),
            ordinal_digits: Regex::new(ordinal_digits).expect("ordinal regex"),
            ordinal_values: words.into_iter().collect(),
        }
    }

    /// The alternation of ordinal day words (1..=31), for date patterns.
    pub(crate) fn ordinal_alternation(&self) -> String {
        let mut words: Vec<&str> = self
            .ordinal_values
            .iter()
            .filter(|(_, v)| **v <= 31)
            .map(|(w, _)| w.as_str())
            .collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.join("|")
    }

    /// Value of an ordinal word as matched (any case, hyphen or space).
    pub(crate) fn ordinal_value(&self, word: &str) -> Option<u32> {
        self.ordinal_values.get(&word.to_lowercase()).copied()
    }

    /// All numbers of `text`: digit numbers, number words and indefinite articles.
    pub(crate) fn numbers(&self, text: &str, tokens: &[Token]) -> Vec<Num> {
        let mut out = Vec::new();
        for m in self.digits.find_iter(text) {
            let (s, e) = (m.start(), m.end());
            let prev = prev_char(text, s);
            if prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if prev.is_some_and(|c| matches!(c, '.' | ',' | ':'))
                && prev_char(text, s - 1).is_some_and(|c| c.is_ascii_digit())
            {
                continue;
            }
            let next = next_char(text, e);
            if next.is_some_and(|c| matches!(c, '.' | ',' | ':'))
                && next_char(text, e + 1).is_some_and(|c| c.is_ascii_digit())
            {
                continue;
            }
            let Some(value) = parse_digits(m.as_str(), self.locale).filter(|v| v.is_finite())
            else {
                continue;
            };
            out.push(Num {
                start: s,
                end: e,
                value,
                kind: NumKind::Digits,
                glued: next.is_some_and(char::is_alphanumeric),
            });
        }
        self.number_words(text, tokens, &mut out);
        self.scale_digits(text, tokens, &mut out);
        out.sort_by_key(|n| n.start);
        out
    }

    /// Digits followed by a scale word ("3 million", "2,5 miljoner", "5 tusen") become one
    /// number; the scale word is no number of its own then.
    fn scale_digits(&self, text: &str, tokens: &[Token], out: &mut Vec<Num>) {
        let mut absorbed = Vec::new();
        for n in out.iter_mut() {
            if n.kind != NumKind::Digits || n.glued || !text[n.end..].starts_with(' ') {
                continue;
            }
            let Some(tok) = tokens.iter().find(|t| t.start == n.end + 1) else {
                continue;
            };
            let scale = match (self.locale, tok.lower.as_str()) {
                (Locale::En, "thousand") | (Locale::Sv, "tusen") => 1e3,
                (Locale::En, "million" | "millions") | (Locale::Sv, "miljon" | "miljoner") => 1e6,
                (Locale::En, "billion" | "billions") | (Locale::Sv, "miljard" | "miljarder") => 1e9,
                _ => continue,
            };
            n.value *= scale;
            n.end = tok.end;
            absorbed.push(tok.start);
        }
        if !absorbed.is_empty() {
            out.retain(|n| n.kind == NumKind::Digits || !absorbed.contains(&n.start));
        }
    }

    fn number_words(&self, text: &str, tokens: &[Token], out: &mut Vec<Num>) {
        let mut i = 0;
        while i < tokens.len() {
            match self.parse_words(text, tokens, i) {
                Some((_, 1, NumKind::Words))
                    if self.locale == Locale::En
                        && tokens[i].lower == "one"
                        && one_is_pronoun(text, tokens, i) =>
                {
                    i += 1;
                }
                Some((value, n, kind)) => {
                    out.push(Num {
                        start: tokens[i].start,
                        end: tokens[i + n - 1].end,
                        value,
                        kind,
                        glued: false,
                    });
                    i += n;
                }
                None => i += 1,
            }
        }
    }

    /// Parses number words starting at token `i`: (value, tokens used, kind).
    fn parse_words(&self, text: &str, tokens: &[Token], i: usize) -> Option<(f64, usize, NumKind)> {
        let first = tokens[i].lower.as_str();
        let second = tokens.get(i + 1).filter(|_| {
            joinable(gap(text, tokens, i)) // "a couple", "ett par"
        });
        let second_word = second.map(|t| t.lower.as_str());
        match (self.locale, first, second_word) {
            (Locale::En, "a", Some("couple")) => return Some((2.0, 2, NumKind::Words)),
            (Locale::Sv, "ett", Some("par")) => return Some((2.0, 2, NumKind::Words)),
            (Locale::En, "a", Some("half")) | (Locale::Sv, "en", Some("halv")) => {
                return Some((0.5, 2, NumKind::Words));
            }
            (Locale::Sv, "ett", Some("halvt")) => return Some((0.5, 2, NumKind::Words)),
            (Locale::En, "half", _) => return Some((0.5, 1, NumKind::Words)),
            _ => {}
        }
        let mut state = WordState::default();
        let mut used = 0;
        let mut atoms = Vec::with_capacity(4);
        for (k, token) in tokens[i..].iter().enumerate() {
            if k > 0 && !joinable(gap(text, tokens, i + k - 1)) {
                break;
            }
            atoms.clear();
            if !self.atoms(&token.lower, k == 0, &mut atoms) {
                break;
            }
            let mut next_state = state;
            if !atoms.iter().all(|a| next_state.push(*a)) {
                break;
            }
            state = next_state;
            used = k + 1;
        }
        // Drop a trailing "and".
        while used > 0 && matches!(tokens[i + used - 1].lower.as_str(), "and" | "och") {
            used -= 1;
        }
        if used == 0 {
            return None;
        }
        // "one and a half", "två och en halv"
        if self.and_a_half(text, tokens, i + used - 1) {
            return Some((state.value() + 0.5, used + 3, NumKind::Words));
        }
        if state.only_article {
            return (used == 1).then_some((1.0, 1, NumKind::Article));
        }
        Some((state.value(), used, NumKind::Words))
    }

    /// True when "and a half" / "och en halv" / "och ett halvt" follows token `last`.
    pub(crate) fn and_a_half(&self, text: &str, tokens: &[Token], last: usize) -> bool {
        let words: [&[&str]; 3] = match self.locale {
            Locale::En => [&["and"], &["a"], &["half"]],
            Locale::Sv => [&["och"], &["en", "ett"], &["halv", "halvt"]],
        };
        words.iter().enumerate().all(|(k, w)| {
            let at = last + k;
            at + 1 < tokens.len()
                && joinable(gap(text, tokens, at))
                && w.contains(&tokens[at + 1].lower.as_str())
        })
    }

    /// The atoms of one token; false when it is not a number word.
    fn atoms(&self, word: &str, first: bool, out: &mut Vec<Atom>) -> bool {
        match self.locale {
            Locale::En => match en_atom(word, first) {
                Some(a) => {
                    out.push(a);
                    true
                }
                None => false,
            },
            Locale::Sv => {
                if first && matches!(word, "en" | "ett") {
                    out.push(Atom::Article);
                    return true;
                }
                if word == "och" && !first {
                    out.push(Atom::And);
                    return true;
                }
                sv_decompose(word, out)
            }
        }
    }

    /// Ordinals: (start, end, value).
    pub(crate) fn ordinals(&self, text: &str, tokens: &[Token]) -> Vec<(usize, usize, u64)> {
        let mut out = Vec::new();
        for c in self.ordinal_digits.captures_iter(text) {
            let (Some(m), Some(d)) = (c.get(0), c.get(1)) else {
                continue;
            };
            if let Ok(v) = d.as_str().parse::<u64>() {
                out.push((m.start(), m.end(), v));
            }
        }
        // Ordinal words by token: one token ("fifth", "tjugofemte"), or an English tens word
        // and a unit ordinal ("twenty-fifth", "twenty fifth").
        let mut k = 0;
        while k < tokens.len() {
            let tok = &tokens[k];
            if let Some((v, end)) = self.tens_ordinal(text, tokens, k) {
                out.push((tok.start, end, u64::from(v)));
                k += 2;
                continue;
            }
            k += 1;
            let Some(&v) = self.ordinal_values.get(&tok.lower) else {
                continue;
            };
            if v == 2 && !self.second_has_cue(text, tok.start, tokens) {
                continue;
            }
            out.push((tok.start, tok.end, u64::from(v)));
        }
        out
    }

    /// An English tens word and a unit ordinal from token `k` ("twenty-fifth", "twenty
    /// fifth"): (value, end).
    fn tens_ordinal(&self, text: &str, tokens: &[Token], k: usize) -> Option<(u32, usize)> {
        if self.locale != Locale::En {
            return None;
        }
        let tens = en_tens(&tokens[k].lower)?;
        let next = tokens.get(k + 1)?;
        if !joinable(gap(text, tokens, k)) {
            return None;
        }
        let unit = self.ordinal_values.get(&next.lower).filter(|v| **v < 10)?;
        Some((tens + unit, next.end))
    }

    /// "second" / "andra" are ordinals only after a determiner ("the second", "den andra"),
    /// as the whole text ("andra", "second?"), or (Swedish) before a noun in the definite
    /// singular ("andra dagen", "andra gången"; not "andra produkter").
    pub(crate) fn second_has_cue(&self, text: &str, start: usize, tokens: &[Token]) -> bool {
        let alone = |s: &str| s.chars().all(|c| !c.is_alphanumeric());
        let Some(k) = tokens.iter().position(|t| t.start == start) else {
            return false;
        };
        if alone(&text[..start]) && alone(&text[tokens[k].end..]) {
            return true;
        }
        if self.locale == Locale::Sv
            && let Some(next) = tokens.get(k + 1)
            && text[tokens[k].end..next.start]
                .chars()
                .all(char::is_whitespace)
            && ["en", "et", "an"].iter().any(|e| next.lower.ends_with(e))
            && !next.lower.ends_with("arna")
        {
            return true;
        }
        let before = text.get(..start).unwrap_or("");
        let Some(prev) = tokens.iter().rev().find(|t| t.end <= start) else {
            return false;
        };
        if !before[prev.end..].chars().all(char::is_whitespace) {
            return false;
        }
        let cues: &[&str] = match self.locale {
            Locale::En => &[
                "the", "my", "your", "this", "that", "our", "their", "his", "her",
            ],
            Locale::Sv => &[
                "den", "det", "min", "mitt", "din", "ditt", "sin", "sitt", "vår",
            ],
        };
        cues.contains(&prev.lower.as_str())
    }
}

/// "one" as a pronoun, not a number: after a determiner, directly or with one word
/// between ("this one", "no one", "the blue one", "a bigger one"), unless a unit follows
/// ("the one o'clock train", "this one day").
fn one_is_pronoun(text: &str, tokens: &[Token], i: usize) -> bool {
    const DETERMINERS: &[&str] = &[
        "the", "this", "that", "these", "those", "which", "what", "no", "any", "each", "every",
        "another", "other", "same", "my", "your", "his", "her", "its", "our", "their", "a", "an",
    ];
    const UNITS: &[&str] = &[
        "o", "oclock", "am", "pm", "second", "seconds", "minute", "minutes", "hour", "hours",
        "day", "days", "week", "weeks", "month", "months", "year", "years", "pair", "pairs",
        "piece", "pieces", "item", "items", "unit", "units", "time", "times", "dollar", "dollars",
        "euro", "euros", "pound", "pounds", "krona", "kronor", "percent",
    ];
    let spaced = |k: usize| {
        tokens.get(k + 1).is_some_and(|_| {
            text[tokens[k].end..tokens[k + 1].start]
                .chars()
                .all(char::is_whitespace)
        })
    };
    if spaced(i)
        && tokens
            .get(i + 1)
            .is_some_and(|t| UNITS.contains(&t.lower.as_str()))
    {
        return false;
    }
    let det = |k: usize| DETERMINERS.contains(&tokens[k].lower.as_str());
    (i >= 1 && spaced(i - 1) && det(i - 1))
        || (i >= 2
            && spaced(i - 1)
            && spaced(i - 2)
            && det(i - 2)
            && !is_number_word(&tokens[i - 1].lower))
}

/// True for an English number word ("two", "twenty", "hundred").
fn is_number_word(word: &str) -> bool {
    !matches!(word, "a" | "an" | "and") && en_atom(word, true).is_some()
}

/// The text between token `i` and token `i + 1`.
pub(crate) fn gap<'t>(text: &'t str, tokens: &[Token], i: usize) -> &'t str {
    text.get(tokens[i].end..tokens[i + 1].start).unwrap_or("")
}

/// Parses a digit number in the locale's notation.
fn parse_digits(s: &str, locale: Locale) -> Option<f64> {
    let mut clean = String::with_capacity(s.len());
    for c in s.chars() {
        match (locale, c) {
            (_, '0'..='9') => clean.push(c),
            (Locale::En, '.') | (Locale::Sv, ',') => clean.push('.'),
            _ => {} // thousands separators
        }
    }
    clean.parse().ok()
}

/// One unit of a number-word expression.
#[derive(Debug, Clone, Copy)]
enum Atom {
    Unit(u64),
    Ten(u64),
    Hundred,
    Scale(u64),
    Dozen,
    And,
    Article,
}

#[derive(Debug, Clone, Copy, Default)]
struct WordState {
    total: u64,
    current: u64,
    last: Option<Last>,
    only_article: bool,
    started: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Unit,
    Ten,
    Hundred,
    Scale(u64),
    Dozen,
    And,
    Article,
}

impl WordState {
    /// Feeds one atom; false when the atom cannot continue the number.
    fn push(&mut self, atom: Atom) -> bool {
        let last = self.last;
        match atom {
            Atom::Article => {
                if self.started {
                    return false;
                }
                self.current = 1;
                self.only_article = true;
                self.last = Some(Last::Article);
            }
            Atom::Unit(v) => {
                match last {
                    Some(Last::Unit | Last::Dozen | Last::Article) => return false,
                    Some(Last::Ten) if v >= 10 => return false,
                    _ => {}
                }
                self.current += v;
                self.last = Some(Last::Unit);
            }
            Atom::Ten(v) => {
                if matches!(
                    last,
                    Some(Last::Unit | Last::Ten | Last::Dozen | Last::Article)
                ) {
                    return false;
                }
                self.current += v;
                self.last = Some(Last::Ten);
            }
            Atom::Hundred => {
                if matches!(last, Some(Last::Hundred | Last::Dozen | Last::And)) {
                    return false;
                }
                self.current = self.current.max(1) * 100;
                self.last = Some(Last::Hundred);
            }
            Atom::Scale(s) => {
                if matches!(last, Some(Last::And)) || matches!(last, Some(Last::Scale(p)) if p <= s)
                {
                    return false;
                }
                self.total += self.current.max(1) * s;
                self.current = 0;
                self.last = Some(Last::Scale(s));
            }
            Atom::Dozen => {
                if matches!(last, Some(Last::Dozen | Last::And | Last::Hundred)) {
                    return false;
                }
                self.current = self.current.max(1) * 12;
                self.last = Some(Last::Dozen);
            }
            Atom::And => {
                if !matches!(last, Some(Last::Hundred | Last::Scale(_))) {
                    return false;
                }
                self.last = Some(Last::And);
            }
        }
        if !matches!(atom, Atom::Article) {
            self.only_article = false;
        }
        self.started = true;
        true
    }

    fn value(&self) -> f64 {
        (self.total + self.current) as f64
    }
}

fn en_atom(word: &str, first: bool) -> Option<Atom> {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if let Some(i) = UNITS.iter().position(|w| *w == word) {
        return Some(Atom::Unit(i as u64));
    }
    if let Some(i) = TENS.iter().position(|w| *w == word) {
        return Some(Atom::Ten(20 + 10 * i as u64));
    }
    match word {
        "nought" | "nil" => Some(Atom::Unit(0)),
        "hundred" => Some(Atom::Hundred),
        "thousand" => Some(Atom::Scale(1_000)),
        "million" | "millions" => Some(Atom::Scale(1_000_000)),
        "dozen" => Some(Atom::Dozen),
        "and" if !first => Some(Atom::And),
        "a" | "an" if first => Some(Atom::Article),
        _ => None,
    }
}

const SV_MORPHEMES: &[(&str, Atom)] = &[
    ("noll", Atom::Unit(0)),
    ("ett", Atom::Unit(1)),
    ("en", Atom::Unit(1)),
    ("två", Atom::Unit(2)),
    ("tre", Atom::Unit(3)),
    ("fyra", Atom::Unit(4)),
    ("fem", Atom::Unit(5)),
    ("sex", Atom::Unit(6)),
    ("sju", Atom::Unit(7)),
    ("åtta", Atom::Unit(8)),
    ("nio", Atom::Unit(9)),
    ("tio", Atom::Unit(10)),
    ("elva", Atom::Unit(11)),
    ("tolv", Atom::Unit(12)),
    ("tretton", Atom::Unit(13)),
    ("fjorton", Atom::Unit(14)),
    ("femton", Atom::Unit(15)),
    ("sexton", Atom::Unit(16)),
    ("sjutton", Atom::Unit(17)),
    ("arton", Atom::Unit(18)),
    ("nitton", Atom::Unit(19)),
    ("tjugo", Atom::Ten(20)),
    ("tjugu", Atom::Ten(20)),
    ("trettio", Atom::Ten(30)),
    ("fyrtio", Atom::Ten(40)),
    ("femtio", Atom::Ten(50)),
    ("sextio", Atom::Ten(60)),
    ("sjuttio", Atom::Ten(70)),
    ("åttio", Atom::Ten(80)),
    ("nittio", Atom::Ten(90)),
    ("hundra", Atom::Hundred),
    ("tusen", Atom::Scale(1_000)),
    ("miljoner", Atom::Scale(1_000_000)),
    ("miljon", Atom::Scale(1_000_000)),
    ("dussin", Atom::Dozen),
];

/// Splits a Swedish number word ("tvåhundrafemtio") into atoms; false if it is not one.
fn sv_decompose(word: &str, out: &mut Vec<Atom>) -> bool {
    if word.is_empty() {
        return !out.is_empty();
    }
    // Longest morpheme first, with backtracking.
    let mut candidates: [Option<(usize, Atom)>; 3] = [None; 3];
    let mut n = 0;
    for (m, atom) in SV_MORPHEMES {
        if word.starts_with(m) && n < candidates.len() {
            candidates[n] = Some((m.len(), *atom));
            n += 1;
        }
    }
    let mut found: Vec<(usize, Atom)> = candidates.iter().flatten().copied().collect();
    found.sort_by_key(|(len, _)| std::cmp::Reverse(*len));
    for (len, atom) in found {
        out.push(atom);
        if sv_decompose(&word[len..], out) {
            return true;
        }
        out.pop();
    }
    false
}

/// A locale's ordinal words: 1–19, (tens ordinal, tens cardinal) from 20, other words.
type OrdinalTable = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, u32)],
);

/// The value of an English tens word ("twenty" → 20).
fn en_tens(word: &str) -> Option<u32> {
    match en_atom(word, false)? {
        Atom::Ten(v) => u32::try_from(v).ok(),
        _ => None,
    }
}

/// Ordinal words 1..=99 and 100, lower-case, with their values ("twenty-fifth",
/// "twenty fifth", "tjugofemte", "förste").
fn ordinal_words(locale: Locale) -> Vec<(String, u32)> {
    let (units, tens, extra): OrdinalTable = match locale {
        Locale::En => (
            &[
                "first",
                "second",
                "third",
                "fourth",
                "fifth",
                "sixth",
                "seventh",
                "eighth",
                "ninth",
                "tenth",
                "eleventh",
                "twelfth",
                "thirteenth",
                "fourteenth",
                "fifteenth",
                "sixteenth",
                "seventeenth",
                "eighteenth",
                "nineteenth",
            ],
            &[
                ("twentieth", "twenty"),
                ("thirtieth", "thirty"),
                ("fortieth", "forty"),
                ("fiftieth", "fifty"),
                ("sixtieth", "sixty"),
                ("seventieth", "seventy"),
                ("eightieth", "eighty"),
                ("ninetieth", "ninety"),
            ],
            &[("hundredth", 100)],
        ),
        Locale::Sv => (
            &[
                "första",
                "andra",
                "tredje",
                "fjärde",
                "femte",
                "sjätte",
                "sjunde",
                "åttonde",
                "nionde",
                "tionde",
                "elfte",
                "tolfte",
                "trettonde",
                "fjortonde",
                "femtonde",
                "sextonde",
                "sjuttonde",
                "artonde",
                "nittonde",
            ],
            &[
                ("tjugonde", "tjugo"),
                ("trettionde", "trettio"),
                ("fyrtionde", "fyrtio"),
                ("femtionde", "femtio"),
                ("sextionde", "sextio"),
                ("sjuttionde", "sjuttio"),
                ("åttionde", "åttio"),
                ("nittionde", "nittio"),
            ],
            // The masculine forms ("den förste maj", "Karl den andre").
            &[
                ("förste", 1),
                ("andre", 2),
                ("hundrade", 100),
                ("etthundrade", 100),
            ],
        ),
    };
    let mut out: Vec<(String, u32)> = units
        .iter()
        .enumerate()
        .map(|(i, w)| ((*w).to_owned(), i as u32 + 1))
        .collect();
    for (k, (word, prefix)) in tens.iter().enumerate() {
        let value = 20 + 10 * k as u32;
        out.push(((*word).to_owned(), value));
        for (i, unit) in units.iter().take(9).enumerate() {
            let v = value + i as u32 + 1;
            match locale {
                Locale::En => {
                    out.push((format!("{prefix}-{unit}"), v));
                    out.push((format!("{prefix} {unit}"), v));
                }
                Locale::Sv => out.push((format!("{prefix}{unit}"), v)),
            }
        }
    }
    out.extend(extra.iter().map(|(w, v)| ((*w).to_owned(), *v)));
    out
}
