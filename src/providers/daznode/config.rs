//! DazNode's configuration: `[[providers]] type = "daznode"`, or the
//! `[daznode]` section.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{Invalid, Secret};
use crate::providers::{DynProvider, ProviderSettings, SetupError};

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
    #[serde(default = "crate::config::default_network")]
    pub network: bitcoin::Network,
    /// Bound on every DazNode call.
    #[serde(default = "crate::config::default_timeout")]
    pub timeout_secs: u64,
    /// Cap of the websocket's reconnect backoff.
    #[serde(default = "crate::config::default_reconnect_max")]
    pub reconnect_max_secs: u64,
}

impl DazNodeConfig {
    /// The invoice key, from the file or the inline value.
    pub fn api_key(&self) -> std::io::Result<Secret> {
        Secret::from_file_or_inline(
            self.api_key_file.as_deref(),
            self.api_key.as_ref(),
            "DazNode API key",
        )
    }
}

#[async_trait::async_trait]
impl ProviderSettings for DazNodeConfig {
    fn name(&self) -> &'static str {
        super::DazNodeProvider::NAME
    }

    async fn build(&self) -> Result<DynProvider, SetupError> {
        let provider = super::DazNodeProvider::new(self).map_err(|e| SetupError(Box::new(e)))?;
        Ok(std::sync::Arc::new(provider))
    }

    fn validate(&self, at: &str, errors: &mut Vec<Invalid>) {
        let mut bad =
            |key: &str, message: String| errors.push(Invalid::new(format!("{at}.{key}"), message));
        match url::Url::parse(&self.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => bad("url", format!("{:?} is not an http(s) URL", self.url)),
        }
        match (&self.api_key_file, &self.api_key) {
            (Some(_), Some(_)) => bad(
                "api_key",
                format!("set {at}.api_key_file or {at}.api_key, not both"),
            ),
            (None, None) => bad("api_key", format!("set {at}.api_key_file or {at}.api_key")),
            (Some(p), None) if !p.is_file() => bad(
                "api_key_file",
                format!("{} is not a readable file", p.display()),
            ),
            _ => {}
        }
        if self.timeout_secs == 0 || self.reconnect_max_secs == 0 {
            bad("timeout_secs", "timeouts must be at least 1".into());
        }
    }
}
