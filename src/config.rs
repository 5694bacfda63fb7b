//! Configuration: `config.toml` < `LNPAYD_…` environment < command line.
//! Unknown keys are rejected; every error names the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::domain::Limits;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// gRPC listen address.
    pub listen: SocketAddr,
    /// Store, tokens and keys live here.
    pub datadir: PathBuf,
    /// Enables the dev provider (regtest invoices, simulated payments).
    pub dev: bool,
    pub log: LogConfig,
    pub store: StoreConfig,
    pub invoices: InvoicesConfig,
    pub retention: RetentionConfig,
    /// LND, the main provider. Absent: not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lnd: Option<LndConfig>,
    /// DazNode (an LNbits-compatible API), the secondary provider. Absent: not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daznode: Option<DazNodeConfig>,
    /// How new invoices move between providers when one fails.
    pub failover: FailoverConfig,
    /// The Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// Alert thresholds and the optional webhook.
    pub alerts: AlertsConfig,
    /// How long in-flight calls get to finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// Async runtime threads; 0 means one per CPU.
    pub worker_threads: usize,
}

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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// sled's page cache: most of the daemon's resident memory, which is
    /// about this plus 40–60 MB however many invoices are stored.
    pub cache_mb: u64,
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

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:50051".parse().expect("valid address"),
            datadir: PathBuf::from("lnpayd-data"),
            dev: false,
            log: LogConfig::default(),
            store: StoreConfig::default(),
            invoices: InvoicesConfig::default(),
            retention: RetentionConfig::default(),
            lnd: None,
            daznode: None,
            failover: FailoverConfig::default(),
            metrics: MetricsConfig::default(),
            alerts: AlertsConfig::default(),
            shutdown_grace_secs: 10,
            worker_threads: 0,
        }
    }
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
        Self { cache_mb: 64 }
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

/// A value that must never reach a log or an error message.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LndConfig {
    /// LND's gRPC address: `host:port` or `https://host:port`.
    pub address: String,
    /// LND's `tls.cert`; the connection trusts exactly this certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// The same certificate, base64 (of the PEM or DER), for environment-only deployments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert_base64: Option<String>,
    /// Path to a macaroon with invoices read/write: `invoice.macaroon` is enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macaroon: Option<PathBuf>,
    /// The same macaroon as hex, for deployments that pass it in the environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macaroon_hex: Option<Secret>,
    /// Optional `readonly.macaroon`, for node facts (alias, height, sync) in GetStatus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_macaroon: Option<PathBuf>,
    /// The network invoices must be for: bitcoin, testnet, testnet4, signet or regtest.
    #[serde(default = "default_network")]
    pub network: bitcoin::Network,
    /// Bound on every LND call.
    #[serde(default = "default_lnd_timeout")]
    pub timeout_secs: u64,
    /// Add route hints for private channels to invoices.
    #[serde(default)]
    pub private_route_hints: bool,
    /// Cap of the invoice stream's reconnect backoff.
    #[serde(default = "default_reconnect_max")]
    pub reconnect_max_secs: u64,
}

fn default_network() -> bitcoin::Network {
    bitcoin::Network::Bitcoin
}

fn default_lnd_timeout() -> u64 {
    10
}

fn default_reconnect_max() -> u64 {
    30
}

impl LndConfig {
    /// The address as the client wants it, with its scheme.
    pub fn normalise(&mut self) {
        if !self.address.contains("://") {
            self.address = format!("https://{}", self.address);
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DazNodeConfig {
    /// Base URL of the LNbits-compatible API (scheme, host, port; no path).
    pub url: String,
    /// File holding the wallet's invoice key (preferred: keeps it out of the environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_file: Option<PathBuf>,
    /// The wallet's invoice key itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
    /// The network DazNode's invoices must be for.
    #[serde(default = "default_network")]
    pub network: bitcoin::Network,
    /// Bound on every DazNode call.
    #[serde(default = "default_lnd_timeout")]
    pub timeout_secs: u64,
    /// Cap of the websocket's reconnect backoff.
    #[serde(default = "default_reconnect_max")]
    pub reconnect_max_secs: u64,
}

impl DazNodeConfig {
    /// The invoice key, from the file or the inline value.
    pub fn api_key(&self) -> std::io::Result<Secret> {
        match (&self.api_key_file, &self.api_key) {
            (Some(path), _) => Ok(Secret::new(std::fs::read_to_string(path)?.trim())),
            (None, Some(key)) => Ok(key.clone()),
            (None, None) => Err(std::io::Error::other("no DazNode API key configured")),
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

/// Values given on the command line; only those set override.
#[derive(Debug, Default, Serialize)]
pub struct CliOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datadir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("{0}")]
    Parse(Box<figment::Error>),
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

impl Config {
    pub fn load(file: Option<&Path>, cli: CliOverrides) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::MissingFile(path.into()));
            }
            fig = fig.merge(Toml::file_exact(path));
        }
        let (legacy, wants_mock) = legacy_env(|k| std::env::var(k).ok())?;
        fig = fig
            .merge(Serialized::defaults(legacy))
            // LNPAYD_CONFIG names the file itself (read by clap).
            .merge(Env::prefixed("LNPAYD_").split("__").ignore(&["config"]))
            .merge(Serialized::defaults(cli));
        let mut config: Config = fig.extract().map_err(|e| ConfigError::Parse(Box::new(e)))?;
        if wants_mock && !config.dev {
            return Err(ConfigError::Invalid {
                key: "LIGHTNING_FALLBACK_ENABLE_MOCK",
                message:
                    "the mock (dev) provider only runs in dev mode: start with --dev, or unset it"
                        .into(),
            });
        }
        if let Some(lnd) = &mut config.lnd {
            lnd.normalise();
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key, message: String| Err(ConfigError::Invalid { key, message });
        let i = &self.invoices;
        // 21 million BTC: nothing above it can be an amount.
        if i.max_amount_sat == 0 || i.max_amount_sat > 21_000_000 * 100_000_000 {
            return bad(
                "invoices.max_amount_sat",
                format!("{} is not between 1 and 2.1e15", i.max_amount_sat),
            );
        }
        if i.min_expiry_secs == 0 || i.min_expiry_secs > i.max_expiry_secs {
            return bad(
                "invoices.min_expiry_secs",
                "must be at least 1 and at most invoices.max_expiry_secs".into(),
            );
        }
        if !(i.min_expiry_secs..=i.max_expiry_secs).contains(&i.default_expiry_secs) {
            return bad(
                "invoices.default_expiry_secs",
                format!(
                    "{} is outside [{}, {}]",
                    i.default_expiry_secs, i.min_expiry_secs, i.max_expiry_secs
                ),
            );
        }
        if self.worker_threads > 256 {
            return bad(
                "worker_threads",
                format!("{} is more than 256", self.worker_threads),
            );
        }
        if self.retention.idempotency_secs < 24 * 3600 {
            return bad(
                "retention.idempotency_secs",
                "idempotency keys are kept at least 86400 s (24 h)".into(),
            );
        }
        if self.retention.prune_interval_secs == 0 {
            return bad("retention.prune_interval_secs", "must be at least 1".into());
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return bad("log.level", e.to_string());
        }
        if let Some(lnd) = &self.lnd {
            if lnd.address.parse::<tonic::transport::Uri>().is_err() {
                return bad(
                    "lnd.address",
                    format!("{:?} is not host:port or https://host:port", lnd.address),
                );
            }
            match (&lnd.tls_cert, &lnd.tls_cert_base64) {
                (Some(_), Some(_)) => {
                    return bad(
                        "lnd.tls_cert",
                        "set lnd.tls_cert or lnd.tls_cert_base64, not both".into(),
                    )
                }
                (None, None) => {
                    return bad(
                        "lnd.tls_cert",
                        "set lnd.tls_cert (a path) or lnd.tls_cert_base64".into(),
                    )
                }
                (Some(p), None) if !p.is_file() => {
                    return bad(
                        "lnd.tls_cert",
                        format!("{} is not a readable file", p.display()),
                    )
                }
                (None, Some(b)) if lnd_cert_pem(b).is_none() => {
                    return bad(
                        "lnd.tls_cert_base64",
                        "is not base64 of a PEM or DER certificate".into(),
                    )
                }
                _ => {}
            }
            match (&lnd.macaroon, &lnd.macaroon_hex) {
                (Some(_), Some(_)) => {
                    return bad(
                        "lnd.macaroon",
                        "set lnd.macaroon or lnd.macaroon_hex, not both".into(),
                    )
                }
                (None, None) => {
                    return bad(
                        "lnd.macaroon",
                        "set lnd.macaroon (a path) or lnd.macaroon_hex".into(),
                    )
                }
                (Some(p), None) if !p.is_file() => {
                    return bad(
                        "lnd.macaroon",
                        format!("{} is not a readable file", p.display()),
                    )
                }
                _ => {}
            }
            if let Some(p) = lnd.readonly_macaroon.as_ref().filter(|p| !p.is_file()) {
                return bad(
                    "lnd.readonly_macaroon",
                    format!("{} is not a readable file", p.display()),
                );
            }
            if lnd.timeout_secs == 0 {
                return bad("lnd.timeout_secs", "must be at least 1".into());
            }
            if lnd.reconnect_max_secs == 0 {
                return bad("lnd.reconnect_max_secs", "must be at least 1".into());
            }
        }
        if let Some(daz) = &self.daznode {
            match url::Url::parse(&daz.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => {
                    return bad(
                        "daznode.url",
                        format!("{:?} is not an http(s) URL", daz.url),
                    )
                }
            }
            match (&daz.api_key_file, &daz.api_key) {
                (Some(_), Some(_)) => {
                    return bad(
                        "daznode.api_key",
                        "set daznode.api_key_file or daznode.api_key, not both".into(),
                    )
                }
                (None, None) => {
                    return bad(
                        "daznode.api_key",
                        "set daznode.api_key_file or daznode.api_key".into(),
                    )
                }
                (Some(p), None) if !p.is_file() => {
                    return bad(
                        "daznode.api_key_file",
                        format!("{} is not a readable file", p.display()),
                    )
                }
                _ => {}
            }
            if daz.timeout_secs == 0 || daz.reconnect_max_secs == 0 {
                return bad("daznode.timeout_secs", "timeouts must be at least 1".into());
            }
        }
        if let Some(url) = &self.alerts.webhook_url {
            match url::Url::parse(url.expose()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                // Not echoed: the URL is a secret.
                _ => return bad("alerts.webhook_url", "is not an http(s) URL".into()),
            }
        }
        if self.alerts.evaluate_interval_ms < 100 {
            return bad("alerts.evaluate_interval_ms", "must be at least 100".into());
        }
        let f = &self.failover;
        if f.attempt_timeout_ms == 0 {
            return bad("failover.attempt_timeout_ms", "must be at least 1".into());
        }
        if f.health_check_interval_ms < 100 {
            return bad(
                "failover.health_check_interval_ms",
                "must be at least 100".into(),
            );
        }
        if f.breaker_window == 0 || f.breaker_failures == 0 || f.breaker_failures > f.breaker_window
        {
            return bad(
                "failover.breaker_failures",
                "must be between 1 and failover.breaker_window".into(),
            );
        }
        Ok(())
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_amount_sat: self.invoices.max_amount_sat,
            default_expiry_secs: self.invoices.default_expiry_secs,
            min_expiry_secs: self.invoices.min_expiry_secs,
            max_expiry_secs: self.invoices.max_expiry_secs,
        }
    }
}

/// The PEM text of a base64-encoded certificate (base64 of a PEM, or of a DER).
pub fn lnd_cert_pem(b64: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    match String::from_utf8(bytes.clone()) {
        Ok(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => Some(pem),
        _ if bytes.first() == Some(&0x30) => {
            let body = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap_or(""))
                .collect();
            Some(format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            ))
        }
        _ => None,
    }
}

/// The previous deployment's environment names, so existing `.env` files keep
/// working. They rank below `LNPAYD_…` variables. Returns the values as a
/// config tree, and whether `LIGHTNING_FALLBACK_ENABLE_MOCK` asked for the
/// mock provider (accepted only in dev mode).
fn legacy_env(
    get: impl Fn(&str) -> Option<String>,
) -> Result<(serde_json::Value, bool), ConfigError> {
    use serde_json::{json, Value};
    let mut tree = json!({});
    let mut set = |section: &str, key: &str, v: Value| {
        tree.as_object_mut()
            .expect("object")
            .entry(section)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("object")
            .insert(key.into(), v);
    };
    let num = |var: &'static str, v: &str| {
        v.trim().parse::<u64>().map_err(|_| ConfigError::Invalid {
            key: var,
            message: format!("{v:?} is not a whole number"),
        })
    };
    let flag = |var: &'static str, v: &str| match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(ConfigError::Invalid {
            key: var,
            message: format!("{v:?} is not true or false"),
        }),
    };
    if let Some(v) = get("DAZNODE_API_URL") {
        set("daznode", "url", json!(v));
    }
    if let Some(v) = get("DAZNODE_API_KEY") {
        set("daznode", "api_key", json!(v));
    }
    if let Some(v) = get("LND_SOCKET") {
        set("lnd", "address", json!(v));
    }
    if let Some(v) = get("LND_TLS_CERT") {
        if Path::new(v.trim()).is_file() {
            set("lnd", "tls_cert", json!(v.trim()));
        } else {
            set("lnd", "tls_cert_base64", json!(v.trim()));
        }
    }
    if let Some(v) = get("LND_ADMIN_MACAROON") {
        let v = v.trim();
        if Path::new(v).is_file() {
            set("lnd", "macaroon", json!(v));
        } else if v.len() % 2 == 0 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            set("lnd", "macaroon_hex", json!(v));
        } else {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(v)
                .map_err(|_| ConfigError::Invalid {
                    key: "LND_ADMIN_MACAROON",
                    message: "is neither a file, hex nor base64".into(),
                })?;
            set("lnd", "macaroon_hex", json!(hex::encode(bytes)));
        }
    }
    if let Some(v) = get("LIGHTNING_FALLBACK_MAX_RETRIES") {
        set(
            "failover",
            "max_retries",
            json!(num("LIGHTNING_FALLBACK_MAX_RETRIES", &v)?),
        );
    }
    if let Some(v) = get("LIGHTNING_FALLBACK_RETRY_DELAY") {
        set(
            "failover",
            "retry_delay_ms",
            json!(num("LIGHTNING_FALLBACK_RETRY_DELAY", &v)?),
        );
    }
    if let Some(v) = get("LIGHTNING_FALLBACK_HEALTH_CHECK_INTERVAL") {
        set(
            "failover",
            "health_check_interval_ms",
            json!(num("LIGHTNING_FALLBACK_HEALTH_CHECK_INTERVAL", &v)?),
        );
    }
    if let Some(v) = get("LIGHTNING_FALLBACK_ENABLE_LOCAL_LND") {
        set(
            "failover",
            "enable_lnd",
            json!(flag("LIGHTNING_FALLBACK_ENABLE_LOCAL_LND", &v)?),
        );
    }
    let wants_mock = match get("LIGHTNING_FALLBACK_ENABLE_MOCK") {
        Some(v) => flag("LIGHTNING_FALLBACK_ENABLE_MOCK", &v)?,
        None => false,
    };
    Ok((tree, wants_mock))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legacy(vars: &[(&str, &str)]) -> Result<(serde_json::Value, bool), ConfigError> {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        legacy_env(|k| vars.get(k).cloned())
    }

    #[test]
    fn legacy_environment_names_map_to_config_keys() {
        let (tree, mock) = legacy(&[
            ("DAZNODE_API_URL", "https://daznode.invalid"),
            ("DAZNODE_API_KEY", "placeholder-key"),
            ("LND_SOCKET", "127.0.0.1:10009"),
            ("LND_ADMIN_MACAROON", "AgEDbG5k"),
            ("LIGHTNING_FALLBACK_MAX_RETRIES", "3"),
            ("LIGHTNING_FALLBACK_RETRY_DELAY", "250"),
            ("LIGHTNING_FALLBACK_HEALTH_CHECK_INTERVAL", "15000"),
            ("LIGHTNING_FALLBACK_ENABLE_LOCAL_LND", "false"),
        ])
        .unwrap();
        assert!(!mock);
        assert_eq!(tree["daznode"]["url"], "https://daznode.invalid");
        assert_eq!(tree["daznode"]["api_key"], "placeholder-key");
        assert_eq!(tree["lnd"]["address"], "127.0.0.1:10009");
        // base64 "AgEDbG5k" is the bytes 02 01 03 6c 6e 64.
        assert_eq!(tree["lnd"]["macaroon_hex"], "0201036c6e64");
        assert_eq!(tree["failover"]["max_retries"], 3);
        assert_eq!(tree["failover"]["retry_delay_ms"], 250);
        assert_eq!(tree["failover"]["health_check_interval_ms"], 15000);
        assert_eq!(tree["failover"]["enable_lnd"], false);
    }

    #[test]
    fn legacy_values_are_checked_naming_the_variable() {
        let err = legacy(&[("LIGHTNING_FALLBACK_MAX_RETRIES", "many")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("LIGHTNING_FALLBACK_MAX_RETRIES"),
            "{err}"
        );
        let err = legacy(&[("LIGHTNING_FALLBACK_ENABLE_MOCK", "perhaps")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("LIGHTNING_FALLBACK_ENABLE_MOCK"),
            "{err}"
        );
        assert!(
            legacy(&[("LIGHTNING_FALLBACK_ENABLE_MOCK", "true")])
                .unwrap()
                .1
        );
    }

    #[test]
    fn a_der_certificate_in_base64_becomes_pem() {
        let pem = lnd_cert_pem("MIIBAA==").unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\nMIIBAA==\n"));
        assert!(lnd_cert_pem("not base64!").is_none());
    }

    #[test]
    fn the_example_config_is_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml.example");
        let from_file: Config = Figment::from(Toml::file_exact(&path))
            .extract()
            .expect("example parses");
        assert_eq!(from_file, Config::default());
    }
}
