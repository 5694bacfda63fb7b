//! The plain sections of the configuration, with their defaults.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::Secret;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter: `info`, `lnpayd=debug,info`, …
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// `[auth]`: by default each token is a file in the data directory, created
/// on first start. Instances that share a store must accept the same
/// tokens: point them at files provisioned to every host (never created by
/// lnpayd, so a missing one is an error rather than a new, different token).
/// SIGHUP re-reads them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_token_file: Option<std::path::PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_token_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// fjall (embedded, one instance, the default), sled (embedded, the
    /// engine of earlier releases) or PostgreSQL (several instances).
    pub backend: StoreBackend,
    /// The embedded engine's cache: sled's page cache, or fjall's block
    /// cache. With sled, resident memory is more than this, and grows with
    /// the invoices stored (sled's page table; BENCHMARKS.md, "Store at scale").
    pub cache_mb: u64,
    /// PostgreSQL's URL (`postgresql://user:password@host/db`, or the
    /// key=value form). A secret: it may hold the password; never logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<Secret>,
    /// A file holding the URL (preferred: keeps it out of the environment);
    /// wins over `url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_file: Option<std::path::PathBuf>,
    /// PostgreSQL connections this instance keeps at most.
    pub pool_size: usize,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// A B-tree in the data dir (`store/`): the default of earlier releases,
    /// whose resident memory grows with the invoices stored.
    Sled,
    /// An LSM tree in the data dir (`fjall/`): the same records as sled,
    /// compacted and compressed. A sled data dir is converted to it in place
    /// at start-up (kept as `store.sled-converted`).
    Fjall,
    Postgres,
}

impl StoreConfig {
    /// The PostgreSQL URL, from `url_file` or `url`.
    pub fn postgres_url(&self) -> std::io::Result<Secret> {
        Secret::from_file_or_inline(self.url_file.as_deref(), self.url.as_ref(), "store.url")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct InvoicesConfig {
    pub max_amount_sat: u64,
    pub default_expiry_secs: u32,
    pub min_expiry_secs: u32,
    pub max_expiry_secs: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Idempotency keys are kept at least this long (at least 24 h).
    pub idempotency_secs: u64,
    /// Audit entries older than this are pruned.
    pub audit_secs: u64,
    /// How often the pruner runs.
    pub prune_interval_secs: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Human,
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            backend: StoreBackend::Fjall,
            cache_mb: 64,
            url: None,
            url_file: None,
            pool_size: 16,
        }
    }
}

impl Default for InvoicesConfig {
    fn default() -> Self {
        Self {
            max_amount_sat: 1_000_000,
            default_expiry_secs: 3600,
            min_expiry_secs: 60,
            max_expiry_secs: 86_400,
        }
    }
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            idempotency_secs: 24 * 3600,
            audit_secs: 90 * 24 * 3600,
            prune_interval_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Where raises and clears are POSTed as JSON with a `text` field. Often
    /// carries a secret (Slack, Discord): never logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<Secret>,
    /// Delivery attempts per alert, with backoff between them.
    pub webhook_attempts: u32,
    /// A provider call slower than this raises `slow_call`.
    pub slow_call_ms: u64,
    /// A provider offline for longer raises `provider_down`.
    pub provider_down_secs: u64,
    /// A push stream disconnected for longer raises `stream_down`.
    pub stream_down_secs: u64,
    pub evaluate_interval_ms: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            webhook_attempts: 5,
            slow_call_ms: 10_000,
            provider_down_secs: 300,
            stream_down_secs: 120,
            evaluate_interval_ms: 1_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub enabled: bool,
    /// Plain HTTP, `GET /metrics`. Keep it on loopback or a private interface.
    pub listen: SocketAddr,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: "127.0.0.1:9750".parse().expect("valid address"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FailoverConfig {
    /// Bound on one provider attempt to create an invoice.
    pub attempt_timeout_ms: u64,
    /// Retries of a transient error on one provider before moving to the next.
    pub max_retries: u32,
    /// First retry delay; doubles per retry, with jitter.
    pub retry_delay_ms: u64,
    /// How often every provider's health is checked (in parallel).
    pub health_check_interval_ms: u64,
    /// The circuit opens after this many failures ...
    pub breaker_failures: u32,
    /// ... among the last this many calls.
    pub breaker_window: u32,
    /// After this long open, one probe call is let through (half-open).
    pub breaker_cooldown_secs: u64,
    /// Use LND when it is configured (false keeps it configured but unused).
    pub enable_lnd: bool,
}

impl Default for FailoverConfig {
    fn default() -> Self {
        Self {
            attempt_timeout_ms: 5_000,
            max_retries: 1,
            retry_delay_ms: 200,
            health_check_interval_ms: 30_000,
            breaker_failures: 4,
            breaker_window: 5,
            breaker_cooldown_secs: 30,
            enable_lnd: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// Open SubscribeEvents and WaitInvoice streams, at most.
    pub max_streams: usize,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            max_streams: 10_000,
        }
    }
}
