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
    /// How long in-flight calls get to finish on shutdown.
    pub shutdown_grace_secs: u64,
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
            shutdown_grace_secs: 10,
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
        Self { cache_mb: 256 }
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
        fig = fig
            // LNPAYD_CONFIG names the file itself (read by clap).
            .merge(Env::prefixed("LNPAYD_").split("__").ignore(&["config"]))
            .merge(Serialized::defaults(cli));
        let config: Config = fig.extract().map_err(|e| ConfigError::Parse(Box::new(e)))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_is_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml.example");
        let from_file: Config = Figment::from(Toml::file_exact(&path)).extract().expect("example parses");
        assert_eq!(from_file, Config::default());
    }
}
