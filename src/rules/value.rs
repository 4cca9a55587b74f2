//! Typed, normalised values of rule and gazetteer matches.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize, Serializer};

/// The normalised value of a [`Match`](super::Match).
///
/// Serialised with a `kind` tag, e.g. `{"kind":"money","amount":"499.00","currency":"SEK"}`.
/// Dates are ISO 8601 (`2026-05-03`), instants RFC 3339 / ISO 8601 with offset
/// (`2026-05-03T15:00:00+02:00`), durations ISO 8601 (`PT2H`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// An amount of money; `amount` is a decimal string with at least two decimals.
    Money { amount: String, currency: String },
    /// A price limit or range ("under $50", "från 200 kr", "between 20 and 30 euros"):
    /// decimal strings like [`Value::Money`]; an open end is left out.
    PriceRange {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<String>,
        currency: String,
    },
    /// A garment or shoe size: `value` as written in its system, upper-cased letters
    /// (`XL`, `42`, `8.5`, `W32 L34`, `140`, `one size`); `system` is `EU`, `US`, `UK`
    /// (shoe sizes with that cue), `number` (a number after "size" / "storlek"), `letter`
    /// (XS–XXXL), `waist_length` (W/L jeans sizes), `children_cm` (children's sizes in cm) or
    /// `one_size`.
    Size { value: String, system: String },
    /// A colour, by its canonical English name (`black`, `light blue`, `navy`).
    Color { value: String },
    /// The attributes of a `product` entity of the analysis: the colour and size written in or
    /// next to it ("black running shoes in size 42"), as in [`Value::Color`] and [`Value::Size`].
    Product {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        color: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size_system: Option<String>,
    },
    /// A cardinal number (integral values serialise as JSON integers).
    Number {
        #[serde(serialize_with = "number")]
        value: f64,
    },
    /// A number of units ("two pairs", "3 st").
    Quantity {
        #[serde(serialize_with = "number")]
        value: f64,
        unit: String,
    },
    /// An ordinal ("3rd", "tredje", "3:e").
    Ordinal { value: u64 },
    /// A calendar day.
    Date { value: NaiveDate },
    /// An instant (a time of day resolved against the reference time).
    Time { value: DateTime<FixedOffset> },
    /// A half-open interval `[from, to)` (a time range, a week, a month).
    Interval {
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    },
    /// A length of time: ISO 8601 duration and its length in seconds (months are 30 days,
    /// years 365 days).
    Duration { value: String, seconds: u64 },
    /// An e-mail address as written.
    Email { value: String },
    /// A phone number in E.164 (`+46701234567`).
    Phone { value: String },
    /// A URL; addresses without a scheme get `https://`.
    Url { value: String },
    /// A shop order id, upper-cased.
    OrderId { value: String },
    /// A payment method by its canonical name: `klarna`, `swish`, `paypal`, `apple_pay`,
    /// `google_pay`, `vipps`, `mobilepay`, `trustly`, `afterpay`, `card`, `bank_transfer`,
    /// `cash_on_delivery`.
    PaymentMethod { value: String },
    /// A parcel tracking number, compact and upper-cased; `carrier` is `ups` or `post` (a
    /// national postal service's UPU S10 number, its country in the last two letters) where
    /// the check digit says so, else none (a number named as a tracking number).
    TrackingNumber {
        value: String,
        carrier: Option<String>,
    },
    /// A postal code and its ISO 3166 country (`SE`, `US`).
    PostalCode { value: String, country: String },
    /// A payment card (issuer prefix, length and Luhn check); only the brand (`visa`,
    /// `mastercard`, `amex`, `discover`, `jcb`, `diners`, `unionpay`, `mir`, `maestro`) and
    /// the last four digits are kept.
    Card { brand: String, last4: String },
    /// A checksum-valid Swedish personnummer or samordningsnummer (`coordination`), digits
    /// with the separator normalised (`YYMMDD-NNNN`, `YYYYMMDD-NNNN`, `+` kept).
    PersonalNumber { value: String, coordination: bool },
    /// An IBAN of a registry country at its length, mod-97-valid, compact and upper-cased.
    Iban { value: String, country: String },
    /// An entry of the shop's catalog.
    Catalog {
        id: String,
        #[serde(rename = "type")]
        entry_type: String,
        name: String,
    },
}

impl Value {
    /// The redaction placeholder of personal data (`[CARD]`, `[PERSONNUMMER]`, `[IBAN]`,
    /// `[EMAIL]`, `[PHONE]`); `None` for other values.
    ///
    /// ```
    /// use tolka::rules::Value;
    /// let email = Value::Email { value: "anna@example.se".into() };
    /// assert_eq!(email.placeholder(), Some("[EMAIL]"));
    /// ```
    pub fn placeholder(&self) -> Option<&'static str> {
        match self {
            Value::Card { .. } => Some("[CARD]"),
            Value::PersonalNumber { .. } => Some("[PERSONNUMMER]"),
            Value::Iban { .. } => Some("[IBAN]"),
            Value::Email { .. } => Some("[EMAIL]"),
            Value::Phone { .. } => Some("[PHONE]"),
            _ => None,
        }
    }

    /// The value without personal data: a card keeps its brand and last four digits, a
    /// personal identity number, IBAN, e-mail address or phone number has no value left
    /// (`None`); other values are kept.
    pub fn without_personal_data(self) -> Option<Value> {
        match self {
            Value::PersonalNumber { .. }
            | Value::Iban { .. }
            | Value::Email { .. }
            | Value::Phone { .. } => None,
            other => Some(other),
        }
    }
}

/// Serialises integral floats as integers (`2`, not `2.0`).
fn number<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}
