//! The OpenAPI 3 document of the server (`GET /openapi.json`).

use axum::Json;
use serde_json::{Value, json};

/// `GET /openapi.json`.
pub async fn document() -> Json<Value> {
    Json(spec())
}

fn body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn answer(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn errors() -> Value {
    let e = |d: &str| answer(d, json!({"$ref": "#/components/schemas/Error"}));
    json!({
        "413": e("body over --max-body-bytes, more than --max-texts texts, or a text over --max-chars"),
        "415": e("not JSON (`Content-Type`)"),
        "422": e("invalid JSON or fields"),
        "429": e("queue full; see `Retry-After`"),
        "500": e("internal failure"),
    })
}

fn with_errors(ok: Value) -> Value {
    let mut responses = errors();
    responses["200"] = ok;
    responses
}

/// The document.
pub fn spec() -> Value {
    let object = json!({"type": "object"});
    let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "maxLength": 256}}]);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "tolka",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Intent, entities with normalised values, sentiment, emotions and escalation for shoppers' messages in English and Swedish.",
        },
        "paths": {
            "/v1/analyze": {"post": {
                "summary": "Analyse one text or a list (batched with other requests)",
                "requestBody": body("AnalyzeRequest"),
                "responses": with_errors(answer("`analysis` for `text`, `analyses` for `texts`", object.clone())),
            }},
            "/v1/redact": {"post": {
                "summary": "Replace cards, personnummer, IBANs, e-mails and phones by placeholders",
                "requestBody": body("TextsRequest"),
                "responses": with_errors(answer("`redaction` or `redactions`: `{text, entities}`", object.clone())),
            }},
            "/v1/parse": {"post": {
                "summary": "Rule values only (money, numbers, dates, times, sizes, colours, contacts)",
                "requestBody": body("ParseRequest"),
                "responses": with_errors(answer("`matches` for `text`, `results` for `texts`", object.clone())),
            }},
            "/v1/conversations/{id}/turns": {"post": {
                "summary": "Analyse the next turn of a conversation held by the server",
                "parameters": id,
                "requestBody": body("TurnRequest"),
                "responses": with_errors(answer("`analysis` with `turn`, `escalation` and `slots` (customer turns)", object.clone())),
            }},
            "/v1/conversations/{id}": {
                "get": {
                    "summary": "The conversation's state",
                    "parameters": id,
                    "responses": {"200": answer("`state`", object.clone()), "404": answer("no such conversation", json!({"$ref": "#/components/schemas/Error"}))},
                },
                "delete": {
                    "summary": "Forget the conversation",
                    "parameters": id,
                    "responses": {"204": {"description": "forgotten"}, "404": answer("no such conversation", json!({"$ref": "#/components/schemas/Error"}))},
                },
            },
            "/v1/turns": {"post": {
                "summary": "A turn of a conversation whose state the client keeps",
                "requestBody": body("StatelessTurnRequest"),
                "responses": with_errors(answer("`analysis` and the new `state`", object.clone())),
            }},
            "/model/parse": {"post": {
                "summary": "Rasa's NLU server endpoint (`endpoints.yml`: `nlu: url:`)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}, "message_id": {"type": "string"}}}}}},
                "responses": with_errors(answer("Rasa's parse result: text, intent, intent_ranking, entities", object.clone())),
            }},
            "/parse": {"post": {
                "summary": "Duckling's endpoint (Rasa's DucklingEntityExtractor `url`)",
                "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["text"], "properties": {
                    "text": {"type": "string"},
                    "locale": {"type": "string", "example": "sv_SE"},
                    "dims": {"type": "string", "example": "[\"time\",\"amount-of-money\"]"},
                    "reftime": {"type": "string", "description": "milliseconds since 1970"},
                    "tz": {"type": "string", "example": "Europe/Stockholm"},
                }}}}},
                "responses": with_errors(answer("Duckling's list of {body, start, end, dim, latent, value}", json!({"type": "array", "items": object.clone()}))),
            }},
            "/healthz": {"get": {"summary": "Alive", "responses": {"200": answer("ok", object.clone())}}},
            "/readyz": {"get": {"summary": "Model loaded", "responses": {"200": answer("ready", object.clone())}}},
            "/metrics": {"get": {"summary": "Prometheus metrics (series prefixed tolka_)", "responses": {"200": {"description": "OpenMetrics text"}}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {"200": answer("OpenAPI 3", object.clone())}}},
            "/": {"get": {"summary": "Playground page", "responses": {"200": {"description": "HTML"}}}},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error", "code"], "properties": {
                "error": {"type": "string"},
                "code": {"type": "string", "enum": ["invalid_json", "invalid_request", "invalid_state", "unsupported_media_type", "body_too_large", "too_many_texts", "text_too_long", "overloaded", "not_found", "method_not_allowed", "internal", "bad_request"]},
            }},
            "TextsRequest": texts_request(json!({})),
            "AnalyzeRequest": texts_request(json!({
                "reference_time": {"type": "string", "format": "date-time", "description": "RFC 3339; relative dates resolve against it (default: now)"},
                "timezone": {"type": "string", "description": "UTC offset or IANA name"},
                "locale": {"type": "string", "enum": ["en", "sv"]},
                "redact": {"type": "boolean", "description": "no personal data in the answer; adds `redacted_text`"},
            })),
            "ParseRequest": texts_request(json!({
                "reference_time": {"type": "string", "format": "date-time"},
                "timezone": {"type": "string"},
                "locale": {"type": "string", "enum": ["en", "sv"]},
            })),
            "TurnRequest": turn_request(false),
            "StatelessTurnRequest": turn_request(true),
        }},
    })
}

fn texts_request(extra: Value) -> Value {
    let mut properties = json!({
        "text": {"type": "string"},
        "texts": {"type": "array", "items": {"type": "string"}},
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        properties[k] = v.clone();
    }
    json!({"type": "object", "additionalProperties": false, "properties": properties,
           "description": "exactly one of `text` and `texts`"})
}

fn turn_request(stateless: bool) -> Value {
    let mut properties = json!({
        "text": {"type": "string"},
        "speaker": {"type": "string", "enum": ["customer", "agent"], "default": "customer"},
        "time": {"type": "string", "format": "date-time"},
        "redact": {"type": "boolean", "description": "when the conversation starts: keep no personal data"},
        "config": {"type": "object", "description": "when the conversation starts: escalation thresholds (EscalationConfig)"},
    });
    if stateless {
        properties["state"] = json!({"type": "object", "nullable": true, "description": "`state` of the previous answer"});
    }
    json!({"type": "object", "additionalProperties": false, "required": ["text"], "properties": properties})
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_is_documented() {
        let spec = super::spec();
        let source = include_str!("mod.rs");
        // `.route("/path", …)` on one line, or `"/path",` on the line after `.route(`.
        let routes: Vec<&str> = source
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix(".route(\"").or_else(|| l.strip_prefix('"')))
            .filter(|l| l.starts_with('/'))
            .filter_map(|l| l.split('"').next())
            .collect();
        assert_eq!(routes.len(), 13, "{routes:?}");
        for route in routes {
            assert!(
                spec["paths"].get(route).is_some(),
                "{route} is not in the OpenAPI document"
            );
        }
    }
}
