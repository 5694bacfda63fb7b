//! Prometheus metrics, served on their own HTTP listener (127.0.0.1 by
//! default). Counters and histograms are recorded where things happen; gauges
//! that mirror live state (circuits, streams, store size) are read at scrape
//! time, so no component has to keep them up to date.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::providers::breaker::CircuitState;
use crate::providers::Router;
use crate::store::Store;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub provider: String,
    pub operation: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub provider: String,
    pub operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProviderLabel {
    pub provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SettlementLabels {
    pub provider: String,
    pub path: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InvoiceLabels {
    pub provider: String,
    pub event: String,
}

/// An exchange-rate fetch (`source`, `outcome`) or a refused call (`scope`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CommerceLabels {
    pub name: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    pub provider_calls: Family<CallLabels, Counter>,
    pub provider_latency: HistogramFamily<OperationLabels>,
    pub settlements: Family<SettlementLabels, Counter>,
    pub invoices: Family<InvoiceLabels, Counter>,
    pub subscribers: Gauge,
    rate_fetches: Family<CommerceLabels, Counter>,
    rate_limited: Family<CommerceLabels, Counter>,
    pub streams_refused: Counter,
    circuit: Family<ProviderLabel, Gauge>,
    up: Family<ProviderLabel, Gauge>,
    stream_connected: Family<ProviderLabel, Gauge>,
    store_size: Gauge<u64, AtomicU64>,
    last_sequence: Gauge<u64, AtomicU64>,
    store_flush: Histogram,
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~32 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("lnpayd");
        let m = Self {
            registry: Registry::default(),
            provider_calls: Family::default(),
            provider_latency: Family::new_with_constructor(latency_histogram),
            settlements: Family::default(),
            invoices: Family::default(),
            subscribers: Gauge::default(),
            rate_fetches: Family::default(),
            rate_limited: Family::default(),
            streams_refused: Counter::default(),
            circuit: Family::default(),
            up: Family::default(),
            stream_connected: Family::default(),
            store_size: Gauge::default(),
            last_sequence: Gauge::default(),
            // 50 µs .. ~1.6 s: an fsync on an SSD is a fraction of a millisecond.
            store_flush: Histogram::new(exponential_buckets(0.000_05, 2.0, 16)),
        };
        registry.register(
            "provider_requests",
            "Calls to providers by operation and outcome",
            m.provider_calls.clone(),
        );
        registry.register(
            "provider_request_duration_seconds",
            "Latency of provider calls",
            m.provider_latency.clone(),
        );
        registry.register(
            "settlements",
            "Invoices marked paid, by the path that learned of it (stream, reconcile, expiry_lookup, webhook, simulated)",
            m.settlements.clone(),
        );
        registry.register(
            "exchange_rate_fetches",
            "Exchange-rate requests by source (name) and outcome (ok, error)",
            m.rate_fetches.clone(),
        );
        registry.register(
            "rate_limited",
            "Calls refused by a rate limit, by scope (name: invoice, admin, checkout)",
            m.rate_limited.clone(),
        );
        registry.register(
            "invoices",
            "Invoice lifecycle events (created, paid, expired, canceled)",
            m.invoices.clone(),
        );
        registry.register(
            "event_subscribers",
            "Open event streams (SubscribeEvents and WaitInvoice)",
            m.subscribers.clone(),
        );
        registry.register(
            "event_streams_refused",
            "Event streams refused because events.max_streams were open",
            m.streams_refused.clone(),
        );
        registry.register(
            "provider_circuit_state",
            "Circuit breaker state: 0 closed, 1 half-open, 2 open",
            m.circuit.clone(),
        );
        registry.register(
            "provider_up",
            "1 when the provider's last check or call succeeded",
            m.up.clone(),
        );
        registry.register(
            "provider_stream_connected",
            "1 when the provider's push stream (LND invoices, DazNode websocket) is connected",
            m.stream_connected.clone(),
        );
        registry.register(
            "store_size_bytes",
            "Size of the sled store on disk",
            m.store_size.clone(),
        );
        registry.register(
            "last_event_sequence",
            "Sequence of the newest durable event",
            m.last_sequence.clone(),
        );
        registry.register(
            "store_flush_duration_seconds",
            "Group-commit flushes (fsyncs) of the embedded store, each covering every write before it",
            m.store_flush.clone(),
        );
        let build: Family<BuildLabels, Gauge> = Family::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").into(),
            })
            .set(1);
        registry.register("build_info", "lnpayd's version", build);
        crate::webhooks::metrics::register(&mut registry);
        crate::providers::daznode::webhook::register(&mut registry);
        Self { registry, ..m }
    }

    pub fn call(&self, provider: &str, operation: &str, outcome: &str, seconds: f64) {
        self.provider_calls
            .get_or_create(&CallLabels {
                provider: provider.into(),
                operation: operation.into(),
                outcome: outcome.into(),
            })
            .inc();
        self.provider_latency
            .get_or_create(&OperationLabels {
                provider: provider.into(),
                operation: operation.into(),
            })
            .observe(seconds);
    }

    pub fn rate_fetch(&self, source: &str, outcome: &str) {
        self.rate_fetches
            .get_or_create(&CommerceLabels {
                name: source.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    pub fn rate_limited(&self, scope: &str) {
        self.rate_limited
            .get_or_create(&CommerceLabels {
                name: scope.into(),
                outcome: "refused".into(),
            })
            .inc();
    }

    pub fn store_flush(&self, seconds: f64) {
        self.store_flush.observe(seconds);
    }

    pub fn invoice(&self, provider: &str, event: &str) {
        self.invoices
            .get_or_create(&InvoiceLabels {
                provider: provider.into(),
                event: event.into(),
            })
            .inc();
    }

    pub fn settlement(&self, provider: &str, path: &str) {
        self.settlements
            .get_or_create(&SettlementLabels {
                provider: provider.into(),
                path: path.into(),
            })
            .inc();
    }

    /// The text exposition, with live gauges refreshed first.
    pub fn render(&self, router: &Router, store: &dyn Store) -> String {
        for r in router.reports() {
            let label = ProviderLabel {
                provider: r.name.into(),
            };
            self.circuit.get_or_create(&label).set(match r.circuit {
                CircuitState::Closed => 0,
                CircuitState::HalfOpen => 1,
                CircuitState::Open => 2,
            });
            self.up.get_or_create(&label).set(r.online as i64);
            if let Some(c) = &r.connection {
                self.stream_connected
                    .get_or_create(&label)
                    .set(c.is_connected() as i64);
            }
        }
        self.store_size.set(store.size_on_disk());
        self.last_sequence.set(*store.durable_sequence().borrow());
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String");
        out
    }
}

/// The process-wide metrics. One registry per process is what Prometheus
/// scrapes; passing it through every constructor would buy nothing.
pub fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

/// Counts an open event stream for as long as it lives.
pub struct SubscriberGuard;

impl SubscriberGuard {
    pub fn open() -> Self {
        metrics().subscribers.inc();
        Self
    }
}

impl Drop for SubscriberGuard {
    fn drop(&mut self) {
        metrics().subscribers.dec();
    }
}

/// Serves `GET /metrics` until shutdown; every connection is a tracked task.
pub async fn serve(
    listener: TcpListener,
    router: Arc<Router>,
    store: Arc<dyn Store>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
) {
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener accept failed");
                    continue;
                }
            },
        };
        let (router, store, shutdown) = (router.clone(), store.clone(), shutdown.clone());
        tasks.spawn(async move {
            let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let (router, store) = (router.clone(), store.clone());
                async move {
                    let resp = if req.uri().path() == "/metrics" {
                        hyper::Response::builder()
                            // prometheus-client writes OpenMetrics (`_total` samples, `# EOF`).
                            .header(
                                "content-type",
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            )
                            .body(Full::new(Bytes::from(
                                metrics().render(&router, store.as_ref()),
                            )))
                    } else {
                        hyper::Response::builder()
                            .status(404)
                            .body(Full::new(Bytes::from("try /metrics\n")))
                    };
                    Ok::<_, std::convert::Infallible>(resp.expect("a static response is valid"))
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shutdown.cancelled() => conn.as_mut().graceful_shutdown(),
            }
        });
    }
}

pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
