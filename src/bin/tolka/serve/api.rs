//! The JSON API: request and response types, errors, and the `/v1` handlers.

use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Local, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tolka::rules::{Context, Locale};
use tolka::{Conversation, EscalationConfig, Speaker, TurnInput};

use super::AppState;
use super::batcher::JobError;
use crate::time::Zone;

/// Longest conversation id accepted, in bytes.
const MAX_ID_BYTES: usize = 256;

/// An error answer: `{"error": message, "code": code}` with its status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": self.message, "code": self.code})),
        )
            .into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Overloaded => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "overloaded",
                "the queue is full; retry later",
            ),
            JobError::Failed(message) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
            }
        }
    }
}

/// Quoted strings in deserialisation errors can hold what the client sent (personal data,
/// perhaps): answers and logs carry `"…"` instead.
fn without_quotes(message: &str) -> String {
    static QUOTED: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r#""(?:[^"\\]|\\.)*""#).expect("valid regex"));
    QUOTED.replace_all(message, "\"…\"").into_owned()
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let message = without_quotes(&rejection.body_text());
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected `Content-Type: application/json`",
            ),
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json", message)
            }
            JsonRejection::JsonDataError(_) => ApiError::invalid(message),
            other => body_error(other.status(), message),
        }
    }
}

impl From<FormRejection> for ApiError {
    fn from(rejection: FormRejection) -> Self {
        let message = without_quotes(&rejection.body_text());
        match rejection {
            FormRejection::InvalidFormContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected `Content-Type: application/x-www-form-urlencoded`",
            ),
            FormRejection::FailedToDeserializeForm(_)
            | FormRejection::FailedToDeserializeFormBody(_) => ApiError::invalid(message),
            other => body_error(other.status(), message),
        }
    }
}

fn body_error(status: StatusCode, message: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "body_too_large",
            "the request body is over the limit",
        )
    } else {
        ApiError::new(status, "bad_request", message)
    }
}

/// `Json<T>` whose rejections are [`ApiError`]s.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(JsonBody(value))
    }
}

/// `Form<T>` whose rejections are [`ApiError`]s.
pub struct FormBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for FormBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Form(value) = axum::Form::<T>::from_request(req, state).await?;
        Ok(FormBody(value))
    }
}

/// 413 `text_too_long` for the first of `texts` over the analyzer's `max_chars`.
pub fn check_lengths<'a>(
    state: &AppState,
    texts: impl IntoIterator<Item = &'a str>,
) -> Result<(), ApiError> {
    let Some(max) = state.analyzer.max_chars() else {
        return Ok(());
    };
    for (i, text) in texts.into_iter().enumerate() {
        if text.len() > max && text.chars().count() > max {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "text_too_long",
                format!("text {i} is longer than {max} characters (--max-chars)"),
            ));
        }
    }
    Ok(())
}

/// The texts of a request with `text` or `texts` (exactly one), and whether it had one
/// `text`.
fn take_texts(
    text: Option<String>,
    texts: Option<Vec<String>>,
    max_texts: usize,
) -> Result<(Vec<String>, bool), ApiError> {
    match (text, texts) {
        (Some(text), None) => Ok((vec![text], true)),
        (None, Some(texts)) if texts.len() > max_texts => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_texts",
            format!("{} texts; at most {max_texts} per request", texts.len()),
        )),
        (None, Some(texts)) => Ok((texts, false)),
        (Some(_), Some(_)) => Err(ApiError::invalid("give `text` or `texts`, not both")),
        (None, None) => Err(ApiError::invalid("missing `text` (or `texts`)")),
    }
}

/// A `timezone` field: a UTC offset or an IANA name (`Europe/Stockholm`).
pub fn parse_zone(s: &str) -> Result<Zone, ApiError> {
    Zone::parse(s).map_err(|_| {
        ApiError::invalid(format!(
            "unknown time zone `{}` (a UTC offset such as `+01:00`, or an IANA name such as `Europe/Stockholm`)",
            s.chars().take(64).collect::<String>()
        ))
    })
}

/// `en`, `sv`, or a locale such as `en_US` / `sv-SE`.
pub fn parse_locale(s: &str) -> Result<Locale, ApiError> {
    let lang = s.split(['_', '-']).next().unwrap_or_default();
    match lang.to_ascii_lowercase().as_str() {
        "en" => Ok(Locale::En),
        "sv" => Ok(Locale::Sv),
        _ => Err(ApiError::invalid(
            "unsupported locale (English `en` or Swedish `sv`)",
        )),
    }
}

/// An RFC 3339 time.
pub fn parse_time(s: &str, field: &str) -> Result<DateTime<FixedOffset>, ApiError> {
    DateTime::parse_from_rfc3339(s).map_err(|e| {
        ApiError::invalid(format!(
            "`{field}` is not an RFC 3339 time (such as 2026-12-04T15:30:00+01:00): {e}"
        ))
    })
}

/// The rule context of a request: `reference_time` (RFC 3339) else now, in `timezone` when
/// given; `locale`.
fn context(
    reference_time: Option<&str>,
    timezone: Option<&str>,
    locale: Option<&str>,
) -> Result<Context, ApiError> {
    let zone = timezone.map(parse_zone).transpose()?;
    let reference_time = match (reference_time, zone) {
        (Some(t), zone) => {
            let t = parse_time(t, "reference_time")?;
            zone.map_or(t, |z| z.convert(&t))
        }
        (None, Some(zone)) => zone.convert(&Utc::now()),
        (None, None) => Local::now().fixed_offset(),
    };
    let locale = locale.map(parse_locale).transpose()?;
    Ok(Context {
        reference_time,
        locale,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    texts: Option<Vec<String>>,
    #[serde(default)]
    reference_time: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    redact: bool,
}

/// `POST /v1/analyze`.
pub async fn analyze(
    State(state): State<Arc<AppState>>,
    JsonBody(request): JsonBody<AnalyzeRequest>,
) -> Result<Json<Value>, ApiError> {
    let (texts, single) = take_texts(request.text, request.texts, state.max_texts)?;
    check_lengths(&state, texts.iter().map(String::as_str))?;
    let context = context(
        request.reference_time.as_deref(),
        request.timezone.as_deref(),
        request.locale.as_deref(),
    )?;
    let contexts = vec![context; texts.len()];
    let redact = request.redact;
    let keep = redact.then(|| texts.clone());
    let analyses = state.batcher.analyze(texts, contexts).await?;
    let mut out = Vec::with_capacity(analyses.len());
    for (i, mut analysis) in analyses.into_iter().enumerate() {
        let redacted = keep.as_ref().map(|texts| {
            state
                .analyzer
                .redact_analysis(&texts[i], &mut analysis)
                .text
        });
        let mut value = serde_json::to_value(&analysis).map_err(internal)?;
        if let (Some(text), Value::Object(map)) = (redacted, &mut value) {
            map.insert("redacted_text".into(), text.into());
        }
        out.push(value);
    }
    Ok(Json(if single {
        json!({"analysis": out.pop()})
    } else {
        json!({"analyses": out})
    }))
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("internal error: {e}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedactRequest {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    texts: Option<Vec<String>>,
}

/// `POST /v1/redact`: no encoder pass.
pub async fn redact(
    State(state): State<Arc<AppState>>,
    JsonBody(request): JsonBody<RedactRequest>,
) -> Result<Json<Value>, ApiError> {
    let (texts, single) = take_texts(request.text, request.texts, state.max_texts)?;
    let analyzer = state.analyzer.clone();
    let mut redactions = tokio::task::spawn_blocking(move || {
        texts.iter().map(|t| analyzer.redact(t)).collect::<Vec<_>>()
    })
    .await
    .map_err(internal)?;
    Ok(Json(if single {
        json!({"redaction": redactions.pop()})
    } else {
        json!({"redactions": redactions})
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParseRequest {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    texts: Option<Vec<String>>,
    #[serde(default)]
    reference_time: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    locale: Option<String>,
}

/// `POST /v1/parse`: the rule layer alone.
pub async fn parse(
    State(state): State<Arc<AppState>>,
    JsonBody(request): JsonBody<ParseRequest>,
) -> Result<Json<Value>, ApiError> {
    let (texts, single) = take_texts(request.text, request.texts, state.max_texts)?;
    let context = context(
        request.reference_time.as_deref(),
        request.timezone.as_deref(),
        request.locale.as_deref(),
    )?;
    let analyzer = state.analyzer.clone();
    let mut results = tokio::task::spawn_blocking(move || {
        texts
            .iter()
            .map(|t| {
                let matches = analyzer.rules().extract(t, &context);
                crate::parse::matches_json(t, &matches).map(|m| json!({"matches": m}))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    Ok(Json(if single {
        results.pop().unwrap_or_default()
    } else {
        json!({"results": results})
    }))
}

/// A turn of a conversation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnRequest {
    text: String,
    #[serde(default = "customer")]
    speaker: Speaker,
    /// RFC 3339; relative dates resolve against it.
    #[serde(default)]
    time: Option<String>,
    /// Only when the conversation starts: keep no personal data.
    #[serde(default)]
    redact: Option<bool>,
    /// Only when the conversation starts: escalation thresholds.
    #[serde(default)]
    config: Option<EscalationConfig>,
}

fn customer() -> Speaker {
    Speaker::Customer
}

impl TurnRequest {
    fn new_conversation(&self) -> Conversation {
        Conversation::new()
            .redacting(self.redact.unwrap_or(false))
            .with_config(self.config.clone().unwrap_or_default())
    }
}

/// Runs one turn on the model thread; `conversation` is updated only when it succeeds.
async fn run_turn(
    state: &AppState,
    conversation: &mut Conversation,
    request: TurnRequest,
) -> Result<Value, ApiError> {
    check_lengths(state, [request.text.as_str()])?;
    let time = request
        .time
        .as_deref()
        .map(|t| parse_time(t, "time"))
        .transpose()?;
    let mut copy = conversation.clone();
    let (result, copy) = state
        .batcher
        .run(move |analyzer| {
            let input = TurnInput {
                text: &request.text,
                speaker: request.speaker,
                time,
            };
            let result = copy.turn(analyzer, input);
            (result, copy)
        })
        .await?;
    let turn = result.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the analysis failed",
        )
    })?;
    *conversation = copy;
    serde_json::to_value(turn).map_err(internal)
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        return Err(ApiError::invalid(format!(
            "a conversation id has 1 to {MAX_ID_BYTES} bytes"
        )));
    }
    Ok(())
}

/// `POST /v1/conversations/{id}/turns`.
pub async fn conversation_turn(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<TurnRequest>,
) -> Result<Json<Value>, ApiError> {
    check_id(&id)?;
    let shared = state
        .store
        .get_or_create(&id, || request.new_conversation());
    state.metrics.conversations.set(state.store.len() as i64);
    let mut conversation = shared.lock().await;
    let analysis = run_turn(&state, &mut conversation, request).await?;
    Ok(Json(json!({"conversation": id, "analysis": analysis})))
}

fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such conversation (never started, deleted, or expired)",
    )
}

fn state_json(conversation: &Conversation) -> Result<Value, ApiError> {
    serde_json::from_str(&conversation.to_json()).map_err(internal)
}

/// `GET /v1/conversations/{id}`: the state.
pub async fn get_conversation(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_id(&id)?;
    let shared = state.store.get(&id).ok_or_else(not_found)?;
    let conversation = shared.lock().await;
    Ok(Json(
        json!({"conversation": id, "state": state_json(&conversation)?}),
    ))
}

/// `DELETE /v1/conversations/{id}`.
pub async fn delete_conversation(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_id(&id)?;
    let removed = state.store.remove(&id);
    state.metrics.conversations.set(state.store.len() as i64);
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

/// A stateless turn: the client keeps the state.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatelessTurnRequest {
    /// The `state` of the previous answer; none for a new conversation.
    #[serde(default)]
    state: Option<Value>,
    text: String,
    #[serde(default = "customer")]
    speaker: Speaker,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    redact: Option<bool>,
    #[serde(default)]
    config: Option<EscalationConfig>,
}

/// `POST /v1/turns`.
pub async fn stateless_turn(
    State(state): State<Arc<AppState>>,
    JsonBody(request): JsonBody<StatelessTurnRequest>,
) -> Result<Json<Value>, ApiError> {
    let turn = TurnRequest {
        text: request.text,
        speaker: request.speaker,
        time: request.time,
        redact: request.redact,
        config: request.config,
    };
    let mut conversation = match &request.state {
        None | Some(Value::Null) => turn.new_conversation(),
        Some(value) => Conversation::from_json(&value.to_string()).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_state",
                without_quotes(&e.to_string()),
            )
        })?,
    };
    let analysis = run_turn(&state, &mut conversation, turn).await?;
    Ok(Json(
        json!({"analysis": analysis, "state": state_json(&conversation)?}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_do_not_quote_the_input() {
        let message = r#"texts: invalid type: string "anna@example.se \"x\"", expected a sequence"#;
        assert_eq!(
            without_quotes(message),
            r#"texts: invalid type: string "…", expected a sequence"#
        );
    }

    #[test]
    fn zones_and_locales() {
        let t = "2026-12-04T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let local = |s| parse_zone(s).unwrap().convert(&t).to_rfc3339();
        assert_eq!(local("Europe/Stockholm"), "2026-12-04T13:00:00+01:00");
        assert_eq!(local("-05:00"), "2026-12-04T07:00:00-05:00");
        assert_eq!(local("UTC"), "2026-12-04T12:00:00+00:00");
        assert!(parse_zone("Mars/Olympus").is_err());
        assert_eq!(parse_locale("sv_SE").unwrap(), Locale::Sv);
        assert_eq!(parse_locale("en-US").unwrap(), Locale::En);
        assert!(parse_locale("de").is_err());
    }
}
