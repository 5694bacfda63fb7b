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
    /// The public base URL of lnpayd's checkout listener as DazNode reaches
    /// it ("https://pay.example.com"). When set, every invoice is created
    /// with LNbits' `webhook` field, a second push path beside the websocket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

impl DazNodeConfig {
    /// `webhook_url` parsed, its path ending in `/`; None when unset or not
    /// usable (LNbits refuses a URL with a user; a query would be lost).
    pub fn webhook_base(&self) -> Option<url::Url> {
        let mut u = url::Url::parse(self.webhook_url.as_deref()?.trim()).ok()?;
        let plain = matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && u.username().is_empty()
            && u.password().is_none()
            && u.query().is_none()
            && u.fragment().is_none();
        if !plain {
            return None;
        }
        if !u.path().ends_with('/') {
            let p = format!("{}/", u.path());
            u.set_path(&p);
        }
        Some(u)
    }

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

    async fn build(&self, datadir: &std::path::Path) -> Result<DynProvider, SetupError> {
        let mut provider =
            super::DazNodeProvider::new(self).map_err(|e| SetupError(Box::new(e)))?;
        if let Some(base) = self.webhook_base() {
            let key = super::webhook::WebhookKey::load_or_create(datadir)
                .map_err(|e| SetupError(Box::new(e)))?;
            provider = provider.with_webhook(base, key);
        }
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
        if self.webhook_url.is_some() && self.webhook_base().is_none() {
            bad(
                "webhook_url",
                format!(
                    "{:?} is not an absolute http(s) URL without user, query or fragment",
                    self.webhook_url.as_deref().unwrap_or_default()
                ),
            );
        }
        if self.timeout_secs == 0 || self.reconnect_max_secs == 0 {
            bad("timeout_secs", "timeouts must be at least 1".into());
        }
    }
}
