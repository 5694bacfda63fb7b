//! NWC's configuration: `[[providers]] type = "nwc"`, the `[nwc]` section,
//! or the previous deployment's `NWC_URL`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{Invalid, Secret};
use crate::providers::{DynProvider, ProviderSettings, SetupError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NwcConfig {
    /// File holding the `nostr+walletconnect://` URI (preferred: keeps the
    /// secret out of the environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri_file: Option<PathBuf>,
    /// The URI itself. Holds the connection's secret: never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<Secret>,
    /// The network the wallet's invoices must be for.
    #[serde(default = "crate::config::default_network")]
    pub network: bitcoin::Network,
    /// Bound on every request (a relay round trip and the wallet's work).
    #[serde(default = "crate::config::default_timeout")]
    pub timeout_secs: u64,
    /// Cap of each relay connection's reconnect backoff.
    #[serde(default = "crate::config::default_reconnect_max")]
    pub reconnect_max_secs: u64,
}

impl NwcConfig {
    /// The URI, from the file or the inline value.
    pub fn uri(&self) -> std::io::Result<Secret> {
        Secret::from_file_or_inline(self.uri_file.as_deref(), self.uri.as_ref(), "NWC URI")
    }
}

#[async_trait::async_trait]
impl ProviderSettings for NwcConfig {
    fn name(&self) -> &'static str {
        super::NwcProvider::NAME
    }

    async fn build(&self, _datadir: &std::path::Path) -> Result<DynProvider, SetupError> {
        let provider = super::NwcProvider::new(self).map_err(|e| SetupError(Box::new(e)))?;
        Ok(std::sync::Arc::new(provider))
    }

    fn validate(&self, at: &str, errors: &mut Vec<Invalid>) {
        let mut bad =
            |key: &str, message: String| errors.push(Invalid::new(format!("{at}.{key}"), message));
        match (&self.uri_file, &self.uri) {
            (Some(_), Some(_)) => bad("uri", format!("set {at}.uri_file or {at}.uri, not both")),
            (None, None) => bad("uri", format!("set {at}.uri_file or {at}.uri (or NWC_URL)")),
            (Some(p), None) if !p.is_file() => bad(
                "uri_file",
                format!("{} is not a readable file", p.display()),
            ),
            // Checked here so a typo stops the start; the error never echoes the URI.
            (None, Some(uri)) => {
                if let Err(e) = super::NwcUri::parse(uri.expose()) {
                    bad("uri", e.to_string());
                }
            }
            _ => {}
        }
        if self.timeout_secs == 0 || self.reconnect_max_secs == 0 {
            bad("timeout_secs", "timeouts must be at least 1".into());
        }
    }
}
