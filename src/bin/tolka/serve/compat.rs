//! Drop-in endpoints of other NLU servers: Rasa's `POST /model/parse` (so a Rasa assistant
//! can use tolka as its NLU server) and Duckling's `POST /parse` (so Rasa's
//! `DucklingEntityExtractor` can use tolka for English and Swedish values).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value as Json_, json};
use tolka::rules::{Context, Match, Value};
use tolka::{Analysis, Entity, EntitySource};

use super::AppState;
use super::api::{ApiError, FormBody, JsonBody, parse_locale, parse_zone};

/// Rasa's request: `{"text", "message_id"}` (Rasa also sends `token`; other fields are
/// ignored as Rasa's own server does).
#[derive(Debug, Deserialize)]
pub struct RasaRequest {
    text: String,
}

/// `POST /model/parse`: Rasa's parse result.
pub async fn rasa_parse(
    State(state): State<Arc<AppState>>,
    JsonBody(request): JsonBody<RasaRequest>,
) -> Result<Json<Json_>, ApiError> {
    super::api::check_lengths(&state, [request.text.as_str()])?;
    let context = Context::new(chrono::Local::now().fixed_offset());
    let mut analyses = state
        .batcher
        .analyze(vec![request.text.clone()], vec![context])
        .await?;
    let analysis = analyses.pop().unwrap_or_else(unreachable_analysis);
    Ok(Json(rasa_result(&request.text, &analysis)))
}

/// An analysis with nothing in it (the batcher answers one analysis per text).
fn unreachable_analysis() -> Analysis {
    Analysis {
        intent: None,
        entities: None,
        sentiment: None,
        emotions: None,
        lang: None,
    }
}

/// The analysis in Rasa's parse-result shape.
///
/// - `intent`: `{name, confidence}` (out-of-scope messages carry the model's out-of-scope
///   label, `oos`);
/// - `intent_ranking`: the model's best labels;
/// - `entities`: `{entity, start, end, value, confidence_entity, extractor: "tolka"}`, with
///   character offsets; `value` is the normalised scalar where the entity has one (a date,
///   an amount, an order id) and its text otherwise; the whole normalised value is in
///   `additional_info`;
/// - `sentiment`, `emotions`, `lang`: tolka's, beside Rasa's fields.
pub fn rasa_result(text: &str, analysis: &Analysis) -> Json_ {
    let intent = analysis.intent.as_ref();
    let ranking: Vec<Json_> = intent
        .map(|i| {
            i.top
                .iter()
                .map(|(name, confidence)| json!({"name": name, "confidence": confidence}))
                .collect()
        })
        .unwrap_or_default();
    let entities: Vec<Json_> = analysis
        .entities
        .iter()
        .flatten()
        .map(rasa_entity)
        .collect();
    let mut result = json!({
        "text": text,
        "intent": intent.map_or(json!({"name": null, "confidence": 0.0}), |i| {
            json!({"name": i.label, "confidence": i.confidence})
        }),
        "intent_ranking": ranking,
        "entities": entities,
    });
    let map = result.as_object_mut().expect("an object");
    if let Some(s) = &analysis.sentiment {
        map.insert("sentiment".into(), json!(s));
    }
    if let Some(e) = &analysis.emotions {
        map.insert("emotions".into(), json!(e));
    }
    if let Some(l) = &analysis.lang {
        map.insert("lang".into(), json!(l));
    }
    result
}

fn rasa_entity(e: &Entity) -> Json_ {
    let info = e.value.as_ref().map(|v| json!(v));
    let value = info
        .as_ref()
        .and_then(|v| v.get("value").or_else(|| v.get("amount")).cloned())
        .unwrap_or_else(|| json!(e.text));
    let mut out = json!({
        "entity": e.label,
        "start": e.start,
        "end": e.end,
        "value": value,
        "confidence_entity": e.confidence,
        "extractor": match e.source {
            EntitySource::Model => "tolka",
            EntitySource::Rule => "tolka_rules",
            EntitySource::Gazetteer => "tolka_catalog",
        },
    });
    if let Some(info) = info {
        out["additional_info"] = info;
    }
    out
}

/// Duckling's form fields.
#[derive(Debug, Deserialize)]
pub struct DucklingForm {
    text: String,
    /// `en_US`, `sv_SE`, …; every configured locale is tried when absent.
    #[serde(default)]
    locale: Option<String>,
    /// `lang` (Duckling's older field): `EN`, `SV`.
    #[serde(default)]
    lang: Option<String>,
    /// A JSON list of dimensions (`["time","amount-of-money"]`); all when absent or empty.
    #[serde(default)]
    dims: Option<String>,
    /// The reference time in milliseconds since the epoch; now when absent.
    #[serde(default)]
    reftime: Option<String>,
    /// An IANA time zone (`Europe/Stockholm`) or UTC offset; UTC when absent.
    #[serde(default)]
    tz: Option<String>,
}

/// `POST /parse`: Duckling's answer, a JSON list of `{body, start, end, dim, latent, value}`.
pub async fn duckling_parse(
    State(state): State<Arc<AppState>>,
    FormBody(form): FormBody<DucklingForm>,
) -> Result<Json<Json_>, ApiError> {
    let zone = form.tz.as_deref().map(parse_zone).transpose()?;
    let now = match form.reftime.as_deref().map(str::trim) {
        Some(ms) if !ms.is_empty() => ms
            .parse::<i64>()
            .ok()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            .ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    "`reftime` is not a time in milliseconds since 1970",
                )
            })?,
        _ => Utc::now(),
    };
    let reference_time = match zone {
        Some(zone) => zone.convert(&now),
        None => now.fixed_offset(),
    };
    let locale = form
        .locale
        .as_deref()
        .or(form.lang.as_deref())
        .map(parse_locale)
        .transpose()?;
    let dims: Option<Vec<String>> = match form.dims.as_deref().map(str::trim) {
        None | Some("") | Some("null") | Some("[]") => None,
        Some(list) => Some(serde_json::from_str(list).map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "`dims` is not a JSON list of strings",
            )
        })?),
    };
    let context = Context {
        reference_time,
        locale,
    };
    let analyzer = state.analyzer.clone();
    let text = form.text;
    let answer = tokio::task::spawn_blocking(move || {
        let matches = analyzer.rules().extract(&text, &context);
        duckling_entries(&text, &matches, reference_time, dims.as_deref())
    })
    .await
    .map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    })?;
    Ok(Json(answer))
}

/// The rule matches as Duckling entries (character offsets), keeping the dimensions in
/// `dims` (all when `None`).
pub fn duckling_entries(
    text: &str,
    matches: &[Match],
    reference_time: DateTime<FixedOffset>,
    dims: Option<&[String]>,
) -> Json_ {
    let mut out = Vec::new();
    let (mut byte, mut chars) = (0, 0);
    for m in matches {
        chars += text[byte..m.start].chars().count();
        let start = chars;
        chars += text[m.start..m.end].chars().count();
        byte = m.end;
        let Some((dim, value)) = duckling_value(m, reference_time) else {
            continue;
        };
        if dims.is_some_and(|d| !d.iter().any(|x| x == dim)) {
            continue;
        }
        // A card number is not echoed either.
        let body = match m.value {
            Value::Card { .. } => "[CARD]",
            _ => &text[m.start..m.end],
        };
        out.push(json!({
            "body": body,
            "start": start,
            "end": chars,
            "dim": dim,
            "latent": false,
            "value": value,
        }));
    }
    Json_::Array(out)
}

/// Duckling's timestamp format: `2026-11-25T00:00:00.000+01:00`.
fn stamp(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
}

fn amount(decimal: &str) -> Json_ {
    decimal.parse::<f64>().map_or(json!(decimal), |x| json!(x))
}

fn scalar(v: f64) -> Json_ {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn midnight(day: NaiveDate, offset: FixedOffset) -> DateTime<FixedOffset> {
    offset
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .unwrap_or_else(|| day.and_time(NaiveTime::MIN).and_utc().fixed_offset())
}

/// A match's Duckling dimension and value; `None` for personal identity numbers and IBANs
/// (no Duckling dimension, and personal data) and product attributes (an analysis value, not
/// a rule match).
fn duckling_value(m: &Match, reference_time: DateTime<FixedOffset>) -> Option<(&str, Json_)> {
    let value = |v: Json_| json!({"type": "value", "value": v});
    Some(match &m.value {
        Value::Money {
            amount: a,
            currency,
        } => (
            "amount-of-money",
            json!({"type": "value", "value": amount(a), "unit": currency}),
        ),
        Value::PriceRange { min, max, currency } => {
            let end = |x: &Option<String>| {
                x.as_deref()
                    .map(|x| json!({"value": amount(x), "unit": currency}))
            };
            let mut v = json!({"type": "interval"});
            if let Some(from) = end(min) {
                v["from"] = from;
            }
            if let Some(to) = end(max) {
                v["to"] = to;
            }
            ("amount-of-money", v)
        }
        Value::Number { value: x } => ("number", value(scalar(*x))),
        Value::Ordinal { value: x } => ("ordinal", value(json!(x))),
        Value::Quantity { value: x, unit } => (
            "quantity",
            json!({"type": "value", "value": scalar(*x), "unit": unit}),
        ),
        Value::Date { value: day } => {
            let t = stamp(midnight(*day, *reference_time.offset()));
            let v = json!({"value": t, "grain": "day", "type": "value"});
            (
                "time",
                json!({"type": "value", "value": t, "grain": "day", "values": [v]}),
            )
        }
        Value::Time { value: t } => {
            let v = json!({"value": stamp(*t), "grain": "minute", "type": "value"});
            (
                "time",
                json!({"type": "value", "value": stamp(*t), "grain": "minute", "values": [v]}),
            )
        }
        Value::Interval { from, to } => (
            "time",
            json!({
                "type": "interval",
                "from": {"value": stamp(*from), "grain": "minute"},
                "to": {"value": stamp(*to), "grain": "minute"},
            }),
        ),
        Value::Duration {
            value: iso,
            seconds,
        } => (
            "duration",
            json!({
                "type": "value",
                "value": seconds,
                "unit": "second",
                "iso": iso,
                "normalized": {"value": seconds, "unit": "second"},
            }),
        ),
        Value::Email { value: v } => ("email", value(json!(v))),
        Value::Phone { value: v } => ("phone-number", value(json!(v))),
        Value::Url { value: v } => {
            let domain = v
                .split("://")
                .nth(1)
                .unwrap_or(v)
                .split(['/', '?', '#'])
                .next()
                .unwrap_or_default();
            (
                "url",
                json!({"type": "value", "value": v, "domain": domain}),
            )
        }
        // The card number itself is not kept, only its issuer and last four digits.
        Value::Card { brand, last4 } => (
            "credit-card-number",
            json!({"type": "value", "issuer": brand, "last4": last4}),
        ),
        Value::OrderId { value: v } => ("order-id", value(json!(v))),
        Value::TrackingNumber { value: v, carrier } => (
            "tracking-number",
            json!({"type": "value", "value": v, "carrier": carrier}),
        ),
        Value::PostalCode { value: v, country } => (
            "postal-code",
            json!({"type": "value", "value": v, "country": country}),
        ),
        Value::Size { value: v, system } => (
            "size",
            json!({"type": "value", "value": v, "system": system}),
        ),
        Value::Color { value: v } => ("color", value(json!(v))),
        Value::PaymentMethod { value: v } => ("payment-method", value(json!(v))),
        Value::Catalog {
            id,
            entry_type,
            name,
        } => (
            "catalog",
            json!({"type": "value", "value": name, "id": id, "entry_type": entry_type}),
        ),
        Value::PersonalNumber { .. } | Value::Iban { .. } | Value::Product { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tolka::rules::{RuleConfig, Rules};

    fn parse(text: &str) -> Json_ {
        let rules = Rules::new(&RuleConfig::default()).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00").unwrap();
        let matches = rules.extract(text, &Context::new(now));
        duckling_entries(text, &matches, now, None)
    }

    #[test]
    fn duckling_shapes() {
        let out = parse("kan jag få den imorgon för 499 kr?");
        let list = out.as_array().unwrap();
        let time = list.iter().find(|e| e["dim"] == "time").expect("a time");
        assert_eq!(time["body"], "imorgon");
        assert_eq!(time["start"], 15);
        assert_eq!(time["end"], 22);
        assert_eq!(time["value"]["value"], "2026-11-25T00:00:00.000+01:00");
        assert_eq!(time["value"]["grain"], "day");
        let money = list
            .iter()
            .find(|e| e["dim"] == "amount-of-money")
            .expect("money");
        assert_eq!(money["value"]["value"], 499.0);
        assert_eq!(money["value"]["unit"], "SEK");
    }

    #[test]
    fn duckling_keeps_no_card_number_and_filters_dims() {
        let rules = Rules::new(&RuleConfig::default()).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00").unwrap();
        let text = "card 4111 1111 1111 1111 charged $20 twice";
        let matches = rules.extract(text, &Context::new(now));
        let all = duckling_entries(text, &matches, now, None).to_string();
        assert!(!all.contains("4111 1111") && all.contains("credit-card-number"));
        let money = duckling_entries(text, &matches, now, Some(&["amount-of-money".into()]));
        let dims: Vec<&str> = money
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["dim"].as_str().unwrap())
            .collect();
        assert_eq!(dims, ["amount-of-money"]);
    }
}
