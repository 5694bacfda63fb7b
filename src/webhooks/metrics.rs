//! The webhook families, registered into the process registry by
//! `crate::metrics` and recorded here.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    pub endpoint: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabel {
    pub endpoint: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

pub struct WebhookMetrics {
    pub deliveries: Family<DeliveryLabels, Counter>,
    pub latency: HistogramFamily<EndpointLabel>,
    pub backlog: Family<EndpointLabel, Gauge>,
    pub disabled: Gauge,
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~32 s: past the longest timeout anyone should configure.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

pub fn webhook_metrics() -> &'static WebhookMetrics {
    static M: OnceLock<WebhookMetrics> = OnceLock::new();
    M.get_or_init(|| WebhookMetrics {
        deliveries: Family::default(),
        latency: Family::new_with_constructor(latency_histogram),
        backlog: Family::default(),
        disabled: Gauge::default(),
    })
}

pub fn register(registry: &mut Registry) {
    let m = webhook_metrics();
    registry.register(
        "webhook_deliveries",
        "Webhook delivery attempts by endpoint and outcome (success, http_error, timeout, connection_error, refused)",
        m.deliveries.clone(),
    );
    registry.register(
        "webhook_delivery_duration_seconds",
        "Time from sending a webhook to its response",
        m.latency.clone(),
    );
    registry.register(
        "webhook_backlog_seconds",
        "Age of the oldest event not yet delivered to the endpoint; 0 when none waits",
        m.backlog.clone(),
    );
    registry.register(
        "webhook_endpoints_disabled",
        "Webhook endpoints that are disabled (by an operator, or after failing too long)",
        m.disabled.clone(),
    );
}

impl WebhookMetrics {
    pub fn attempt(&self, endpoint: &str, outcome: &'static str, seconds: f64) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                endpoint: endpoint.into(),
                outcome: outcome.into(),
            })
            .inc();
        self.latency
            .get_or_create(&EndpointLabel {
                endpoint: endpoint.into(),
            })
            .observe(seconds);
    }

    pub fn set_backlog(&self, endpoint: &str, ms: u64) {
        self.backlog
            .get_or_create(&EndpointLabel {
                endpoint: endpoint.into(),
            })
            .set((ms / 1000) as i64);
    }

    pub fn forget(&self, endpoint: &str) {
        self.backlog.remove(&EndpointLabel {
            endpoint: endpoint.into(),
        });
    }
}
