//! Table-driven cases for every extractor in English and Swedish, catalog loading and
//! matching, redaction, and property tests.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::DateTime;
use proptest::prelude::*;

use super::*;
use crate::error::Error;

/// Tuesday 24 November 2026, 10:00 in UTC+1.
const NOW: &str = "2026-11-24T10:00:00+01:00";

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    let rules = Rules::new(&RuleConfig::default()).expect("default rules");
    rules.with_catalog(Catalog::load(&fixture("catalog.jsonl")).expect("catalog fixture"))
});

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/rules_cases")
        .join(name)
}

fn context(locale: Option<Locale>) -> Context {
    Context {
        reference_time: DateTime::parse_from_rfc3339(NOW).expect("reference time"),
        locale,
    }
}

const EN: Option<Locale> = Some(Locale::En);
const SV: Option<Locale> = Some(Locale::Sv);
const ANY: Option<Locale> = None;

/// (locale, text, label, matched text, value as JSON).
const POSITIVE: &[(Option<Locale>, &str, &str, &str, &str)] = &[
    // money
    (
        EN,
        "It costs $1,299.99 now",
        "money",
        "$1,299.99",
        r#"{"kind":"money","amount":"1299.99","currency":"USD"}"#,
    ),
    (
        EN,
        "only 20 bucks",
        "money",
        "20 bucks",
        r#"{"kind":"money","amount":"20.00","currency":"USD"}"#,
    ),
    (
        EN,
        "a hundred dollars",
        "money",
        "a hundred dollars",
        r#"{"kind":"money","amount":"100.00","currency":"USD"}"#,
    ),
    (
        EN,
        "pay €20 today",
        "money",
        "€20",
        r#"{"kind":"money","amount":"20.00","currency":"EUR"}"#,
    ),
    (
        EN,
        "USD 15.50",
        "money",
        "USD 15.50",
        r#"{"kind":"money","amount":"15.50","currency":"USD"}"#,
    ),
    (
        EN,
        "£5 off",
        "money",
        "£5",
        r#"{"kind":"money","amount":"5.00","currency":"GBP"}"#,
    ),
    (
        EN,
        "it was 499 SEK",
        "money",
        "499 SEK",
        r#"{"kind":"money","amount":"499.00","currency":"SEK"}"#,
    ),
    (
        EN,
        "two thousand euros",
        "money",
        "two thousand euros",
        r#"{"kind":"money","amount":"2000.00","currency":"EUR"}"#,
    ),
    (
        SV,
        "två par för 499 kr",
        "money",
        "499 kr",
        r#"{"kind":"money","amount":"499.00","currency":"SEK"}"#,
    ),
    (
        SV,
        "den kostar 1 299,50 kr",
        "money",
        "1 299,50 kr",
        r#"{"kind":"money","amount":"1299.50","currency":"SEK"}"#,
    ),
    (
        SV,
        "1.299,50 kronor",
        "money",
        "1.299,50 kronor",
        r#"{"kind":"money","amount":"1299.50","currency":"SEK"}"#,
    ),
    (
        SV,
        "femtio kronor",
        "money",
        "femtio kronor",
        r#"{"kind":"money","amount":"50.00","currency":"SEK"}"#,
    ),
    (
        SV,
        "bara 99:-",
        "money",
        "99:-",
        r#"{"kind":"money","amount":"99.00","currency":"SEK"}"#,
    ),
    (
        SV,
        "15kr i frakt",
        "money",
        "15kr",
        r#"{"kind":"money","amount":"15.00","currency":"SEK"}"#,
    ),
    (
        SV,
        "200 norska kronor",
        "money",
        "200 norska kronor",
        r#"{"kind":"money","amount":"200.00","currency":"NOK"}"#,
    ),
    (
        ANY,
        "tvåhundra spänn",
        "money",
        "tvåhundra spänn",
        r#"{"kind":"money","amount":"200.00","currency":"SEK"}"#,
    ),
    // numbers
    (
        EN,
        "two hundred and fifty",
        "number",
        "two hundred and fifty",
        r#"{"kind":"number","value":250}"#,
    ),
    (
        EN,
        "twenty-five shirts",
        "number",
        "twenty-five",
        r#"{"kind":"number","value":25}"#,
    ),
    (
        EN,
        "three thousand four hundred",
        "number",
        "three thousand four hundred",
        r#"{"kind":"number","value":3400}"#,
    ),
    (
        EN,
        "a couple of shirts",
        "number",
        "a couple",
        r#"{"kind":"number","value":2}"#,
    ),
    (
        EN,
        "version 1.5 please",
        "number",
        "1.5",
        r#"{"kind":"number","value":1.5}"#,
    ),
    (
        EN,
        "1,500 units",
        "number",
        "1,500",
        r#"{"kind":"number","value":1500}"#,
    ),
    (
        SV,
        "1,5 liter",
        "number",
        "1,5",
        r#"{"kind":"number","value":1.5}"#,
    ),
    (
        SV,
        "1.500 enheter",
        "number",
        "1.500",
        r#"{"kind":"number","value":1500}"#,
    ),
    (
        SV,
        "tvåhundrafemtio",
        "number",
        "tvåhundrafemtio",
        r#"{"kind":"number","value":250}"#,
    ),
    (
        SV,
        "två tusen",
        "number",
        "två tusen",
        r#"{"kind":"number","value":2000}"#,
    ),
    (
        SV,
        "femtio",
        "number",
        "femtio",
        r#"{"kind":"number","value":50}"#,
    ),
    (
        SV,
        "tjugofem",
        "number",
        "tjugofem",
        r#"{"kind":"number","value":25}"#,
    ),
    (
        SV,
        "jag vill ha ett par",
        "number",
        "ett par",
        r#"{"kind":"number","value":2}"#,
    ),
    // quantities
    (
        EN,
        "I want two pairs",
        "quantity",
        "two pairs",
        r#"{"kind":"quantity","value":2,"unit":"pair"}"#,
    ),
    (
        EN,
        "a pair of socks",
        "quantity",
        "a pair",
        r#"{"kind":"quantity","value":1,"unit":"pair"}"#,
    ),
    (
        EN,
        "5 boxes",
        "quantity",
        "5 boxes",
        r#"{"kind":"quantity","value":5,"unit":"box"}"#,
    ),
    (
        SV,
        "3 st",
        "quantity",
        "3 st",
        r#"{"kind":"quantity","value":3,"unit":"piece"}"#,
    ),
    (
        SV,
        "två par för 499 kr",
        "quantity",
        "två par",
        r#"{"kind":"quantity","value":2,"unit":"pair"}"#,
    ),
    // ordinals
    (
        EN,
        "the 3rd one",
        "ordinal",
        "3rd",
        r#"{"kind":"ordinal","value":3}"#,
    ),
    (
        EN,
        "the third one",
        "ordinal",
        "third",
        r#"{"kind":"ordinal","value":3}"#,
    ),
    (
        EN,
        "the second item",
        "ordinal",
        "second",
        r#"{"kind":"ordinal","value":2}"#,
    ),
    (
        EN,
        "twenty-first",
        "ordinal",
        "twenty-first",
        r#"{"kind":"ordinal","value":21}"#,
    ),
    (
        SV,
        "den tredje",
        "ordinal",
        "tredje",
        r#"{"kind":"ordinal","value":3}"#,
    ),
    (
        SV,
        "den 3:e",
        "ordinal",
        "3:e",
        r#"{"kind":"ordinal","value":3}"#,
    ),
    (
        SV,
        "den andra tröjan",
        "ordinal",
        "andra",
        r#"{"kind":"ordinal","value":2}"#,
    ),
    // dates (reference: Tuesday 2026-11-24)
    (
        EN,
        "today",
        "date",
        "today",
        r#"{"kind":"date","value":"2026-11-24"}"#,
    ),
    (
        EN,
        "can it arrive tomorrow?",
        "date",
        "tomorrow",
        r#"{"kind":"date","value":"2026-11-25"}"#,
    ),
    (
        EN,
        "next Friday",
        "date",
        "next Friday",
        r#"{"kind":"date","value":"2026-12-04"}"#,
    ),
    (
        EN,
        "on Friday",
        "date",
        "on Friday",
        r#"{"kind":"date","value":"2026-11-27"}"#,
    ),
    (
        EN,
        "on Monday",
        "date",
        "on Monday",
        r#"{"kind":"date","value":"2026-11-30"}"#,
    ),
    (
        EN,
        "in two weeks",
        "date",
        "in two weeks",
        r#"{"kind":"date","value":"2026-12-08"}"#,
    ),
    (
        EN,
        "in 3 days",
        "date",
        "in 3 days",
        r#"{"kind":"date","value":"2026-11-27"}"#,
    ),
    (
        EN,
        "the 3rd of May",
        "date",
        "the 3rd of May",
        r#"{"kind":"date","value":"2027-05-03"}"#,
    ),
    (
        EN,
        "the third of May",
        "date",
        "the third of May",
        r#"{"kind":"date","value":"2027-05-03"}"#,
    ),
    (
        EN,
        "May 3",
        "date",
        "May 3",
        r#"{"kind":"date","value":"2027-05-03"}"#,
    ),
    (
        EN,
        "December 3rd, 2026",
        "date",
        "December 3rd, 2026",
        r#"{"kind":"date","value":"2026-12-03"}"#,
    ),
    (
        EN,
        "3 May 2026",
        "date",
        "3 May 2026",
        r#"{"kind":"date","value":"2026-05-03"}"#,
    ),
    (
        ANY,
        "2026-05-03",
        "date",
        "2026-05-03",
        r#"{"kind":"date","value":"2026-05-03"}"#,
    ),
    (
        EN,
        "in May",
        "date",
        "in May",
        r#"{"kind":"interval","from":"2027-05-01T00:00:00+01:00","to":"2027-06-01T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "next week",
        "date",
        "next week",
        r#"{"kind":"interval","from":"2026-11-30T00:00:00+01:00","to":"2026-12-07T00:00:00+01:00"}"#,
    ),
    (
        SV,
        "idag",
        "date",
        "idag",
        r#"{"kind":"date","value":"2026-11-24"}"#,
    ),
    (
        SV,
        "kan den komma i morgon",
        "date",
        "i morgon",
        r#"{"kind":"date","value":"2026-11-25"}"#,
    ),
    (
        SV,
        "imorgon",
        "date",
        "imorgon",
        r#"{"kind":"date","value":"2026-11-25"}"#,
    ),
    (
        SV,
        "nästa fredag",
        "date",
        "nästa fredag",
        r#"{"kind":"date","value":"2026-12-04"}"#,
    ),
    (
        SV,
        "på fredag",
        "date",
        "på fredag",
        r#"{"kind":"date","value":"2026-11-27"}"#,
    ),
    (
        SV,
        "jag beställde i fredags",
        "date",
        "i fredags",
        r#"{"kind":"date","value":"2026-11-20"}"#,
    ),
    (
        SV,
        "den 3 maj",
        "date",
        "den 3 maj",
        r#"{"kind":"date","value":"2027-05-03"}"#,
    ),
    (
        SV,
        "den tredje maj",
        "date",
        "den tredje maj",
        r#"{"kind":"date","value":"2027-05-03"}"#,
    ),
    (
        SV,
        "om två veckor",
        "date",
        "om två veckor",
        r#"{"kind":"date","value":"2026-12-08"}"#,
    ),
    (
        SV,
        "i mars",
        "date",
        "i mars",
        r#"{"kind":"interval","from":"2027-03-01T00:00:00+01:00","to":"2027-04-01T00:00:00+01:00"}"#,
    ),
    // numeric day and month: English month/day, Swedish day/month, a cue or a year
    (
        EN,
        "deliver on 3/5",
        "date",
        "on 3/5",
        r#"{"kind":"date","value":"2027-03-05"}"#,
    ),
    (
        EN,
        "on 25/12",
        "date",
        "on 25/12",
        r#"{"kind":"date","value":"2026-12-25"}"#,
    ),
    (
        EN,
        "due 12/24/2026",
        "date",
        "due 12/24/2026",
        r#"{"kind":"date","value":"2026-12-24"}"#,
    ),
    (
        SV,
        "leverans den 3/5",
        "date",
        "den 3/5",
        r#"{"kind":"date","value":"2027-05-03"}"#,
    ),
    (
        SV,
        "3/5/27",
        "date",
        "3/5/27",
        r#"{"kind":"date","value":"2027-05-03"}"#,
    ),
    // times
    (
        EN,
        "at 3pm",
        "time",
        "at 3pm",
        r#"{"kind":"time","value":"2026-11-24T15:00:00+01:00"}"#,
    ),
    (
        EN,
        "at 9am",
        "time",
        "at 9am",
        r#"{"kind":"time","value":"2026-11-25T09:00:00+01:00"}"#,
    ),
    (
        EN,
        "15:30",
        "time",
        "15:30",
        r#"{"kind":"time","value":"2026-11-24T15:30:00+01:00"}"#,
    ),
    (
        EN,
        "between 2 and 4pm",
        "time",
        "between 2 and 4pm",
        r#"{"kind":"interval","from":"2026-11-24T14:00:00+01:00","to":"2026-11-24T16:00:00+01:00"}"#,
    ),
    (
        EN,
        "tomorrow at 3pm",
        "time",
        "tomorrow at 3pm",
        r#"{"kind":"time","value":"2026-11-25T15:00:00+01:00"}"#,
    ),
    (
        EN,
        "in two hours",
        "time",
        "in two hours",
        r#"{"kind":"time","value":"2026-11-24T12:00:00+01:00"}"#,
    ),
    (
        SV,
        "kl 15",
        "time",
        "kl 15",
        r#"{"kind":"time","value":"2026-11-24T15:00:00+01:00"}"#,
    ),
    (
        SV,
        "klockan 15.30",
        "time",
        "klockan 15.30",
        r#"{"kind":"time","value":"2026-11-24T15:30:00+01:00"}"#,
    ),
    (
        SV,
        "i morgon kl 15",
        "time",
        "i morgon kl 15",
        r#"{"kind":"time","value":"2026-11-25T15:00:00+01:00"}"#,
    ),
    (
        SV,
        "mellan kl 14 och 16",
        "time",
        "mellan kl 14 och 16",
        r#"{"kind":"interval","from":"2026-11-24T14:00:00+01:00","to":"2026-11-24T16:00:00+01:00"}"#,
    ),
    // times in words and parts of the day
    (
        EN,
        "deliver it at five pm",
        "time",
        "at five pm",
        r#"{"kind":"time","value":"2026-11-24T17:00:00+01:00"}"#,
    ),
    (
        EN,
        "five thirty am works",
        "time",
        "five thirty am",
        r#"{"kind":"time","value":"2026-11-25T05:30:00+01:00"}"#,
    ),
    (
        EN,
        "pick me up by twelve noon",
        "time",
        "twelve noon",
        r#"{"kind":"time","value":"2026-11-24T12:00:00+01:00"}"#,
    ),
    (
        EN,
        "call me at ten o'clock",
        "time",
        "at ten o'clock",
        r#"{"kind":"time","value":"2026-11-24T10:00:00+01:00"}"#,
    ),
    (
        EN,
        "at 7 o clock",
        "time",
        "at 7 o clock",
        r#"{"kind":"time","value":"2026-11-24T19:00:00+01:00"}"#,
    ),
    (
        EN,
        "can it arrive tonight?",
        "time",
        "tonight",
        r#"{"kind":"interval","from":"2026-11-24T18:00:00+01:00","to":"2026-11-25T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "I ordered this morning",
        "time",
        "this morning",
        r#"{"kind":"interval","from":"2026-11-24T06:00:00+01:00","to":"2026-11-24T12:00:00+01:00"}"#,
    ),
    (
        EN,
        "in the morning",
        "time",
        "in the morning",
        r#"{"kind":"interval","from":"2026-11-24T06:00:00+01:00","to":"2026-11-24T12:00:00+01:00"}"#,
    ),
    (
        EN,
        "deliver tomorrow morning",
        "time",
        "tomorrow morning",
        r#"{"kind":"interval","from":"2026-11-25T06:00:00+01:00","to":"2026-11-25T12:00:00+01:00"}"#,
    ),
    (
        EN,
        "on friday evening",
        "time",
        "on friday evening",
        r#"{"kind":"interval","from":"2026-11-27T18:00:00+01:00","to":"2026-11-28T00:00:00+01:00"}"#,
    ),
    (
        SV,
        "kan den komma i kväll",
        "time",
        "i kväll",
        r#"{"kind":"interval","from":"2026-11-24T18:00:00+01:00","to":"2026-11-25T00:00:00+01:00"}"#,
    ),
    (
        SV,
        "leverans fredag kväll",
        "time",
        "fredag kväll",
        r#"{"kind":"interval","from":"2026-11-27T18:00:00+01:00","to":"2026-11-28T00:00:00+01:00"}"#,
    ),
    (
        SV,
        "på eftermiddagen",
        "time",
        "på eftermiddagen",
        r#"{"kind":"interval","from":"2026-11-24T12:00:00+01:00","to":"2026-11-24T18:00:00+01:00"}"#,
    ),
    (
        SV,
        "ring klockan fem",
        "time",
        "klockan fem",
        r#"{"kind":"time","value":"2026-11-24T17:00:00+01:00"}"#,
    ),
    // durations
    (
        EN,
        "it takes two hours",
        "duration",
        "two hours",
        r#"{"kind":"duration","value":"PT2H","seconds":7200}"#,
    ),
    (
        EN,
        "3 days",
        "duration",
        "3 days",
        r#"{"kind":"duration","value":"P3D","seconds":259200}"#,
    ),
    (
        EN,
        "for an hour",
        "duration",
        "an hour",
        r#"{"kind":"duration","value":"PT1H","seconds":3600}"#,
    ),
    (
        SV,
        "två timmar",
        "duration",
        "två timmar",
        r#"{"kind":"duration","value":"PT2H","seconds":7200}"#,
    ),
    (
        SV,
        "30 minuter",
        "duration",
        "30 minuter",
        r#"{"kind":"duration","value":"PT30M","seconds":1800}"#,
    ),
    // e-mail, phone, url
    (
        ANY,
        "mail anna.svensson@example.se.",
        "email",
        "anna.svensson@example.se",
        r#"{"kind":"email","value":"anna.svensson@example.se"}"#,
    ),
    (
        SV,
        "ring 070-123 45 67 tack",
        "phone",
        "070-123 45 67",
        r#"{"kind":"phone","value":"+46701234567"}"#,
    ),
    (
        SV,
        "08-123 456 78",
        "phone",
        "08-123 456 78",
        r#"{"kind":"phone","value":"+46812345678"}"#,
    ),
    (
        ANY,
        "call +46 8 123 456 78",
        "phone",
        "+46 8 123 456 78",
        r#"{"kind":"phone","value":"+46812345678"}"#,
    ),
    (
        ANY,
        "+46 (0)70 123 45 67",
        "phone",
        "+46 (0)70 123 45 67",
        r#"{"kind":"phone","value":"+46701234567"}"#,
    ),
    (
        EN,
        "call (555) 123-4567",
        "phone",
        "(555) 123-4567",
        r#"{"kind":"phone","value":"+15551234567"}"#,
    ),
    (
        SV,
        "ring +1 555 123 4567",
        "phone",
        "+1 555 123 4567",
        r#"{"kind":"phone","value":"+15551234567"}"#,
    ),
    (
        ANY,
        "see https://shop.se/orders/123.",
        "url",
        "https://shop.se/orders/123",
        r#"{"kind":"url","value":"https://shop.se/orders/123"}"#,
    ),
    (
        ANY,
        "www.example.com",
        "url",
        "www.example.com",
        r#"{"kind":"url","value":"https://www.example.com"}"#,
    ),
    (
        ANY,
        "gå till tolka.se/retur",
        "url",
        "tolka.se/retur",
        r#"{"kind":"url","value":"https://tolka.se/retur"}"#,
    ),
    // order ids, postal codes
    (
        EN,
        "need help with purchase 00123842",
        "order_id",
        "00123842",
        r#"{"kind":"order_id","value":"00123842"}"#,
    ),
    (
        EN,
        "where is order #A-10293?",
        "order_id",
        "A-10293",
        r#"{"kind":"order_id","value":"A-10293"}"#,
    ),
    (
        EN,
        "order number 5512345",
        "order_id",
        "5512345",
        r#"{"kind":"order_id","value":"5512345"}"#,
    ),
    (
        SV,
        "min beställning 123456 har inte kommit",
        "order_id",
        "123456",
        r#"{"kind":"order_id","value":"123456"}"#,
    ),
    (
        SV,
        "ordernr: ab-99881",
        "order_id",
        "ab-99881",
        r#"{"kind":"order_id","value":"AB-99881"}"#,
    ),
    (
        SV,
        "Storgatan 1, 123 45 Stockholm",
        "postal_code",
        "123 45",
        r#"{"kind":"postal_code","value":"123 45","country":"SE"}"#,
    ),
    (
        SV,
        "postnummer 41319",
        "postal_code",
        "41319",
        r#"{"kind":"postal_code","value":"413 19","country":"SE"}"#,
    ),
    (
        EN,
        "my zip code is 90210",
        "postal_code",
        "90210",
        r#"{"kind":"postal_code","value":"90210","country":"US"}"#,
    ),
    (
        EN,
        "Beverly Hills, CA 90210",
        "postal_code",
        "90210",
        r#"{"kind":"postal_code","value":"90210","country":"US"}"#,
    ),
    // cards, personnummer, IBAN
    (
        ANY,
        "card 4111 1111 1111 1111 exp",
        "card",
        "4111 1111 1111 1111",
        r#"{"kind":"card","brand":"visa","last4":"1111"}"#,
    ),
    (
        ANY,
        "5555555555554444",
        "card",
        "5555555555554444",
        r#"{"kind":"card","brand":"mastercard","last4":"4444"}"#,
    ),
    (
        ANY,
        "4111-1111-1111-1111",
        "card",
        "4111-1111-1111-1111",
        r#"{"kind":"card","brand":"visa","last4":"1111"}"#,
    ),
    (
        ANY,
        "pnr 811218-9876",
        "personal_number",
        "811218-9876",
        r#"{"kind":"personal_number","value":"811218-9876","coordination":false}"#,
    ),
    (
        ANY,
        "19811218-9876",
        "personal_number",
        "19811218-9876",
        r#"{"kind":"personal_number","value":"19811218-9876","coordination":false}"#,
    ),
    (
        ANY,
        "8112189876",
        "personal_number",
        "8112189876",
        r#"{"kind":"personal_number","value":"811218-9876","coordination":false}"#,
    ),
    (
        ANY,
        "701063-2391",
        "personal_number",
        "701063-2391",
        r#"{"kind":"personal_number","value":"701063-2391","coordination":true}"#,
    ),
    (
        ANY,
        "IBAN SE45 5000 0000 0583 9825 7466 tack",
        "iban",
        "SE45 5000 0000 0583 9825 7466",
        r#"{"kind":"iban","value":"SE4550000000058398257466","country":"SE"}"#,
    ),
    (
        ANY,
        "GB82WEST12345698765432",
        "iban",
        "GB82WEST12345698765432",
        r#"{"kind":"iban","value":"GB82WEST12345698765432","country":"GB"}"#,
    ),
    // cards: issuer prefixes and lengths, separators people type
    (
        ANY,
        "Amex 3782 822463 10005 please",
        "card",
        "3782 822463 10005",
        r#"{"kind":"card","brand":"amex","last4":"0005"}"#,
    ),
    (
        ANY,
        "6011111111111117",
        "card",
        "6011111111111117",
        r#"{"kind":"card","brand":"discover","last4":"1117"}"#,
    ),
    (
        ANY,
        "JCB 3530111333300000",
        "card",
        "3530111333300000",
        r#"{"kind":"card","brand":"jcb","last4":"0000"}"#,
    ),
    (
        ANY,
        "diners 3056 930902 5904",
        "card",
        "3056 930902 5904",
        r#"{"kind":"card","brand":"diners","last4":"5904"}"#,
    ),
    (
        ANY,
        "UnionPay 6200 0000 0000 0005",
        "card",
        "6200 0000 0000 0005",
        r#"{"kind":"card","brand":"unionpay","last4":"0005"}"#,
    ),
    (
        ANY,
        "2221 0000 0000 0009",
        "card",
        "2221 0000 0000 0009",
        r#"{"kind":"card","brand":"mastercard","last4":"0009"}"#,
    ),
    (
        ANY,
        "Maestro 5000 0000 0000 0009",
        "card",
        "5000 0000 0000 0009",
        r#"{"kind":"card","brand":"maestro","last4":"0009"}"#,
    ),
    (
        ANY,
        "visa 4012888888881881",
        "card",
        "4012888888881881",
        r#"{"kind":"card","brand":"visa","last4":"1881"}"#,
    ),
    (
        SV,
        "kort 4111\u{a0}1111\u{a0}1111\u{a0}1111 tack",
        "card",
        "4111\u{a0}1111\u{a0}1111\u{a0}1111",
        r#"{"kind":"card","brand":"visa","last4":"1111"}"#,
    ),
    (
        EN,
        "card 4111\u{2009}1111\u{2009}1111\u{2009}1111 exp",
        "card",
        "4111\u{2009}1111\u{2009}1111\u{2009}1111",
        r#"{"kind":"card","brand":"visa","last4":"1111"}"#,
    ),
    (
        EN,
        "card 5555\u{202f}5555\u{202f}5555\u{202f}4444.",
        "card",
        "5555\u{202f}5555\u{202f}5555\u{202f}4444",
        r#"{"kind":"card","brand":"mastercard","last4":"4444"}"#,
    ),
    (
        ANY,
        "4111.1111.1111.1111",
        "card",
        "4111.1111.1111.1111",
        r#"{"kind":"card","brand":"visa","last4":"1111"}"#,
    ),
    (
        SV,
        "kortet ４１１１ １１１１ １１１１ １１１１ funkar inte",
        "card",
        "４１１１ １１１１ １１１１ １１１１",
        r#"{"kind":"card","brand":"visa","last4":"1111"}"#,
    ),
    (
        ANY,
        "５５５５５５５５５５５５４４４４",
        "card",
        "５５５５５５５５５５５５４４４４",
        r#"{"kind":"card","brand":"mastercard","last4":"4444"}"#,
    ),
    // IBAN: registry lengths, lower case, dashes and dots
    (
        ANY,
        "iban se45 5000 0000 0583 9825 7466 tack",
        "iban",
        "se45 5000 0000 0583 9825 7466",
        r#"{"kind":"iban","value":"SE4550000000058398257466","country":"SE"}"#,
    ),
    (
        ANY,
        "AL47-2121-1009-0000-0002-3569-8741",
        "iban",
        "AL47-2121-1009-0000-0002-3569-8741",
        r#"{"kind":"iban","value":"AL47212110090000000235698741","country":"AL"}"#,
    ),
    (
        EN,
        "account NO 44 1850.05.14562 thanks",
        "iban",
        "NO 44 1850.05.14562",
        r#"{"kind":"iban","value":"NO4418500514562","country":"NO"}"#,
    ),
    (
        ANY,
        "de89370400440532013000",
        "iban",
        "de89370400440532013000",
        r#"{"kind":"iban","value":"DE89370400440532013000","country":"DE"}"#,
    ),
    (
        ANY,
        "CH93 0076 2011 6238 5295 7",
        "iban",
        "CH93 0076 2011 6238 5295 7",
        r#"{"kind":"iban","value":"CH9300762011623852957","country":"CH"}"#,
    ),
    // e-mail: RFC 6531
    (
        SV,
        "mejla åsa@exempel.se tack",
        "email",
        "åsa@exempel.se",
        r#"{"kind":"email","value":"åsa@exempel.se"}"#,
    ),
    (
        EN,
        "write to josé.garcía@correo.es.",
        "email",
        "josé.garcía@correo.es",
        r#"{"kind":"email","value":"josé.garcía@correo.es"}"#,
    ),
    (
        EN,
        "hans@müller.com",
        "email",
        "hans@müller.com",
        r#"{"kind":"email","value":"hans@müller.com"}"#,
    ),
    (
        EN,
        "(support@xn--mller-kva.de)",
        "email",
        "support@xn--mller-kva.de",
        r#"{"kind":"email","value":"support@xn--mller-kva.de"}"#,
    ),
    // phones: libphonenumber metadata
    (
        SV,
        "ring 0701234567",
        "phone",
        "0701234567",
        r#"{"kind":"phone","value":"+46701234567"}"#,
    ),
    (
        ANY,
        "mobil 0046 70 123 45 67",
        "phone",
        "0046 70 123 45 67",
        r#"{"kind":"phone","value":"+46701234567"}"#,
    ),
    (
        ANY,
        "office +44 20 7946 0958",
        "phone",
        "+44 20 7946 0958",
        r#"{"kind":"phone","value":"+442079460958"}"#,
    ),
    (
        EN,
        "call 0121 234 5678",
        "phone",
        "0121 234 5678",
        r#"{"kind":"phone","value":"+441212345678"}"#,
    ),
    (
        EN,
        "call 090-1234-5678",
        "phone",
        "090-1234-5678",
        r#"{"kind":"phone","value":"+819012345678"}"#,
    ),
    (
        EN,
        "ligue (11) 2345-6789",
        "phone",
        "(11) 2345-6789",
        r#"{"kind":"phone","value":"+551123456789"}"#,
    ),
    (
        EN,
        "reach me on +1 650 253 0000",
        "phone",
        "+1 650 253 0000",
        r#"{"kind":"phone","value":"+16502530000"}"#,
    ),
    (
        EN,
        "phone: 1-800-275-2273",
        "phone",
        "1-800-275-2273",
        r#"{"kind":"phone","value":"+18002752273"}"#,
    ),
    (
        EN,
        "text 650.253.0000 anytime",
        "phone",
        "650.253.0000",
        r#"{"kind":"phone","value":"+16502530000"}"#,
    ),
    // personnummer forms
    (
        ANY,
        "personnummer198112189876 tack",
        "personal_number",
        "198112189876",
        r#"{"kind":"personal_number","value":"19811218-9876","coordination":false}"#,
    ),
    (
        ANY,
        "pnr 121212+1212",
        "personal_number",
        "121212+1212",
        r#"{"kind":"personal_number","value":"121212+1212","coordination":false}"#,
    ),
    (
        ANY,
        "samordningsnummer 197010632391",
        "personal_number",
        "197010632391",
        r#"{"kind":"personal_number","value":"19701063-2391","coordination":true}"#,
    ),
    // "one" the number, "second" the unit with a number
    (
        EN,
        "I want one",
        "number",
        "one",
        r#"{"kind":"number","value":1}"#,
    ),
    (
        EN,
        "one of them is broken",
        "number",
        "one",
        r#"{"kind":"number","value":1}"#,
    ),
    (
        EN,
        "the one hour delivery",
        "duration",
        "one hour",
        r#"{"kind":"duration","value":"PT1H","seconds":3600}"#,
    ),
    (
        EN,
        "wait 30 seconds",
        "duration",
        "30 seconds",
        r#"{"kind":"duration","value":"PT30S","seconds":30}"#,
    ),
    (
        EN,
        "it arrives in May",
        "date",
        "in May",
        r#"{"kind":"interval","from":"2027-05-01T00:00:00+01:00","to":"2027-06-01T00:00:00+01:00"}"#,
    ),
    // catalog
    (
        EN,
        "Nike Air Max 90 in size 43",
        "product",
        "Nike Air Max 90",
        r#"{"kind":"catalog","id":"p-1","type":"product","name":"Nike Air Max 90"}"#,
    ),
    (
        EN,
        "do you have nike air-max 90?",
        "product",
        "nike air-max 90",
        r#"{"kind":"catalog","id":"p-1","type":"product","name":"Nike Air Max 90"}"#,
    ),
    (
        EN,
        "anything from Nike",
        "brand",
        "Nike",
        r#"{"kind":"catalog","id":"b-1","type":"brand","name":"Nike"}"#,
    ),
    (
        EN,
        "addidas shoes",
        "brand",
        "addidas",
        r#"{"kind":"catalog","id":"b-2","type":"brand","name":"Adidas"}"#,
    ),
    (
        EN,
        "red jackets",
        "category",
        "jackets",
        r#"{"kind":"catalog","id":"c-1","type":"category","name":"Jacka"}"#,
    ),
    (
        SV,
        "två jackor",
        "category",
        "jackor",
        r#"{"kind":"catalog","id":"c-1","type":"category","name":"Jacka"}"#,
    ),
    (
        SV,
        "TROJA ARE finns?",
        "product",
        "TROJA ARE",
        r#"{"kind":"catalog","id":"p-2","type":"product","name":"Tröja Åre"}"#,
    ),
    (
        EN,
        "sneakres",
        "category",
        "sneakres",
        r#"{"kind":"catalog","id":"c-2","type":"category","name":"Sneakers"}"#,
    ),
    (
        EN,
        "is it under $50?",
        "price_range",
        "under $50",
        r#"{"kind":"price_range","max":"50.00","currency":"USD"}"#,
    ),
    (
        SV,
        "max 500 kr tack",
        "price_range",
        "max 500 kr",
        r#"{"kind":"price_range","max":"500.00","currency":"SEK"}"#,
    ),
    (
        SV,
        "något upp till 300 kr",
        "price_range",
        "upp till 300 kr",
        r#"{"kind":"price_range","max":"300.00","currency":"SEK"}"#,
    ),
    (
        EN,
        "between 20 and 30 euros",
        "price_range",
        "between 20 and 30 euros",
        r#"{"kind":"price_range","min":"20.00","max":"30.00","currency":"EUR"}"#,
    ),
    (
        SV,
        "jackor från 200 kr",
        "price_range",
        "från 200 kr",
        r#"{"kind":"price_range","min":"200.00","currency":"SEK"}"#,
    ),
    (
        SV,
        "mellan 100 och 200 kr",
        "price_range",
        "mellan 100 och 200 kr",
        r#"{"kind":"price_range","min":"100.00","max":"200.00","currency":"SEK"}"#,
    ),
    (
        EN,
        "anything $20-$30?",
        "price_range",
        "$20-$30",
        r#"{"kind":"price_range","min":"20.00","max":"30.00","currency":"USD"}"#,
    ),
    (
        EN,
        "at least 100 dollars",
        "price_range",
        "at least 100 dollars",
        r#"{"kind":"price_range","min":"100.00","currency":"USD"}"#,
    ),
    (
        EN,
        "it was CAD 3.03",
        "money",
        "CAD 3.03",
        r#"{"kind":"money","amount":"3.03","currency":"CAD"}"#,
    ),
    (
        EN,
        "pay USD3.14 now",
        "money",
        "USD3.14",
        r#"{"kind":"money","amount":"3.14","currency":"USD"}"#,
    ),
    (
        EN,
        "GBP3.01 total",
        "money",
        "GBP3.01",
        r#"{"kind":"money","amount":"3.01","currency":"GBP"}"#,
    ),
    (
        EN,
        "only Rs 20",
        "money",
        "Rs 20",
        r#"{"kind":"money","amount":"20.00","currency":"INR"}"#,
    ),
    (
        EN,
        "a $10K budget",
        "money",
        "$10K",
        r#"{"kind":"money","amount":"10000.00","currency":"USD"}"#,
    ),
    (
        SV,
        "10k kr",
        "money",
        "10k kr",
        r#"{"kind":"money","amount":"10000.00","currency":"SEK"}"#,
    ),
    (
        EN,
        "20 dollars 43 cents",
        "money",
        "20 dollars 43 cents",
        r#"{"kind":"money","amount":"20.43","currency":"USD"}"#,
    ),
    (
        SV,
        "två kronor och 23 öre",
        "money",
        "två kronor och 23 öre",
        r#"{"kind":"money","amount":"2.23","currency":"SEK"}"#,
    ),
    (
        SV,
        "50 öre",
        "money",
        "50 öre",
        r#"{"kind":"money","amount":"0.50","currency":"SEK"}"#,
    ),
    (
        EN,
        "20 CHF",
        "money",
        "20 CHF",
        r#"{"kind":"money","amount":"20.00","currency":"CHF"}"#,
    ),
    (
        EN,
        "500 yen",
        "money",
        "500 yen",
        r#"{"kind":"money","amount":"500.00","currency":"JPY"}"#,
    ),
    (
        SV,
        "100NOK",
        "money",
        "100NOK",
        r#"{"kind":"money","amount":"100.00","currency":"NOK"}"#,
    ),
    (
        EN,
        "do you have size 42?",
        "size",
        "size 42",
        r#"{"kind":"size","value":"42","system":"number"}"#,
    ),
    (
        EN,
        "EU 42 please",
        "size",
        "EU 42",
        r#"{"kind":"size","value":"42","system":"EU"}"#,
    ),
    (
        EN,
        "US 8.5",
        "size",
        "US 8.5",
        r#"{"kind":"size","value":"8.5","system":"US"}"#,
    ),
    (
        SV,
        "har ni storlek 38?",
        "size",
        "storlek 38",
        r#"{"kind":"size","value":"38","system":"number"}"#,
    ),
    (
        EN,
        "in XL",
        "size",
        "XL",
        r#"{"kind":"size","value":"XL","system":"letter"}"#,
    ),
    (
        EN,
        "a 3XL hoodie",
        "size",
        "3XL",
        r#"{"kind":"size","value":"XXXL","system":"letter"}"#,
    ),
    (
        EN,
        "medium please",
        "size",
        "medium",
        r#"{"kind":"size","value":"M","system":"letter"}"#,
    ),
    (
        SV,
        "i storlek M",
        "size",
        "storlek M",
        r#"{"kind":"size","value":"M","system":"letter"}"#,
    ),
    (
        EN,
        "jeans W32 L34",
        "size",
        "W32 L34",
        r#"{"kind":"size","value":"W32 L34","system":"waist_length"}"#,
    ),
    (
        SV,
        "har ni den svarta jackan i M?",
        "size",
        "M",
        r#"{"kind":"size","value":"M","system":"letter"}"#,
    ),
    (
        EN,
        "do you have it in L",
        "size",
        "L",
        r#"{"kind":"size","value":"L","system":"letter"}"#,
    ),
    (
        EN,
        "2 pairs of jeans size 32/34",
        "size",
        "size 32/34",
        r#"{"kind":"size","value":"W32 L34","system":"waist_length"}"#,
    ),
    (
        ANY,
        "my tracking number is 1Z999AA10123456784",
        "tracking_number",
        "1Z999AA10123456784",
        r#"{"kind":"tracking_number","value":"1Z999AA10123456784","carrier":"ups"}"#,
    ),
    (
        ANY,
        "label says 1Z 999 AA1 01 2345 6784",
        "tracking_number",
        "1Z 999 AA1 01 2345 6784",
        r#"{"kind":"tracking_number","value":"1Z999AA10123456784","carrier":"ups"}"#,
    ),
    (
        ANY,
        "var är rb123456785gb?",
        "tracking_number",
        "rb123456785gb",
        r#"{"kind":"tracking_number","value":"RB123456785GB","carrier":"post"}"#,
    ),
    (
        SV,
        "spårningsnummer: 00370712345678901234",
        "tracking_number",
        "00370712345678901234",
        r#"{"kind":"tracking_number","value":"00370712345678901234","carrier":null}"#,
    ),
    (
        EN,
        "Tracking #: 9400111899223817576543 still says label created",
        "tracking_number",
        "9400111899223817576543",
        r#"{"kind":"tracking_number","value":"9400111899223817576543","carrier":null}"#,
    ),
    (
        EN,
        "can I pay with Klarna?",
        "payment_method",
        "Klarna",
        r#"{"kind":"payment_method","value":"klarna"}"#,
    ),
    (
        EN,
        "do you take Apple Pay",
        "payment_method",
        "Apple Pay",
        r#"{"kind":"payment_method","value":"apple_pay"}"#,
    ),
    (
        SV,
        "kan jag betala med kreditkort",
        "payment_method",
        "kreditkort",
        r#"{"kind":"payment_method","value":"card"}"#,
    ),
    (
        SV,
        "går det med postförskott",
        "payment_method",
        "postförskott",
        r#"{"kind":"payment_method","value":"cash_on_delivery"}"#,
    ),
    (
        SV,
        "barnjacka 140 cl",
        "size",
        "140 cl",
        r#"{"kind":"size","value":"140","system":"children_cm"}"#,
    ),
    (
        EN,
        "is it one size?",
        "size",
        "one size",
        r#"{"kind":"size","value":"one size","system":"one_size"}"#,
    ),
    (
        EN,
        "the blue one",
        "color",
        "blue",
        r#"{"kind":"color","value":"blue"}"#,
    ),
    (
        EN,
        "light blue shirt",
        "color",
        "light blue",
        r#"{"kind":"color","value":"light blue"}"#,
    ),
    (
        EN,
        "a navy coat",
        "color",
        "navy",
        r#"{"kind":"color","value":"navy"}"#,
    ),
    (
        SV,
        "svart",
        "color",
        "svart",
        r#"{"kind":"color","value":"black"}"#,
    ),
    (
        SV,
        "svarta skor",
        "color",
        "svarta",
        r#"{"kind":"color","value":"black"}"#,
    ),
    (
        SV,
        "ett grått linne",
        "color",
        "grått",
        r#"{"kind":"color","value":"grey"}"#,
    ),
    (
        SV,
        "en ljusblå skjorta",
        "color",
        "ljusblå",
        r#"{"kind":"color","value":"light blue"}"#,
    ),
    (
        SV,
        "mörkgröna byxor",
        "color",
        "mörkgröna",
        r#"{"kind":"color","value":"dark green"}"#,
    ),
    (
        SV,
        "finns den i vitt?",
        "color",
        "vitt",
        r#"{"kind":"color","value":"white"}"#,
    ),
    // issue 16 item 2: money with codes, scales and minor units
    (
        EN,
        "about 3 million dollars",
        "money",
        "3 million dollars",
        r#"{"kind":"money","amount":"3000000.00","currency":"USD"}"#,
    ),
    (
        SV,
        "budget 3 mkr",
        "money",
        "3 mkr",
        r#"{"kind":"money","amount":"3000000.00","currency":"SEK"}"#,
    ),
    (
        SV,
        "3 m kr totalt",
        "money",
        "3 m kr",
        r#"{"kind":"money","amount":"3000000.00","currency":"SEK"}"#,
    ),
    (
        SV,
        "lön 35 tkr",
        "money",
        "35 tkr",
        r#"{"kind":"money","amount":"35000.00","currency":"SEK"}"#,
    ),
    (
        SV,
        "2,5 miljoner kronor",
        "money",
        "2,5 miljoner kronor",
        r#"{"kind":"money","amount":"2500000.00","currency":"SEK"}"#,
    ),
    (
        EN,
        "it was CAD 3.03",
        "money",
        "CAD 3.03",
        r#"{"kind":"money","amount":"3.03","currency":"CAD"}"#,
    ),
    (
        EN,
        "GBP3.01 please",
        "money",
        "GBP3.01",
        r#"{"kind":"money","amount":"3.01","currency":"GBP"}"#,
    ),
    (
        EN,
        "costs Rs 20",
        "money",
        "Rs 20",
        r#"{"kind":"money","amount":"20.00","currency":"INR"}"#,
    ),
    (
        EN,
        "20 dollars and 43 cents",
        "money",
        "20 dollars and 43 cents",
        r#"{"kind":"money","amount":"20.43","currency":"USD"}"#,
    ),
    (
        SV,
        "tio kronor och femtio öre",
        "money",
        "tio kronor och femtio öre",
        r#"{"kind":"money","amount":"10.50","currency":"SEK"}"#,
    ),
    // numbers: scales after digits, halves, nought
    (
        EN,
        "3 million",
        "number",
        "3 million",
        r#"{"kind":"number","value":3000000}"#,
    ),
    (
        SV,
        "2,5 miljoner",
        "number",
        "2,5 miljoner",
        r#"{"kind":"number","value":2500000}"#,
    ),
    (
        SV,
        "5 tusen",
        "number",
        "5 tusen",
        r#"{"kind":"number","value":5000}"#,
    ),
    (
        EN,
        "two million five hundred thousand",
        "number",
        "two million five hundred thousand",
        r#"{"kind":"number","value":2500000}"#,
    ),
    (
        SV,
        "tre miljoner",
        "number",
        "tre miljoner",
        r#"{"kind":"number","value":3000000}"#,
    ),
    (
        EN,
        "half",
        "number",
        "half",
        r#"{"kind":"number","value":0.5}"#,
    ),
    (
        EN,
        "a half",
        "number",
        "a half",
        r#"{"kind":"number","value":0.5}"#,
    ),
    (
        SV,
        "en halv",
        "number",
        "en halv",
        r#"{"kind":"number","value":0.5}"#,
    ),
    (
        EN,
        "one and a half",
        "number",
        "one and a half",
        r#"{"kind":"number","value":1.5}"#,
    ),
    (
        SV,
        "två och en halv",
        "number",
        "två och en halv",
        r#"{"kind":"number","value":2.5}"#,
    ),
    (
        SV,
        "en och en halv",
        "number",
        "en och en halv",
        r#"{"kind":"number","value":1.5}"#,
    ),
    (
        EN,
        "a dozen eggs",
        "number",
        "a dozen",
        r#"{"kind":"number","value":12}"#,
    ),
    (
        SV,
        "ett dussin",
        "number",
        "ett dussin",
        r#"{"kind":"number","value":12}"#,
    ),
    (
        EN,
        "nought",
        "number",
        "nought",
        r#"{"kind":"number","value":0}"#,
    ),
    (
        EN,
        "we won nil",
        "number",
        "nil",
        r#"{"kind":"number","value":0}"#,
    ),
    // ordinals up to 99 and 100
    (
        EN,
        "the twenty-fifth",
        "ordinal",
        "twenty-fifth",
        r#"{"kind":"ordinal","value":25}"#,
    ),
    (
        EN,
        "the ninety-ninth",
        "ordinal",
        "ninety-ninth",
        r#"{"kind":"ordinal","value":99}"#,
    ),
    (
        EN,
        "fiftieth",
        "ordinal",
        "fiftieth",
        r#"{"kind":"ordinal","value":50}"#,
    ),
    (
        EN,
        "the hundredth",
        "ordinal",
        "hundredth",
        r#"{"kind":"ordinal","value":100}"#,
    ),
    (
        EN,
        "second",
        "ordinal",
        "second",
        r#"{"kind":"ordinal","value":2}"#,
    ),
    (
        SV,
        "tjugofemte",
        "ordinal",
        "tjugofemte",
        r#"{"kind":"ordinal","value":25}"#,
    ),
    (
        SV,
        "nittionionde",
        "ordinal",
        "nittionionde",
        r#"{"kind":"ordinal","value":99}"#,
    ),
    (
        SV,
        "fyrtioandra",
        "ordinal",
        "fyrtioandra",
        r#"{"kind":"ordinal","value":42}"#,
    ),
    (
        SV,
        "den förste",
        "ordinal",
        "förste",
        r#"{"kind":"ordinal","value":1}"#,
    ),
    (
        SV,
        "andra",
        "ordinal",
        "andra",
        r#"{"kind":"ordinal","value":2}"#,
    ),
    (
        SV,
        "andra gången",
        "ordinal",
        "andra",
        r#"{"kind":"ordinal","value":2}"#,
    ),
    // durations
    (
        EN,
        "an hour and a half",
        "duration",
        "an hour and a half",
        r#"{"kind":"duration","value":"PT1.5H","seconds":5400}"#,
    ),
    (
        EN,
        "2 more minutes",
        "duration",
        "2 more minutes",
        r#"{"kind":"duration","value":"PT2M","seconds":120}"#,
    ),
    (
        EN,
        "half an hour",
        "duration",
        "half an hour",
        r#"{"kind":"duration","value":"PT0.5H","seconds":1800}"#,
    ),
    (
        EN,
        "a couple of days",
        "duration",
        "a couple of days",
        r#"{"kind":"duration","value":"P2D","seconds":172800}"#,
    ),
    (
        EN,
        "one and a half hours",
        "duration",
        "one and a half hours",
        r#"{"kind":"duration","value":"PT1.5H","seconds":5400}"#,
    ),
    (
        EN,
        "a quarter of an hour",
        "duration",
        "a quarter of an hour",
        r#"{"kind":"duration","value":"PT15M","seconds":900}"#,
    ),
    (
        SV,
        "1,5 timmar",
        "duration",
        "1,5 timmar",
        r#"{"kind":"duration","value":"PT1.5H","seconds":5400}"#,
    ),
    (
        SV,
        "vänta en kvart",
        "duration",
        "en kvart",
        r#"{"kind":"duration","value":"PT15M","seconds":900}"#,
    ),
    (
        SV,
        "en halvtimme",
        "duration",
        "en halvtimme",
        r#"{"kind":"duration","value":"PT30M","seconds":1800}"#,
    ),
    (
        SV,
        "ett par dagar",
        "duration",
        "ett par dagar",
        r#"{"kind":"duration","value":"P2D","seconds":172800}"#,
    ),
    (
        SV,
        "två timmar och en halv",
        "duration",
        "två timmar och en halv",
        r#"{"kind":"duration","value":"PT2.5H","seconds":9000}"#,
    ),
    (
        EN,
        "in half an hour",
        "time",
        "in half an hour",
        r#"{"kind":"time","value":"2026-11-24T10:30:00+01:00"}"#,
    ),
    (
        SV,
        "om en kvart",
        "time",
        "om en kvart",
        r#"{"kind":"time","value":"2026-11-24T10:15:00+01:00"}"#,
    ),
    // dates and times
    (
        EN,
        "the day after tomorrow",
        "date",
        "the day after tomorrow",
        r#"{"kind":"date","value":"2026-11-26"}"#,
    ),
    (
        SV,
        "i övermorgon",
        "date",
        "i övermorgon",
        r#"{"kind":"date","value":"2026-11-26"}"#,
    ),
    (
        EN,
        "last Friday",
        "date",
        "last Friday",
        r#"{"kind":"date","value":"2026-11-20"}"#,
    ),
    (
        SV,
        "förra fredagen",
        "date",
        "förra fredagen",
        r#"{"kind":"date","value":"2026-11-20"}"#,
    ),
    (
        EN,
        "by the end of the month",
        "date",
        "by the end of the month",
        r#"{"kind":"interval","from":"2026-11-21T00:00:00+01:00","to":"2026-12-01T00:00:00+01:00"}"#,
    ),
    (
        SV,
        "i slutet av månaden",
        "date",
        "i slutet av månaden",
        r#"{"kind":"interval","from":"2026-11-21T00:00:00+01:00","to":"2026-12-01T00:00:00+01:00"}"#,
    ),
    (
        SV,
        "i början av nästa månad",
        "date",
        "i början av nästa månad",
        r#"{"kind":"interval","from":"2026-12-01T00:00:00+01:00","to":"2026-12-11T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "end of the year",
        "date",
        "end of the year",
        r#"{"kind":"interval","from":"2026-11-01T00:00:00+01:00","to":"2027-01-01T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "this weekend",
        "date",
        "this weekend",
        r#"{"kind":"interval","from":"2026-11-27T18:00:00+01:00","to":"2026-11-30T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "next weekend",
        "date",
        "next weekend",
        r#"{"kind":"interval","from":"2026-12-04T18:00:00+01:00","to":"2026-12-07T00:00:00+01:00"}"#,
    ),
    (
        SV,
        "kan ni leverera i helgen?",
        "date",
        "i helgen",
        r#"{"kind":"interval","from":"2026-11-27T18:00:00+01:00","to":"2026-11-30T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "I need it now",
        "time",
        "now",
        r#"{"kind":"time","value":"2026-11-24T10:00:00+01:00"}"#,
    ),
    (
        SV,
        "just nu",
        "time",
        "just nu",
        r#"{"kind":"time","value":"2026-11-24T10:00:00+01:00"}"#,
    ),
    (
        EN,
        "on 2/15",
        "date",
        "on 2/15",
        r#"{"kind":"date","value":"2027-02-15"}"#,
    ),
    (
        EN,
        "15.2.2026",
        "date",
        "15.2.2026",
        r#"{"kind":"date","value":"2026-02-15"}"#,
    ),
    (
        SV,
        "den 15.2",
        "date",
        "den 15.2",
        r#"{"kind":"date","value":"2027-02-15"}"#,
    ),
    (
        SV,
        "15.2.2027",
        "date",
        "15.2.2027",
        r#"{"kind":"date","value":"2027-02-15"}"#,
    ),
    (
        EN,
        "from Monday to Wednesday",
        "date",
        "from Monday to Wednesday",
        r#"{"kind":"interval","from":"2026-11-30T00:00:00+01:00","to":"2026-12-03T00:00:00+01:00"}"#,
    ),
    (
        SV,
        "från måndag till onsdag",
        "date",
        "från måndag till onsdag",
        r#"{"kind":"interval","from":"2026-11-30T00:00:00+01:00","to":"2026-12-03T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "between May 3 and May 5",
        "date",
        "between May 3 and May 5",
        r#"{"kind":"interval","from":"2027-05-03T00:00:00+01:00","to":"2027-05-06T00:00:00+01:00"}"#,
    ),
    // Ranges of days in one month: the interval of its days, in the last day's month.
    (
        EN,
        "away 3-10 January",
        "date",
        "3-10 January",
        r#"{"kind":"interval","from":"2027-01-03T00:00:00+01:00","to":"2027-01-11T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "I'm away from 3 to 10 January",
        "date",
        "from 3 to 10 January",
        r#"{"kind":"interval","from":"2027-01-03T00:00:00+01:00","to":"2027-01-11T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "deliver between 12 and 14 december",
        "date",
        "between 12 and 14 december",
        r#"{"kind":"interval","from":"2026-12-12T00:00:00+01:00","to":"2026-12-15T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "from the 1st to the 10th of December",
        "date",
        "from the 1st to the 10th of December",
        r#"{"kind":"interval","from":"2026-12-01T00:00:00+01:00","to":"2026-12-11T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "closed Jan 3-10th",
        "date",
        "Jan 3-10th",
        r#"{"kind":"interval","from":"2027-01-03T00:00:00+01:00","to":"2027-01-11T00:00:00+01:00"}"#,
    ),
    // "and" without "between" is two things; a first day after the last is no range.
    (
        EN,
        "sizes 3 and 10 January",
        "date",
        "10 January",
        r#"{"kind":"date","value":"2027-01-10"}"#,
    ),
    (
        EN,
        "5 to 3 January",
        "date",
        "3 January",
        r#"{"kind":"date","value":"2027-01-03"}"#,
    ),
    (
        SV,
        "bortrest 3–10 januari",
        "date",
        "3–10 januari",
        r#"{"kind":"interval","from":"2027-01-03T00:00:00+01:00","to":"2027-01-11T00:00:00+01:00"}"#,
    ),
    (
        SV,
        "mellan den 3 och den 10 januari",
        "date",
        "mellan den 3 och den 10 januari",
        r#"{"kind":"interval","from":"2027-01-03T00:00:00+01:00","to":"2027-01-11T00:00:00+01:00"}"#,
    ),
    (
        EN,
        "from 3 to 5 pm",
        "time",
        "from 3 to 5 pm",
        r#"{"kind":"interval","from":"2026-11-24T15:00:00+01:00","to":"2026-11-24T17:00:00+01:00"}"#,
    ),
    (
        EN,
        "open between 2 and 4?",
        "time",
        "between 2 and 4",
        r#"{"kind":"interval","from":"2026-11-24T14:00:00+01:00","to":"2026-11-24T16:00:00+01:00"}"#,
    ),
    (
        SV,
        "mellan 13 och 15",
        "time",
        "mellan 13 och 15",
        r#"{"kind":"interval","from":"2026-11-24T13:00:00+01:00","to":"2026-11-24T15:00:00+01:00"}"#,
    ),
    (
        EN,
        "Black Friday",
        "date",
        "Black Friday",
        r#"{"kind":"date","value":"2026-11-27"}"#,
    ),
    (
        EN,
        "Black Friday 2025",
        "date",
        "Black Friday 2025",
        r#"{"kind":"date","value":"2025-11-28"}"#,
    ),
    (
        SV,
        "rea på cyber monday",
        "date",
        "cyber monday",
        r#"{"kind":"date","value":"2026-11-30"}"#,
    ),
    (
        EN,
        "before Christmas",
        "date",
        "Christmas",
        r#"{"kind":"date","value":"2026-12-25"}"#,
    ),
    (
        EN,
        "New Year's Day",
        "date",
        "New Year's Day",
        r#"{"kind":"date","value":"2027-01-01"}"#,
    ),
    (
        SV,
        "hinner den fram till jul?",
        "date",
        "jul",
        r#"{"kind":"date","value":"2026-12-24"}"#,
    ),
    (
        SV,
        "julafton",
        "date",
        "julafton",
        r#"{"kind":"date","value":"2026-12-24"}"#,
    ),
    (
        SV,
        "nyårsafton",
        "date",
        "nyårsafton",
        r#"{"kind":"date","value":"2026-12-31"}"#,
    ),
    (
        SV,
        "till midsommar",
        "date",
        "midsommar",
        r#"{"kind":"date","value":"2027-06-25"}"#,
    ),
];

/// (locale, text, label that must not be found anywhere).
const NEGATIVE: &[(Option<Locale>, &str, &str)] = &[
    (ANY, "card 4111 1111 1111 1112", "card"),
    (ANY, "1234567812345678", "card"),
    (ANY, "811218-9875", "personal_number"),
    (ANY, "811232-9876", "personal_number"),
    (ANY, "SE45 5000 0000 0583 9825 7467", "iban"),
    (EN, "May I return this?", "date"),
    (EN, "Ask May about it", "date"),
    (EN, "this may help", "date"),
    (SV, "Mars är en planet", "date"),
    (EN, "1,5", "number"),
    (SV, "1.5", "number"),
    (EN, "wait a second", "ordinal"),
    (SV, "andra produkter", "ordinal"),
    (SV, "(555) 123-4567", "phone"),
    (EN, "070-123 45 67", "phone"),
    (ANY, "2026-05-03", "phone"),
    (EN, "I have 90210 points", "postal_code"),
    (EN, "from 2 to 4 days", "time"),
    (SV, "mellan 2 och 4 dagar", "time"),
    (ANY, "user at example dot com", "email"),
    (ANY, "item A10293", "order_id"),
    (SV, "en tröja", "number"),
    (EN, "a shirt", "number"),
    (EN, "jackets and nothing", "brand"),
    (EN, "good morning", "time"),
    (EN, "good night!", "time"),
    (EN, "morning, any news?", "time"),
    (SV, "god morgon", "time"),
    (EN, "add 1/2 cup", "date"),
    (EN, "it was 50/50", "date"),
    (EN, "pages 1/2/3", "date"),
    (EN, "give me five", "time"),
    (EN, "download invoice #12588", "order_id"),
    (EN, "my bill #85632", "order_id"),
    (SV, "faktura #12345", "order_id"),
    (EN, "I want to purchase 1000 units", "order_id"),
    (EN, "I read it", "color"),
    (SV, "vitsord", "color"),
    (EN, "a large order", "size"),
    (EN, "S is a letter", "size"),
    (SV, "kan ni visa mig jackan", "payment_method"),
    (EN, "a gift card for my mum", "payment_method"),
    (EN, "cashback on this?", "payment_method"),
    (ANY, "order 1Z999AA10123456785", "tracking_number"),
    (ANY, "RB123456784GB", "tracking_number"),
    (EN, "tracking is slow, 3 days now", "tracking_number"),
    (SV, "kollinummer 1234", "tracking_number"),
    (EN, "shipping in Stockholm", "size"),
    (SV, "bor i Malmö", "size"),
    (EN, "in s", "size"),
    (EN, "a 33 cl can", "size"),
    (EN, "size matters", "size"),
    (EN, "XLR cable", "size"),
    (EN, "under the bed", "price_range"),
    (EN, "from 2 to 4 days", "price_range"),
    (EN, "between 30 and 20 euros", "price_range"),
    (EN, "I have 5 cents", "price_range"),
    // cards: Luhn-valid numbers without an issuer's prefix or with a length it does not use
    (ANY, "Where is my order 113542617735902?", "card"),
    (ANY, "113542617735902", "card"),
    (ANY, "111111111111119", "card"),
    (ANY, "411111111111116", "card"),
    (ANY, "3782822463100052", "card"),
    (ANY, "555555555555442", "card"),
    (ANY, "2721 0000 0000 0004", "card"),
    (ANY, "4111 1111-1111 1111", "card"),
    // checksums decide: no phone in a personnummer or IBAN shape
    (ANY, "personnummer 880320-0018", "phone"),
    (ANY, "personnummer 880320-0018", "personal_number"),
    (ANY, "19880320-0018", "phone"),
    (ANY, "SE45 5000 0000 0583 9825 7467", "phone"),
    (ANY, "AL47-2121-1009-0000-0002-3569-8742", "phone"),
    (ANY, "AL47-2121-1009-0000-0002-3569-8742", "iban"),
    (ANY, "se45 5000 0000 0583 9825 7467", "iban"),
    (ANY, "XY45 5000 0000 0583 9825 7466", "iban"),
    (ANY, "SE45 5000 0000 0583 9825 746", "iban"),
    // reference numbers, prices and dates are not phones
    (ANY, "faktura 2026110045", "phone"),
    (ANY, "order 4155550132", "phone"),
    (ANY, "OCR 7012345678 på fakturan", "phone"),
    (ANY, "totalt 12 345 678 kr", "phone"),
    (ANY, "12/24/2026", "phone"),
    (EN, "5551234567", "phone"),
    (SV, "ökning +1 234 567 kr", "phone"),
    // e-mail look-alikes
    (ANY, "@mention the team", "email"),
    (ANY, "write to a@b and see", "email"),
    (ANY, "user@localhost", "email"),
    (ANY, "price @ 20.5", "email"),
    // chat false alarms: "one" the pronoun, "a second", "may" the verb, articles alone
    (EN, "is the blue one cheaper than the red one?", "number"),
    (EN, "I'll take this one", "number"),
    (EN, "no one answered my mail", "number"),
    (EN, "which one is better?", "number"),
    (EN, "a bigger one, please", "number"),
    (EN, "the other one", "number"),
    (EN, "wait a second", "duration"),
    (EN, "just a sec", "duration"),
    (SV, "vänta en sekund", "duration"),
    (EN, "you may return it", "date"),
    (EN, "it may arrive late", "date"),
    (EN, "May we pay later?", "date"),
    (EN, "a", "number"),
    (SV, "en", "number"),
    (EN, "USDA beef 3", "money"),
    (EN, "10km away", "money"),
    // issue 16 item 2: chat look-alikes of the new forms
    (EN, "the cable is 3 m long", "money"),
    (SV, "3 m lång", "money"),
    (EN, "I have 3 million reasons", "money"),
    (SV, "vi har andra färger", "ordinal"),
    (EN, "a forty second clip", "ordinal"),
    (SV, "kvart över tre", "duration"),
    (SV, "kvart i fem", "duration"),
    (EN, "between 10 and 20 items", "time"),
    (SV, "mellan 100 och 200 kr", "time"),
    (SV, "från 10 till 12 st", "time"),
    (EN, "version 1.2.2026.4", "date"),
    (EN, "3.5", "date"),
    (SV, "3.5", "date"),
    (EN, "weekend deals", "date"),
    (SV, "helgen var lång", "date"),
    (SV, "nu är jag riktigt arg", "time"),
    (SV, "vad händer nu med min order", "time"),
    (SV, "Black Friday", "color"),
    (EN, "I know", "time"),
    (EN, "a", "duration"),
];

fn find<'a>(matches: &'a [Match], text: &str, label: &str, span: &str) -> Option<&'a Match> {
    matches
        .iter()
        .find(|m| m.label == label && &text[m.start..m.end] == span)
}

#[test]
fn positive_cases() {
    let mut failures = Vec::new();
    for (locale, text, label, span, value) in POSITIVE {
        let matches = RULES.extract(text, &context(*locale));
        let expected: serde_json::Value = serde_json::from_str(value).expect("case JSON");
        match find(&matches, text, label, span) {
            Some(m) => {
                let got = serde_json::to_value(&m.value).expect("value JSON");
                if got != expected {
                    failures.push(format!(
                        "{text:?}: {label} {span:?} = {got}, expected {expected}"
                    ));
                }
            }
            None => failures.push(format!(
                "{text:?} ({locale:?}): no {label} {span:?}; got {:?}",
                matches
                    .iter()
                    .map(|m| (m.label.as_str(), &text[m.start..m.end]))
                    .collect::<Vec<_>>()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn negative_cases() {
    let mut failures = Vec::new();
    for (locale, text, label) in NEGATIVE {
        let matches = RULES.extract(text, &context(*locale));
        if let Some(m) = matches.iter().find(|m| m.label == *label) {
            failures.push(format!(
                "{text:?}: unexpected {label} {:?}",
                &text[m.start..m.end]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn locale_decides_decimal_separator() {
    let en = RULES.extract("1,500", &context(EN));
    let sv = RULES.extract("1,500", &context(SV));
    assert_eq!(en[0].value, Value::Number { value: 1500.0 });
    assert_eq!(sv[0].value, Value::Number { value: 1.5 });
    // Without a locale, Swedish-looking text prefers the Swedish reading.
    let any = RULES.extract("jag vill ha 1,5 kg", &context(ANY));
    let kg = Value::Quantity {
        value: 1.5,
        unit: "kg".to_owned(),
    };
    assert!(any.iter().any(|m| m.value == kg), "{any:?}");
}

#[test]
fn matches_are_sorted_disjoint_and_sourced() {
    let text = "Order #A-10293: två par Nike Air Max 90 för 1 299 kr, leverans på fredag kl 15, ring 070-123 45 67";
    let matches = RULES.extract(text, &context(ANY));
    let labels: Vec<&str> = matches.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(
        labels,
        ["order_id", "quantity", "product", "money", "time", "phone"],
        "{matches:#?}"
    );
    for w in matches.windows(2) {
        assert!(w[0].end <= w[1].start);
    }
    assert_eq!(matches[2].source, MatchSource::Gazetteer);
    assert_eq!(matches[0].source, MatchSource::Rule);
}

#[test]
fn extractor_selection_and_config() {
    let config: RuleConfig =
        serde_json::from_str(r#"{"extractors":["email"],"locales":["sv"]}"#).expect("config");
    assert_eq!(
        config.order_id_patterns,
        RuleConfig::default().order_id_patterns
    );
    let rules = Rules::new(&config).expect("rules");
    let m = rules.extract("499 kr till a@b.se", &context(None));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].label, "email");

    let bad = RuleConfig {
        order_id_patterns: vec!["(".to_owned()],
        ..RuleConfig::default()
    };
    assert!(matches!(Rules::new(&bad), Err(Error::Config(_))));
    let none = RuleConfig {
        locales: vec![],
        ..RuleConfig::default()
    };
    assert!(matches!(Rules::new(&none), Err(Error::Config(_))));
    assert!(serde_json::from_str::<RuleConfig>(r#"{"extractor":[]}"#).is_err());

    let custom = RuleConfig {
        order_id_patterns: vec![r"\bSO-[0-9]{6}\b".to_owned()],
        ..RuleConfig::default()
    };
    let rules = Rules::new(&custom).expect("rules");
    let m = rules.extract("status of SO-123456?", &context(EN));
    assert_eq!(
        m[0].value,
        Value::OrderId {
            value: "SO-123456".to_owned()
        }
    );
}

#[test]
fn redaction_replaces_pii_only() {
    let text = "Kort 4111 1111 1111 1111, pnr 811218-9876, IBAN SE45 5000 0000 0583 9825 7466, mejl anna@example.se, tel 070-123 45 67. Order 12345, 499 kr.";
    let (out, found) = redact(&RULES, text);
    assert_eq!(
        out,
        "Kort [CARD], pnr [PERSONNUMMER], IBAN [IBAN], mejl [EMAIL], tel [PHONE]. Order 12345, 499 kr."
    );
    assert_eq!(found.len(), 5);
    let (same, none) = redact(&RULES, "kort 4111 1111 1111 1112 och 1,5 kg");
    assert_eq!(same, "kort 4111 1111 1111 1112 och 1,5 kg");
    assert!(none.is_empty());
}

/// Cards typed with any space, a dot or full-width digits are replaced exactly: every byte
/// of the number and no byte around it.
#[test]
fn redaction_covers_exactly_the_card() {
    for card in [
        "4111\u{a0}1111\u{a0}1111\u{a0}1111",
        "4111\u{2009}1111\u{2009}1111\u{2009}1111",
        "4111\u{202f}1111\u{202f}1111\u{202f}1111",
        "4111.1111.1111.1111",
        "4111-1111-1111-1111",
        "４１１１ １１１１ １１１１ １１１１",
        "４１１１１１１１１１１１１１１１",
        "3782 822463 10005",
    ] {
        for (before, after) in [("kort ", " tack"), ("card: ", "."), ("(", ")"), ("", "")] {
            let text = format!("{before}{card}{after}");
            let (out, found) = redact(&RULES, &text);
            assert_eq!(out, format!("{before}[CARD]{after}"), "{text:?}");
            assert_eq!(found.len(), 1, "{text:?}");
            assert_eq!(&text[found[0].start..found[0].end], card);
        }
    }
}

/// `tolka tag` calls the README's order number an order id; `redact` keeps it.
#[test]
fn order_number_is_not_a_card() {
    let text = "Hi, I'd like to track my order 113542617735902, please.";
    let (out, found) = redact(&RULES, text);
    assert_eq!(out, text);
    assert!(found.is_empty());
    let m = RULES.extract(text, &context(EN));
    assert!(
        m.iter()
            .any(|m| m.label == "order_id" && &text[m.start..m.end] == "113542617735902")
    );
}

#[test]
fn phone_regions_are_configurable() {
    let config: RuleConfig =
        serde_json::from_str(r#"{"phone_regions":["GB"],"phone_formatted_regions":[]}"#)
            .expect("config");
    let rules = Rules::new(&config).expect("rules");
    let m = rules.extract("ring 020 7946 0958", &context(SV));
    assert_eq!(
        m.iter().find(|m| m.label == "phone").map(|m| &m.value),
        Some(&Value::Phone {
            value: "+442079460958".to_owned()
        })
    );
    // Sweden is not among the regions: a Swedish national number is not a phone...
    assert!(
        !rules
            .extract("ring 070-123 45 67", &context(SV))
            .iter()
            .any(|m| m.label == "phone")
    );
    // ...but an international one is.
    assert!(
        rules
            .extract("ring +46 70 123 45 67", &context(SV))
            .iter()
            .any(|m| m.label == "phone")
    );
    let bad: std::result::Result<RuleConfig, _> =
        serde_json::from_str(r#"{"phone_regions":["Sweden"]}"#);
    let bad = Rules::new(&bad.expect("config parses"));
    assert!(matches!(bad, Err(Error::Config(_))));
}

#[test]
fn catalog_csv_matches_jsonl() {
    let csv = Catalog::load(&fixture("catalog.csv")).expect("csv catalog");
    assert_eq!(csv.len(), RULES.catalog().map_or(0, Catalog::len));
    let rules = Rules::new(&RuleConfig::default())
        .expect("rules")
        .with_catalog(csv);
    let m = rules.extract("Air Max 90 och addidas", &context(SV));
    let ids: Vec<String> = m
        .iter()
        .filter_map(|m| match &m.value {
            Value::Catalog { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, ["p-1", "b-2"]);
    assert!(
        m[1].confidence < m[0].confidence,
        "fuzzy match has lower confidence"
    );
}

#[test]
fn catalog_errors_name_file_and_line() {
    let dir = std::env::temp_dir().join(format!("tolka-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"id\":\"1\",\"name\":\"A\"}\n\n{\"id\":2}\n").expect("write");
    match Catalog::load(&bad) {
        Err(Error::Data { line, .. }) => assert_eq!(line, 3),
        other => panic!("expected a data error, got {other:?}"),
    }
    let bad_csv = dir.join("bad.csv");
    std::fs::write(&bad_csv, "id,title\n1,A\n").expect("write");
    assert!(matches!(
        Catalog::load(&bad_csv),
        Err(Error::Data { line: 1, .. })
    ));
    assert!(matches!(
        Catalog::load(&dir.join("missing.jsonl")),
        Err(Error::Io { .. })
    ));
    let config = RuleConfig {
        catalog: Some(dir.join("missing.csv")),
        ..RuleConfig::default()
    };
    assert!(matches!(Rules::new(&config), Err(Error::Io { .. })));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn catalog_100k_entries_loads_fast() {
    let dir = std::env::temp_dir().join(format!("tolka-rules-100k-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("catalog.jsonl");
    std::fs::write(&path, catalog_gen::catalog_jsonl(100_000)).expect("write");
    let start = std::time::Instant::now();
    let catalog = Catalog::load(&path).expect("100k catalog");
    let elapsed = start.elapsed();
    println!("loaded {} catalog entries in {elapsed:?}", catalog.len());
    let rules = Rules::new(&RuleConfig::default())
        .expect("rules")
        .with_catalog(catalog);
    let m = rules.extract(
        "do you have brand5 grey shirt 5 or model77777?",
        &context(EN),
    );
    let ids: Vec<&str> = m
        .iter()
        .filter_map(|m| match &m.value {
            Value::Catalog { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, ["sku-5", "sku-77777"]);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn values_serialise_with_kind_tags() {
    let m = RULES.extract("två par för 499 kr", &context(SV));
    let json = serde_json::to_string(&m[1]).expect("json");
    assert_eq!(
        json,
        r#"{"start":14,"end":20,"label":"money","value":{"kind":"money","amount":"499.00","currency":"SEK"},"source":"rule","confidence":0.95}"#
    );
    let config: RuleConfig = serde_json::from_str(
        r#"{"extractors":["money","order_id","personal_number"],"locales":["en","sv"],"catalog":"c.jsonl"}"#,
    )
    .expect("config");
    assert_eq!(config.extractors[1], Extractor::OrderId);
}

/// Strings mixing the characters that rules look at with emoji, combining marks and
/// control characters.
fn tricky() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "4111 1111 1111 1111",
        "４１１１\u{a0}１１１１",
        "\u{2009}",
        "\u{202f}",
        "åsa@exempel.se",
        "se45 5000",
        "0121 234 5678",
        "811218-9876",
        "SE45 5000 0000 0583 9825 7466",
        "a@b.se",
        "070-123 45 67",
        "+46 8 123 456 78",
        "(555) 123-4567",
        "499 kr",
        "$1,299.99",
        "next Friday",
        "i morgon kl 15",
        "den 3 maj",
        "between 2 and 4pm",
        "Nike Air Max 90",
        "tvåhundrafemtio",
        "3:e",
        "order #A-10293",
        "123 45",
        "https://x.se/a",
        "😀",
        "e\u{301}",
        "\u{0}",
        "\n",
        "\t",
        " ",
        "-",
        ",",
        ".",
        ":",
        "+",
        "@",
        "1",
        "0",
        "9",
        "kr",
        "å",
        "ß",
        "İ",
        "\u{200b}",
        "ﬁ",
        "#",
        "(",
        ")",
        "[",
        "]",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

fn check_spans(text: &str, matches: &[Match]) {
    let mut last = 0;
    for m in matches {
        assert!(m.start < m.end && m.end <= text.len());
        assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
        assert!(m.start >= last, "overlap or unsorted: {matches:?}");
        last = m.end;
    }
}

fn check_redaction(text: &str) {
    let (out, found) = redact(&RULES, text);
    check_spans(text, &found);
    // Everything outside the matches is byte-identical, matches became placeholders.
    let mut rebuilt = String::new();
    let mut pos = 0;
    for m in &found {
        rebuilt.push_str(&text[pos..m.start]);
        rebuilt.push_str(match m.label.as_str() {
            "card" => "[CARD]",
            "personal_number" => "[PERSONNUMMER]",
            "iban" => "[IBAN]",
            "email" => "[EMAIL]",
            "phone" => "[PHONE]",
            other => panic!("redacted a {other}"),
        });
        pos = m.end;
    }
    rebuilt.push_str(&text[pos..]);
    assert_eq!(out, rebuilt);
    // No PII left.
    let (again, left) = redact(&RULES, &out);
    assert!(left.is_empty(), "PII left in {out:?}: {left:?}");
    assert_eq!(again, out);
}

proptest! {
    #[test]
    fn spans_are_valid_on_any_string(text in any::<String>()) {
        check_spans(&text, &RULES.extract(&text, &context(ANY)));
        check_redaction(&text);
    }

    #[test]
    fn spans_are_valid_on_tricky_strings(text in tricky()) {
        for locale in [ANY, EN, SV] {
            check_spans(&text, &RULES.extract(&text, &context(locale)));
        }
        check_redaction(&text);
    }

    #[test]
    fn redaction_of_digit_soup(text in "[0-9 +()\\-.@a-zA-Z]{0,80}") {
        check_spans(&text, &RULES.extract(&text, &context(ANY)));
        check_redaction(&text);
    }

    #[test]
    fn redaction_of_unicode_digit_soup(
        text in "[0-9\u{ff10}-\u{ff19} \u{a0}\u{2009}\u{202f}+()\\-.@a-zåäöA-Z]{0,80}"
    ) {
        check_spans(&text, &RULES.extract(&text, &context(ANY)));
        check_redaction(&text);
    }
}

#[path = "../../tests/support/catalog_gen.rs"]
mod catalog_gen;

#[test]
fn redaction_finds_numbers_after_another_number() {
    // A number just before the personal data joins its run of digits and spaces.
    for (text, want) in [
        ("size 42 3400 000000 00009 please", "size 42 [CARD] please"),
        ("order 12345 0046 70 868 72 07", "order 12345 [PHONE]"),
        ("2 st +46 70 123 45 67", "2 st [PHONE]"),
    ] {
        assert_eq!(redact(&RULES, text).0, want, "{text}");
    }
    // "424111111111111111" passes the Luhn check too, but no issuer has 18-digit Visa
    // numbers: the card starts after the size.
    assert_eq!(
        redact(&RULES, "size 42 4111 1111 1111 1111").0,
        "size 42 [CARD]"
    );
}

#[test]
fn redaction_finds_numbers_glued_to_a_run() {
    for (text, want) in [
        ("A-10293 4000 1000 1000 0008 .", "A-10293 [CARD] ."),
        ("order A10293 0701234567", "order A10293 [PHONE]"),
        ("070-123 45 67 2st", "[PHONE] 2st"),
    ] {
        assert_eq!(redact(&RULES, text).0, want, "{text}");
    }
}
