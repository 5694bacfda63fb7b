//! Configuration: `config.toml` < `LNPAYD_…` environment < command line.
//! Unknown keys are rejected; every error names the key, and all of them
//! are reported at once.
//!
//! - `sections`: the plain sections and their defaults;
//! - `providers`: the ordered provider list;
//! - `legacy`: the previous deployment's environment names;
//! - `validate`: the start-up checks.

mod commerce;
mod legacy;
mod providers;
mod runtime;
mod sections;
mod validate;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::domain::Limits;

pub use commerce::{
    CheckoutConfig, ProductConfig, Quota, RateLimitConfig, RateSourceConfig, RateSourceKind,
    RatesConfig,
};
pub use providers::{
    default_network, default_reconnect_max, default_timeout, lnd_cert_pem, DazNodeConfig,
    LndConfig, NwcConfig, ProviderConfig,
};
pub use runtime::Runtime;
pub use sections::{
    AlertsConfig, AuthConfig, EventsConfig, FailoverConfig, InvoicesConfig, LogConfig, LogFormat,
    MetricsConfig, RetentionConfig, StoreBackend, StoreConfig,
};

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
    pub events: EventsConfig,
    /// The providers in priority order (`[[providers]]`, each with a
    /// `type`). After [`Config::load`] this is the one list the daemon reads:
    /// the `[lnd]`, `[daznode]` and `[nwc]` sections are folded into it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<ProviderConfig>,
    /// LND as a section (older layout, and `LNPAYD_LND__…`): first in priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lnd: Option<LndConfig>,
    /// DazNode as a section (`LNPAYD_DAZNODE__…`, `DAZNODE_API_…`): after LND.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daznode: Option<DazNodeConfig>,
    /// NWC as a section (`LNPAYD_NWC__…`, `NWC_URL`): after DazNode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nwc: Option<NwcConfig>,
    /// How new invoices move between providers when one fails.
    pub failover: FailoverConfig,
    /// The Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// Alert thresholds and the optional webhook.
    pub alerts: AlertsConfig,
    /// Signed webhooks to backends (`src/webhooks`).
    pub webhooks: crate::webhooks::WebhooksConfig,
    /// How long in-flight calls get to finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// Async runtime threads; 0 means one per CPU, 1 the current-thread
    /// scheduler (`runtime.rs`).
    pub worker_threads: usize,
    /// The product catalog (`[[products]]`), reloaded on SIGHUP.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductConfig>,
    /// Exchange-rate sources for fiat prices.
    pub rates: RatesConfig,
    /// The hosted payment page.
    pub checkout: CheckoutConfig,
    /// Per-token (gRPC) and per-IP (checkout) limits.
    pub rate_limit: RateLimitConfig,
    /// Several instances on one PostgreSQL store: this one's id, the lease.
    pub cluster: crate::leader::ClusterConfig,
    /// Where the API tokens are read from.
    pub auth: AuthConfig,
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
            events: EventsConfig::default(),
            providers: Vec::new(),
            lnd: None,
            daznode: None,
            nwc: None,
            failover: FailoverConfig::default(),
            metrics: MetricsConfig::default(),
            alerts: AlertsConfig::default(),
            webhooks: Default::default(),
            shutdown_grace_secs: 10,
            worker_threads: 0,
            products: Vec::new(),
            rates: RatesConfig::default(),
            checkout: CheckoutConfig::default(),
            rate_limit: RateLimitConfig::default(),
            cluster: Default::default(),
            auth: AuthConfig::default(),
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

    /// A secret configured as a file (preferred: keeps it out of the
    /// environment) or inline; the file wins when both are set.
    pub fn from_file_or_inline(
        file: Option<&std::path::Path>,
        inline: Option<&Secret>,
        what: &str,
    ) -> std::io::Result<Secret> {
        match (file, inline) {
            (Some(path), _) => Ok(Secret::new(std::fs::read_to_string(path)?.trim())),
            (None, Some(s)) => Ok(s.clone()),
            (None, None) => Err(std::io::Error::other(format!("no {what} configured"))),
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
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

/// One problem with the configuration, naming its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct Invalid {
    pub key: String,
    pub message: String,
}

impl Invalid {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("{0}")]
    Parse(Box<figment::Error>),
    #[error("{}", .0.iter().map(Invalid::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Invalid>),
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
        let (legacy, wants_mock) = legacy::legacy_env(|k| std::env::var(k).ok())?;
        fig = fig
            .merge(Serialized::defaults(legacy))
            // LNPAYD_CONFIG names the file itself (read by clap);
            // LNPAYD_FAULT_*_TASK are the debug builds' fault hooks (tasks.rs).
            .merge(Env::prefixed("LNPAYD_").split("__").ignore(&[
                "config",
                "fault_panic_task",
                "fault_delay_task",
            ]))
            .merge(Serialized::defaults(cli));
        let config: Config = fig.extract().map_err(|e| ConfigError::Parse(Box::new(e)))?;
        config.into_runtime(wants_mock)
    }

    /// Checks everything, then folds the provider sections into the one
    /// ordered list: LND first, DazNode second, NWC third.
    fn into_runtime(mut self, wants_mock: bool) -> Result<Self, ConfigError> {
        let lnd_sections = self.providers.iter_mut().filter_map(|p| match p {
            ProviderConfig::Lnd(lnd) => Some(lnd),
            ProviderConfig::DazNode(_) | ProviderConfig::Nwc(_) => None,
        });
        for lnd in lnd_sections.chain(self.lnd.as_mut()) {
            lnd.normalise();
        }
        let mut problems = self.problems();
        problems.extend(self.commerce_problems());
        if wants_mock && !self.dev {
            problems.insert(
                0,
                Invalid::new(
                    "LIGHTNING_FALLBACK_ENABLE_MOCK",
                    "the mock (dev) provider only runs in dev mode: start with --dev, or unset it",
                ),
            );
        }
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        if self.providers.is_empty() {
            let lnd = self.lnd.take().map(ProviderConfig::Lnd);
            let daznode = self.daznode.take().map(ProviderConfig::DazNode);
            let nwc = self.nwc.take().map(ProviderConfig::Nwc);
            self.providers = lnd.into_iter().chain(daznode).chain(nwc).collect();
        }
        Ok(self)
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

#[cfg(test)]
mod tests;
