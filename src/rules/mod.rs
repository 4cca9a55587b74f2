//! Rule-based entities with normalised values, catalog gazetteers, and PII redaction, in
//! English and Swedish.
//!
//! [`Rules`] compiles once (regexes, Aho-Corasick automata, the catalog) from a
//! [`RuleConfig`] and then extracts [`Match`]es from texts:
//!
//! | label | examples | value |
//! | --- | --- | --- |
//! | `money` | `499 kr`, `$1,299.99`, `1 299,50 kr`, `20 bucks`, `femtio kronor`, `99:-`, `CAD 3.03`, `USD3.14`, `Rs 20`, `$10K`, `10k kr`, `3 million dollars`, `3 mkr`, `5 tkr`, `20 dollars 43 cents`, `två kronor och 23 öre`, `50 öre` | [`Value::Money`] |
//! | `price_range` | `under $50`, `at least 100 dollars`, `between 20 and 30 euros`, `$20-$30`, `max 500 kr`, `upp till 300 kr`, `från 200 kr`, `mellan 100 och 200 kr` | [`Value::PriceRange`] |
//! | `size` | `size 42`, `EU 42`, `US 8.5`, `XL`, `3XL`, `medium`, `in M`, `W32 L34`, `size 32/34`, `one size`, `storlek 38`, `storlek M`, `i M`, `140 cl` | [`Value::Size`] |
//! | `payment_method` | `Klarna`, `Swish`, `PayPal`, `Apple Pay`, `Google Pay`, `Vipps`, `MobilePay`, `Trustly`, `Afterpay`, `credit card`, `kreditkort`, `bank transfer`, `banköverföring`, `cash on delivery`, `postförskott` | [`Value::PaymentMethod`] |
//! | `color` | `black`, `light blue`, `navy`, `svart`, `svarta`, `grått`, `ljusblå`, `mörkgröna` | [`Value::Color`] (canonical English name) |
//! | `number` | `250`, `two hundred and fifty`, `tvåhundrafemtio`, `3 million`, `2,5 miljoner`, `half`, `one and a half`, `en och en halv`, `a dozen`, `ett dussin`, `nought`, `nil`, `a couple`, `ett par` (not "one" after a determiner: "the blue one", "this one", "no one"; not "a" / "en" alone) | [`Value::Number`] |
//! | `quantity` | `two pairs`, `3 st`, `två par` | [`Value::Quantity`] |
//! | `ordinal` | `3rd`, `third`, `twenty-fifth`, `ninety-ninth`, `hundredth`, `tredje`, `3:e`, `tjugofemte`, `nittionionde`, `förste` ("second" / "andra" after a determiner, alone, or before a Swedish definite noun: "andra gången", not "andra produkter") | [`Value::Ordinal`] |
//! | `date` | `tomorrow`, `the day after tomorrow`, `next Friday`, `last Friday`, `in two weeks`, `the 3rd of May`, `on 3/5` (en: month/day), `15.2.2026`, `this weekend`, `end of the month`, `from Monday to Wednesday`, `3-10 January`, `from 3 to 10 January`, `January 3 to 10`, `Black Friday`, `Cyber Monday`, `Christmas`, `New Year's Eve`, `i morgon`, `i övermorgon`, `nästa fredag`, `i fredags`, `den 3 maj`, `den 3/5`, `den 15.2`, `i helgen`, `i slutet av månaden`, `från måndag till onsdag`, `3–10 januari`, `mellan den 3 och 10 januari`, `jul`, `julafton`, `midsommar`, `nyår`, `nyårsafton`, `in May` | [`Value::Date`] or [`Value::Interval`] |
//! | `time` | `at 3pm`, `five thirty pm`, `ten o'clock`, `15:30`, `kl 15`, `klockan fem`, `between 2 and 4pm`, `from 3 to 5 pm`, `mellan 13 och 15` (bare hours after "between" / "from" / "mellan" / "från" without a unit after them; 1–6 are afternoon hours), `tomorrow at 3pm`, `tonight`, `tomorrow morning`, `i kväll`, `now`, `just nu` (not a bare `nu`), `in half an hour`, `om en kvart` | [`Value::Time`] or [`Value::Interval`] |
//! | `duration` | `two hours`, `3 days`, `an hour and a half`, `2 more minutes`, `half an hour`, `a quarter of an hour`, `a couple of days`, `30 seconds`, `två timmar`, `1,5 timmar`, `en kvart`, `en halvtimme`, `ett par dagar` (not "wait a second", "en sekund", "kvart över tre") | [`Value::Duration`] |
//! | `email` | `a@b.se`, RFC 6531 `åsa@exempel.se`, `josé.garcía@correo.es`, `hans@müller.com`, `x@xn--mller-kva.de` (not `@mention`, `a@b`, `user@localhost`) | [`Value::Email`] |
//! | `phone` | international `+46 70 123 45 67`, `0046 8 123 456 78`, `+44 (0)20 7946 0958`; national by region ([`RuleConfig::phone_regions`], default Sweden `070-123 45 67`, `08-123 456 78` and the NANP `(212) 555-0147`, `1-800-275-2273`); written with a trunk prefix or `(area code)` in groups ([`RuleConfig::phone_formatted_regions`]: `0121 234 5678`, `090-1234-5678`, `(11) 2345-6789`); valid by libphonenumber's metadata | [`Value::Phone`] (E.164) |
//! | `url` | `https://x.se/a`, `www.shop.se`, `shop.se/rea` | [`Value::Url`] |
//! | `order_id` | `order #A-10293` (configurable patterns) | [`Value::OrderId`] |
//! | `tracking_number` | UPS `1Z999AA10123456784` and UPU S10 `RR123456785SE` with their check digits; any 8–30 letters and digits after "tracking number", "spårningsnummer", "kollinummer", "sändnings-id" | [`Value::TrackingNumber`] (compact, upper case; carrier `ups`, `post` or none) |
//! | `postal_code` | `123 45`, `zip 90210` | [`Value::PostalCode`] |
//! | `card` | 13–19 digits with an issuer's prefix and one of its lengths (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Mir, Maestro) and a Luhn check digit; grouped with spaces (also U+00A0, U+2009, U+202F), hyphens or dots, ASCII or full-width digits | [`Value::Card`] (brand, last four) |
//! | `personal_number` | `YYMMDD-NNNN`, `YYMMDD+NNNN`, `YYYYMMDD-NNNN`, without separator, samordningsnummer (day + 60); valid date and Luhn | [`Value::PersonalNumber`] |
//! | `iban` | every country of the IBAN registry at its length, mod 97; compact or grouped by spaces, hyphens or dots, upper or lower case (`se45 5000 …`, `AL47-2121-…`, `NO 44 1850.05.14562`) | [`Value::Iban`] (compact, upper case) |
//! | catalog type (`product`, `brand`…) | names and synonyms of the shop's catalog | [`Value::Catalog`] |
//!
//! **Overlap policy.** Candidates from all extractors (and, without a locale in the
//! [`Context`], from every configured locale) are resolved greedily: the longest span wins;
//! between equally long spans the higher-priority extractor wins (tracking number > order id,
//! which needs an explicit cue such as "order" or "#", > card > personal number >
//! IBAN > e-mail > URL > phone > price range > money > size = colour = payment method = time > date >
//! duration > quantity > ordinal > postal code > catalog > number), then the locale that the
//! text looks most like. So "under $50" is one `price_range`, "20 dollars 43 cents" one
//! `money`, "storlek 38" one `size` and not a `number`. Sizes and colours are locale-free
//! (English and Swedish forms always count).
//! Checksums decide between look-alikes: a string written like a personnummer
//! (`880320-0018`) or inside an IBAN-shaped string is never a phone, whatever its check
//! digits; a Luhn-valid number without a card issuer's prefix (the order number
//! `113542617735902`) is no card; a phone number right after "invoice", "order", "OCR",
//! "tracking", "kundnummer" and the like is that reference, not a phone.
//! A date directly followed or preceded by a time ("tomorrow at 3pm", "i morgon kl 15") is
//! merged into one `time`. The result is non-overlapping and sorted by start.
//!
//! Offsets are **byte** offsets into the text (end exclusive, on character boundaries).

mod amounts;
mod catalog;
mod contact;
mod datetime;
mod numbers;
mod pii;
mod shopping;
mod text;
mod tracking;
mod value;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

pub use catalog::{Catalog, CatalogEntry};
pub use value::Value;

use crate::error::Result;
use contact::{ContactRules, PhoneRegions};
use datetime::DateRules;
use numbers::{NumKind, NumberRules};
use pii::PiiRules;
use text::Token;

/// A language the rules understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    En,
    Sv,
}

/// One kind of rule extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extractor {
    Money,
    Number,
    Ordinal,
    Quantity,
    Date,
    Time,
    Duration,
    Email,
    Phone,
    Url,
    OrderId,
    PostalCode,
    Card,
    PersonalNumber,
    Iban,
    Catalog,
    PriceRange,
    Size,
    Color,
    TrackingNumber,
    PaymentMethod,
}

impl Extractor {
    /// Every extractor.
    pub const ALL: [Extractor; 21] = [
        Extractor::Money,
        Extractor::Number,
        Extractor::Ordinal,
        Extractor::Quantity,
        Extractor::Date,
        Extractor::Time,
        Extractor::Duration,
        Extractor::Email,
        Extractor::Phone,
        Extractor::Url,
        Extractor::OrderId,
        Extractor::PostalCode,
        Extractor::Card,
        Extractor::PersonalNumber,
        Extractor::Iban,
        Extractor::Catalog,
        Extractor::PriceRange,
        Extractor::Size,
        Extractor::Color,
        Extractor::TrackingNumber,
        Extractor::PaymentMethod,
    ];

    /// The match label (catalog matches use the entry's type instead).
    pub fn label(self) -> &'static str {
        match self {
            Extractor::Money => "money",
            Extractor::Number => "number",
            Extractor::Ordinal => "ordinal",
            Extractor::Quantity => "quantity",
            Extractor::Date => "date",
            Extractor::Time => "time",
            Extractor::Duration => "duration",
            Extractor::Email => "email",
            Extractor::Phone => "phone",
            Extractor::Url => "url",
            Extractor::OrderId => "order_id",
            Extractor::PostalCode => "postal_code",
            Extractor::Card => "card",
            Extractor::PersonalNumber => "personal_number",
            Extractor::Iban => "iban",
            Extractor::Catalog => "catalog",
            Extractor::PriceRange => "price_range",
            Extractor::Size => "size",
            Extractor::Color => "color",
            Extractor::TrackingNumber => "tracking_number",
            Extractor::PaymentMethod => "payment_method",
        }
    }

    /// Tie-break between equally long candidates (higher wins).
    fn priority(self) -> u8 {
        match self {
            Extractor::Card => 15,
            Extractor::PersonalNumber => 14,
            Extractor::Iban => 13,
            Extractor::Email => 12,
            Extractor::Url => 11,
            Extractor::Phone => 10,
            Extractor::TrackingNumber => 17,
            Extractor::OrderId => 16,
            Extractor::PriceRange => 9,
            Extractor::Money => 8,
            Extractor::Size => 7,
            Extractor::Color => 7,
            Extractor::PaymentMethod => 7,
            Extractor::Time => 7,
            Extractor::Date => 6,
            Extractor::Duration => 5,
            Extractor::Quantity => 4,
            Extractor::Ordinal => 3,
            Extractor::PostalCode => 2,
            Extractor::Catalog => 1,
            Extractor::Number => 0,
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// Configuration of the rule layer (part of the model manifest; every field has a default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleConfig {
    /// The extractors that run. Default: all.
    pub extractors: Vec<Extractor>,
    /// The locales tried when a call does not name one, and by [`redact`] (they decide
    /// which national phone formats count). Default: `["en", "sv"]`.
    pub locales: Vec<Locale>,
    /// Regexes (Rust `regex` syntax) for the shop's order ids; capture group 1 is the id
    /// (the whole match without a group). A match right after the name of another document
    /// ("invoice #12588", "bill #123", "faktura #123", "kvitto", "receipt", "ticket",
    /// "ärende", "case") is not an order id.
    pub order_id_patterns: Vec<String>,
    /// A catalog file (JSONL or CSV, see [`Catalog::load`]).
    pub catalog: Option<PathBuf>,
    /// Regions (ISO 3166 alpha-2) whose national phone numbers count however they are
    /// written, tried in order, valid by libphonenumber's metadata. Sweden's numbers need
    /// the Swedish locale among the tried ones, the NANP's (`US`, `CA`) the English one;
    /// other regions always count. A number valid in a region whose locale is not tried
    /// (a Swedish number in an English text) is not read as another region's.
    /// International numbers (`+…`, `00…`) always count: valid by the metadata, or, written
    /// with `+`, a known country code and a national length (ranges the metadata lacks,
    /// fictional numbers). Default: `["SE", "US"]`.
    pub phone_regions: Vec<String>,
    /// Regions whose national phone numbers count only when written like a phone number: a
    /// trunk prefix `0` or an area code in parentheses, in two or more digit groups
    /// (`0121 234 5678`, `090-1234-5678`, `(11) 2345-6789`). Default:
    /// `["GB", "DE", "FR", "NL", "FI", "JP", "BR", "IN", "AU"]` (regions whose national
    /// numbers start with a trunk prefix, and Brazil's `(11) …`).
    pub phone_formatted_regions: Vec<String>,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            extractors: Extractor::ALL.to_vec(),
            locales: vec![Locale::En, Locale::Sv],
            order_id_patterns: vec![
                r"(?i)\b(?:order|ordernr|ordernummer|order\s+number|order\s+no|order\s+id|purchase\s+order|beställning|beställningsnummer|beställningsnr)\s*(?:#|no\.?|nr\.?|number|nummer|id)?\s*:?\s*#?\s*([A-Z]{0,3}-?[0-9]{4,})\b".to_owned(),
                r"(?i)#([A-Z]{0,3}-?[0-9]{4,})\b".to_owned(),
                // "purchase 00123842": a purchase with a long number (not "purchase 1000 units").
                r"(?i)\bpurchase\s*(?:#|no\.?|nr\.?|number|id)?\s*:?\s*#?\s*([A-Z]{0,3}-?[0-9]{6,})\b".to_owned(),
            ],
            catalog: None,
            phone_regions: vec!["SE".to_owned(), "US".to_owned()],
            phone_formatted_regions: ["GB", "DE", "FR", "NL", "FI", "JP", "BR", "IN", "AU"]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// Where a match came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchSource {
    /// A pattern rule.
    Rule,
    /// The catalog gazetteer.
    Gazetteer,
}

/// One extracted entity with its normalised value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// Byte offset of the first byte (on a char boundary).
    pub start: usize,
    /// Byte offset after the last byte (exclusive, on a char boundary).
    pub end: usize,
    /// `money`, `date`, `email`, … or the catalog entry type (`product`, `brand`…).
    pub label: String,
    pub value: Value,
    pub source: MatchSource,
    pub confidence: f32,
}

/// Per-call context.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// "Now", in the user's time zone: relative dates and times resolve against it, and
    /// resolved instants carry its offset.
    pub reference_time: DateTime<FixedOffset>,
    /// The text's locale (it overrides the configured ones for this call); `None` tries
    /// every configured locale.
    pub locale: Option<Locale>,
}

impl Context {
    /// A context with no fixed locale.
    pub fn new(reference_time: DateTime<FixedOffset>) -> Self {
        Context {
            reference_time,
            locale: None,
        }
    }
}

/// A candidate before overlap resolution.
pub(crate) struct Cand {
    start: usize,
    end: usize,
    extractor: Extractor,
    value: Value,
    confidence: f32,
    /// Catalog entry type (the label of gazetteer matches).
    entry_type: Option<String>,
    /// Position of the candidate's locale in the tried order (0 for locale-free rules).
    rank: u8,
}

impl Cand {
    pub(crate) fn new(
        start: usize,
        end: usize,
        extractor: Extractor,
        value: Value,
        confidence: f32,
    ) -> Self {
        Cand {
            start,
            end,
            extractor,
            value,
            confidence,
            entry_type: None,
            rank: 0,
        }
    }

    /// The redaction placeholder of a PII candidate.
    fn placeholder(&self) -> &'static str {
        self.value.placeholder().unwrap_or("[PII]")
    }

    fn into_match(self) -> Match {
        let (label, source) = match self.entry_type {
            Some(t) => (t, MatchSource::Gazetteer),
            None => (self.extractor.label().to_owned(), MatchSource::Rule),
        };
        Match {
            start: self.start,
            end: self.end,
            label,
            value: self.value,
            source,
            confidence: self.confidence,
        }
    }
}

/// The rules of one locale.
struct LocaleRules {
    numbers: NumberRules,
    dates: DateRules,
}

impl LocaleRules {
    fn new(locale: Locale) -> Self {
        let numbers = NumberRules::new(locale);
        let dates = DateRules::new(locale, &numbers);
        LocaleRules { numbers, dates }
    }
}

/// The compiled rule layer. Build once with [`Rules::new`]; `extract` and [`redact`] take
/// `&self` and are safe to call from many threads.
pub struct Rules {
    enabled: u32,
    locales: Vec<Locale>,
    en: LocaleRules,
    sv: LocaleRules,
    pii: PiiRules,
    contact: ContactRules,
    phone_regions: PhoneRegions,
    catalog: Option<Catalog>,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules")
            .field("locales", &self.locales)
            .field("catalog", &self.catalog)
            .finish_non_exhaustive()
    }
}

const NUMERIC: [Extractor; 7] = [
    Extractor::Number,
    Extractor::Money,
    Extractor::PriceRange,
    Extractor::Quantity,
    Extractor::Duration,
    Extractor::Date,
    Extractor::Time,
];

impl Rules {
    /// Compiles the rules; loads the catalog when the config names one.
    ///
    /// Errors: [`Error::Config`](crate::error::Error::Config) for an empty locale list, an
    /// order-id pattern that does not compile or an unknown phone region; catalog file errors as [`Catalog::load`].
    pub fn new(config: &RuleConfig) -> Result<Self> {
        if config.locales.is_empty() {
            return Err(crate::error::Error::Config(
                "rules: at least one locale is needed".to_owned(),
            ));
        }
        let mut locales = Vec::new();
        for l in &config.locales {
            if !locales.contains(l) {
                locales.push(*l);
            }
        }
        let catalog = config.catalog.as_deref().map(Catalog::load).transpose()?;
        Ok(Rules {
            enabled: config.extractors.iter().fold(0, |acc, e| acc | e.bit()),
            locales,
            en: LocaleRules::new(Locale::En),
            sv: LocaleRules::new(Locale::Sv),
            pii: PiiRules::new(),
            contact: ContactRules::new(&config.order_id_patterns)?,
            phone_regions: PhoneRegions::new(
                &config.phone_regions,
                &config.phone_formatted_regions,
            )?,
            catalog,
        })
    }

    /// Replaces the catalog (for a catalog built in memory).
    pub fn with_catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// The catalog, if any.
    pub fn catalog(&self) -> Option<&Catalog> {
        self.catalog.as_ref()
    }

    fn on(&self, e: Extractor) -> bool {
        self.enabled & e.bit() != 0
    }

    /// The configured locales, in the order they are tried.
    pub(crate) fn locales(&self) -> &[Locale] {
        &self.locales
    }

    fn locale_rules(&self, l: Locale) -> &LocaleRules {
        match l {
            Locale::En => &self.en,
            Locale::Sv => &self.sv,
        }
    }

    /// All matches in `text`, non-overlapping (longest wins, then extractor priority, see
    /// the module documentation), sorted by start.
    ///
    /// Dates and times resolve against `context.reference_time`: a weekday ("Friday",
    /// "on Friday", "på fredag") is its next occurrence after today; "next Friday" /
    /// "nästa fredag" the Friday of next week; a day and month without a year the next
    /// occurrence on or after today; a time of day the next occurrence at or after now; "this
    /// weekend" / "i helgen" Friday 18:00 to Monday 00:00 of the coming weekend (the current
    /// one on Saturday and Sunday); the end of a month its days 21 to last, its beginning
    /// days 1 to 10 (a week: Friday–Sunday / Monday–Tuesday; a year: November–December /
    /// January–February); a shop day or holiday its next occurrence ("jul" is Christmas Eve,
    /// "midsommar" Midsummer Eve, "nyår" New Year's Day); a date range "from A to B" the
    /// days from A through B.
    pub fn extract(&self, text: &str, context: &Context) -> Vec<Match> {
        let locales = match context.locale {
            Some(l) => vec![l],
            None => ordered_locales(&self.locales, text),
        };
        let tokens = text::tokenize(text);
        let mut cands = Vec::new();
        for (rank, &locale) in locales.iter().enumerate() {
            let before = cands.len();
            self.locale_candidates(text, &tokens, locale, context, &mut cands);
            for c in &mut cands[before..] {
                c.rank = rank as u8;
            }
        }
        self.common_candidates(text, &tokens, &locales, &mut cands);
        if self.on(Extractor::Catalog)
            && let Some(catalog) = &self.catalog
        {
            for hit in catalog.find(text) {
                let mut c = Cand::new(
                    hit.start,
                    hit.end,
                    Extractor::Catalog,
                    Value::Catalog {
                        id: hit.entry.id.clone(),
                        entry_type: hit.entry.entry_type.clone(),
                        name: hit.entry.name.clone(),
                    },
                    if hit.fuzzy { 0.8 } else { 0.95 },
                );
                c.entry_type = Some(hit.entry.entry_type.clone());
                cands.push(c);
            }
        }
        cands.retain(|c| self.on(c.extractor));
        let resolved = merge_date_time(text, resolve(cands));
        resolved.into_iter().map(Cand::into_match).collect()
    }

    fn locale_candidates(
        &self,
        text: &str,
        tokens: &[Token],
        locale: Locale,
        context: &Context,
        out: &mut Vec<Cand>,
    ) {
        let lr = self.locale_rules(locale);
        let now = &context.reference_time;
        if NUMERIC.iter().any(|e| self.on(*e)) {
            let nums = lr.numbers.numbers(text, tokens);
            if self.on(Extractor::Number) {
                for n in &nums {
                    if n.kind == NumKind::Article || n.glued {
                        continue;
                    }
                    let confidence = if n.kind == NumKind::Digits { 0.9 } else { 0.8 };
                    out.push(Cand::new(
                        n.start,
                        n.end,
                        Extractor::Number,
                        Value::Number { value: n.value },
                        confidence,
                    ));
                }
            }
            if self.on(Extractor::Money) || self.on(Extractor::PriceRange) {
                let before = out.len();
                amounts::money(text, &nums, out);
                amounts::glued_codes(text, out);
                amounts::price_ranges(text, &nums, locale, before, out);
            }
            if self.on(Extractor::Quantity) {
                amounts::quantities(text, tokens, &nums, locale, out);
            }
            lr.dates
                .relative(text, tokens, &nums, &lr.numbers, now, out);
        }
        if self.on(Extractor::Ordinal) {
            for (s, e, v) in lr.numbers.ordinals(text, tokens) {
                out.push(Cand::new(
                    s,
                    e,
                    Extractor::Ordinal,
                    Value::Ordinal { value: v },
                    0.9,
                ));
            }
        }
        if self.on(Extractor::Date) {
            lr.dates.dates(text, now, &lr.numbers, out);
        }
        if self.on(Extractor::Time) {
            lr.dates.times(text, now, out);
        }
    }

    fn common_candidates(
        &self,
        text: &str,
        tokens: &[Token],
        locales: &[Locale],
        out: &mut Vec<Cand>,
    ) {
        self.pii_candidates(text, locales, out);
        if self.on(Extractor::Url) {
            self.contact.urls(text, out);
        }
        if self.on(Extractor::OrderId) {
            self.contact.order_ids(text, out);
        }
        if self.on(Extractor::TrackingNumber) {
            tracking::tracking_numbers(text, out);
        }
        if self.on(Extractor::PostalCode) {
            self.contact.postal_codes(text, locales, out);
        }
        if self.on(Extractor::Size) {
            shopping::sizes(text, out);
        }
        if self.on(Extractor::Color) {
            shopping::colors(text, tokens, out);
        }
        if self.on(Extractor::PaymentMethod) {
            shopping::payment_methods(text, out);
        }
    }

    fn pii_candidates(&self, text: &str, locales: &[Locale], out: &mut Vec<Cand>) {
        // Cheap pre-checks: every PII kind needs a digit, except e-mails which need '@'.
        let has_digit = text.bytes().any(|b| b.is_ascii_digit())
            || text.chars().any(|c| pii::digit_value(c).is_some());
        if has_digit {
            self.pii.cards(text, out);
            self.pii.personal_numbers(text, out);
            self.pii.ibans(text, out);
            let masked = self.pii.iban_shaped(text);
            self.contact
                .phones(text, locales, &self.phone_regions, &masked, out);
        }
        if text.contains('@') {
            self.contact.emails(text, out);
        }
    }

    /// PII matches only (all five kinds, whatever the extractor list says).
    fn pii_matches(&self, text: &str) -> Vec<Cand> {
        let mut cands = Vec::new();
        self.pii_candidates(text, &self.locales, &mut cands);
        resolve(cands)
    }
}

/// PII redaction: replaces card numbers (issuer prefix, length and Luhn), checksum-valid
/// personnummer / samordningsnummer, IBANs (registry length and mod 97), e-mail addresses
/// and phone numbers (all configured locales and phone regions) by `[CARD]`, `[PERSONNUMMER]`, `[IBAN]`, `[EMAIL]`, `[PHONE]`; every
/// other byte is unchanged. Returns the redacted text and the replaced matches (offsets into
/// the original text), whatever the extractor list of the config says.
///
/// The redacted text is checked again, so that no PII remains that only became detectable
/// once a neighbour was replaced.
pub fn redact(rules: &Rules, text: &str) -> (String, Vec<Match>) {
    let mut found = rules.pii_matches(text);
    for _ in 0..4 {
        if found.is_empty() {
            break;
        }
        let out = apply(text, &found);
        let more = rules.pii_matches(&out);
        if more.is_empty() {
            break;
        }
        // Map every new match through the placeholders of this round before adding any.
        let added: Vec<Cand> = more
            .into_iter()
            .filter_map(|mut c| {
                let (s, e) = to_original(&found, c.start, c.end)?;
                c.start = s;
                c.end = e;
                Some(c)
            })
            .collect();
        if added.is_empty() {
            break;
        }
        found.extend(added);
        found = resolve(found);
    }
    let out = apply(text, &found);
    (out, found.into_iter().map(Cand::into_match).collect())
}

/// The text with each (sorted, disjoint) candidate replaced by its placeholder.
fn apply(text: &str, found: &[Cand]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for c in found {
        out.push_str(&text[pos..c.start]);
        out.push_str(c.placeholder());
        pos = c.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// Maps a span of the redacted text back to the original; `None` if it touches a
/// placeholder.
fn to_original(found: &[Cand], start: usize, end: usize) -> Option<(usize, usize)> {
    let mut shift: isize = 0; // original - redacted
    for c in found {
        let ph = c.placeholder().len();
        let out_start = (c.start as isize - shift) as usize;
        let out_end = out_start + ph;
        if end <= out_start {
            break;
        }
        if start < out_end {
            return None;
        }
        shift += (c.end - c.start) as isize - ph as isize;
    }
    Some((
        (start as isize + shift) as usize,
        (end as isize + shift) as usize,
    ))
}

/// The configured locales, the one that the text looks most like first.
fn ordered_locales(configured: &[Locale], text: &str) -> Vec<Locale> {
    let mut locales = configured.to_vec();
    if locales.len() > 1 && looks_swedish(text) {
        locales.sort_by_key(|l| *l != Locale::Sv);
    }
    locales
}

/// A cheap guess: Swedish letters or more Swedish than English function words.
fn looks_swedish(text: &str) -> bool {
    const SV: &[&str] = &[
        "och", "jag", "är", "det", "inte", "på", "för", "med", "till", "min", "mitt", "vill",
        "har", "kan", "hur", "var", "när", "vad", "om", "av", "ett", "en", "mig", "kr",
    ];
    const EN: &[&str] = &[
        "the", "and", "i", "is", "my", "to", "of", "for", "with", "what", "where", "when", "how",
        "can", "want", "please", "it", "a", "in", "on", "me",
    ];
    let (mut sv, mut en) = (0, 0);
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let lower = word.to_lowercase();
        if lower.contains(['å', 'ä', 'ö']) {
            sv += 1;
        }
        if SV.contains(&lower.as_str()) {
            sv += 1;
        }
        if EN.contains(&lower.as_str()) {
            en += 1;
        }
    }
    sv > en
}

/// Greedy overlap resolution: longest first, then priority, then locale rank.
fn resolve(mut cands: Vec<Cand>) -> Vec<Cand> {
    cands.retain(|c| c.start < c.end);
    cands.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(b.extractor.priority().cmp(&a.extractor.priority()))
            .then(a.rank.cmp(&b.rank))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Cand> = Vec::with_capacity(cands.len().min(16));
    for c in cands {
        // `kept` is sorted by start and disjoint, so ends are sorted too.
        let i = kept.partition_point(|k| k.start < c.end);
        if i > 0 && kept[i - 1].end > c.start {
            continue;
        }
        kept.insert(i, c);
    }
    kept
}

/// Merges a date next to a time of day ("tomorrow at 3pm", "kl 15 i morgon").
fn merge_date_time(text: &str, matches: Vec<Cand>) -> Vec<Cand> {
    let mut out: Vec<Cand> = Vec::with_capacity(matches.len());
    for c in matches {
        if let Some(prev) = out.last_mut()
            && let Some(merged) = merge_pair(text, prev, &c)
        {
            *prev = merged;
            continue;
        }
        out.push(c);
    }
    out
}

fn merge_pair(text: &str, a: &Cand, b: &Cand) -> Option<Cand> {
    let gap = text.get(a.end..b.start)?;
    let gap = gap.trim_matches(|c: char| c.is_whitespace() || c == ',');
    if !matches!(gap, "" | "on" | "at" | "på" | "kl" | "klockan") {
        return None;
    }
    let (date, time) = match (&a.value, &b.value) {
        (Value::Date { value }, t @ (Value::Time { .. } | Value::Interval { .. }))
            if b.extractor == Extractor::Time =>
        {
            (*value, t)
        }
        (t @ (Value::Time { .. } | Value::Interval { .. }), Value::Date { value })
            if a.extractor == Extractor::Time =>
        {
            (*value, t)
        }
        _ => return None,
    };
    let value = datetime::combine(date, time)?;
    let mut merged = Cand::new(
        a.start,
        b.end,
        Extractor::Time,
        value,
        a.confidence.min(b.confidence),
    );
    merged.rank = a.rank.min(b.rank);
    Some(merged)
}
