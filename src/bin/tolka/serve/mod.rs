//! `tolka serve`: the HTTP server.
//!
//! One model thread runs the encoder (see [`batcher`]); the async runtime only parses
//! requests, runs the cheap rule layer and answers. Routes:
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/analyze` | `{"text"}` → `{"analysis"}`, `{"texts"}` → `{"analyses"}` |
//! | `POST /v1/redact` | personal data replaced by placeholders, no encoder pass |
//! | `POST /v1/parse` | rule values only (as `tolka parse`) |
//! | `POST /v1/conversations/{id}/turns` | a turn of a conversation held by the server |
//! | `GET`, `DELETE /v1/conversations/{id}` | its state; forget it |
//! | `POST /v1/turns` | a turn of a conversation whose state the client keeps |
//! | `POST /model/parse` | Rasa's NLU server endpoint |
//! | `POST /parse` | Duckling's endpoint (form fields) |
//! | `GET /healthz`, `/readyz`, `/metrics`, `/openapi.json`, `/` | health, Prometheus, OpenAPI, playground |

mod api;
mod batcher;
mod compat;
mod metrics;
mod openapi;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use clap::Args;
use tolka::Analyzer;

use crate::ModelArgs;
use api::ApiError;
use batcher::{BatchConfig, Batcher};
use metrics::{Metrics, RequestLabels, RouteLabels};
use store::Store;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0: any free port; the chosen one is printed)
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Most texts per model batch (requests are batched together up to this)
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    max_batch_size: u32,
    /// Longest a request waits for others to join its batch, in milliseconds (only while
    /// requests overlap; a lone request does not wait)
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    max_wait_ms: u64,
    /// Most texts waiting for the model; more are answered 429
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_queue: u32,
    /// Largest request body in bytes; larger are answered 413
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(64..=1 << 30))]
    max_body_bytes: u64,
    /// Most texts in one request; more are answered 413
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_texts: u32,
    /// Longest text accepted, in characters; longer are answered 413 (the encoder's time
    /// grows with a text's length, about 1 s per 10,000 characters on two cores)
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    max_chars: u32,
    /// Conversations held in memory; the least recently used goes first
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    max_conversations: u32,
    /// A conversation is forgotten this many seconds after its last turn
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    conversation_ttl_s: u64,
}

/// What the handlers share.
pub struct AppState {
    analyzer: Arc<Analyzer>,
    batcher: Batcher,
    metrics: Arc<Metrics>,
    store: Store,
    max_texts: usize,
    model_name: String,
}

/// Loads the model, serves until SIGTERM or SIGINT, then answers what is in flight and
/// returns.
pub fn run(args: ServeArgs) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "tolka=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let started = Instant::now();
    let max_chars = args.max_chars as usize;
    let analyzer = Arc::new(args.model.load_with(|b| b.max_chars(max_chars))?);
    let model_name = analyzer.manifest().name.clone();
    tracing::info!(
        model = %model_name,
        precision = ?analyzer.precision(),
        seconds = started.elapsed().as_secs_f64(),
        "model loaded"
    );
    let metrics = Arc::new(Metrics::new());
    let (batcher, worker) = Batcher::start(
        analyzer.clone(),
        BatchConfig {
            max_batch_size: args.max_batch_size as usize,
            max_wait: Duration::from_millis(args.max_wait_ms),
            max_queue: args.max_queue as usize,
        },
        metrics.clone(),
    );
    let state = Arc::new(AppState {
        analyzer,
        batcher,
        metrics,
        store: Store::new(
            Duration::from_secs(args.conversation_ttl_s),
            args.max_conversations as usize,
        ),
        max_texts: args.max_texts as usize,
        model_name,
    });
    let ttl = Duration::from_secs(args.conversation_ttl_s);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let address = format!("{}:{}", args.host, args.port);
    let body_limit = usize::try_from(args.max_body_bytes).unwrap_or(usize::MAX);
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .with_context(|| format!("listening on {address}"))?;
        let local: SocketAddr = listener.local_addr()?;
        // The one line on stdout: scripts read the port from it.
        println!("tolka: listening on http://{local}");
        tracing::info!(%local, "listening");
        let sweeper = tokio::spawn({
            let state = Arc::downgrade(&state);
            async move {
                let mut tick = tokio::time::interval(
                    (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(60)),
                );
                loop {
                    tick.tick().await;
                    let Some(state) = state.upgrade() else { break };
                    let left = state.store.sweep();
                    state.metrics.conversations.set(left as i64);
                }
            }
        });
        axum::serve(listener, router(state.clone(), body_limit))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")?;
        sweeper.abort();
        anyhow::Ok(())
    })?;
    tracing::info!("stopped accepting; finishing queued work");
    drop(state);
    let _ = worker.join();
    tracing::info!("shut down");
    Ok(())
}

/// SIGTERM or SIGINT.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutdown signal");
}

/// Every route, with the metrics, body-limit and panic layers.
fn router(state: Arc<AppState>, body_limit: usize) -> Router {
    Router::new()
        .route("/v1/analyze", post(api::analyze))
        .route("/v1/redact", post(api::redact))
        .route("/v1/parse", post(api::parse))
        .route("/v1/conversations/{id}/turns", post(api::conversation_turn))
        .route(
            "/v1/conversations/{id}",
            get(api::get_conversation).delete(api::delete_conversation),
        )
        .route("/v1/turns", post(api::stateless_turn))
        .route("/model/parse", post(compat::rasa_parse))
        .route("/parse", post(compat::duckling_parse))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(openapi::document))
        .route("/", get(playground))
        .route_layer(middleware::from_fn_with_state(state.clone(), track))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// Counts and times each request by route and status (no bodies, no paths with ids).
async fn track(
    State(state): State<Arc<AppState>>,
    route: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let route = route.map_or_else(|| "unmatched".to_owned(), |r| r.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            status,
        })
        .inc();
    tracing::debug!(%route, status, ms = seconds * 1e3, "request");
    state
        .metrics
        .duration
        .get_or_create(&RouteLabels { route })
        .observe(seconds);
    response
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    )
    .into_response()
}

async fn no_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see /openapi.json",
    )
}

async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see /openapi.json",
    )
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

async fn readyz(State(state): State<Arc<AppState>>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "status": "ready",
        "model": state.model_name,
        "queued_texts": state.batcher.queued(),
    }))
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

async fn playground() -> Html<&'static str> {
    Html(include_str!("playground.html"))
}
