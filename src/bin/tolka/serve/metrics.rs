//! Prometheus metrics (`GET /metrics`), every series prefixed `tolka_`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A request's route (the matched pattern, not the path) and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

/// A request's route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

type DurationFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The server's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    /// `tolka_requests_total{route, status}`.
    pub requests: Family<RequestLabels, Counter>,
    /// `tolka_request_duration_seconds{route}`.
    pub duration: DurationFamily,
    /// `tolka_queue_length`: texts waiting for the model.
    pub queue_length: Gauge,
    /// `tolka_batch_size`: texts per encoder batch.
    pub batch_size: Histogram,
    /// `tolka_texts_analysed_total`.
    pub texts: Counter,
    /// `tolka_conversations`: conversations held in memory.
    pub conversations: Gauge,
}

fn duration_histogram() -> Histogram {
    // 0.25 ms … about 4 s.
    Histogram::new(exponential_buckets(0.00025, 2.0, 15))
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("tolka");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let duration: DurationFamily = Family::new_with_constructor(duration_histogram);
        registry.register(
            "request_duration_seconds",
            "HTTP request duration by route",
            duration.clone(),
        );
        let queue_length = Gauge::default();
        registry.register(
            "queue_length",
            "Texts waiting for the model",
            queue_length.clone(),
        );
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        registry.register("batch_size", "Texts per encoder batch", batch_size.clone());
        let texts = Counter::default();
        registry.register(
            "texts_analysed",
            "Texts analysed by the model",
            texts.clone(),
        );
        let conversations = Gauge::default();
        registry.register(
            "conversations",
            "Conversations held in memory",
            conversations.clone(),
        );
        Metrics {
            registry,
            requests,
            duration,
            queue_length,
            batch_size,
            texts,
            conversations,
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        out
    }
}
