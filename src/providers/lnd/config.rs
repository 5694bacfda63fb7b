//! LND's configuration: `[[providers]] type = "lnd"`, or the `[lnd]` section.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{Invalid, Secret};
use crate::providers::{DynProvider, ProviderSettings, SetupError};

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
    #[serde(default = "crate::config::default_network")]
    pub network: bitcoin::Network,
    /// Bound on every LND call.
    #[serde(default = "crate::config::default_timeout")]
    pub timeout_secs: u64,
    /// Add route hints for private channels to invoices.
    #[serde(default)]
    pub private_route_hints: bool,
    /// Cap of the invoice stream's reconnect backoff.
    #[serde(default = "crate::config::default_reconnect_max")]
    pub reconnect_max_secs: u64,
}

impl LndConfig {
    /// The address as the client wants it, with its scheme.
    pub fn normalise(&mut self) {
        if !self.address.contains("://") {
            self.address = format!("https://{}", self.address);
        }
    }
}

#[async_trait::async_trait]
impl ProviderSettings for LndConfig {
    fn name(&self) -> &'static str {
        super::LndProvider::NAME
    }

    async fn build(&self, _datadir: &std::path::Path) -> Result<DynProvider, SetupError> {
        let provider = super::LndProvider::new(self)
            .await
            .map_err(|e| SetupError(Box::new(e)))?;
        Ok(std::sync::Arc::new(provider))
    }

    fn validate(&self, at: &str, errors: &mut Vec<Invalid>) {
        let mut bad =
            |key: &str, message: String| errors.push(Invalid::new(format!("{at}.{key}"), message));
        if self.address.parse::<tonic::transport::Uri>().is_err() {
            bad(
                "address",
                format!("{:?} is not host:port or https://host:port", self.address),
            );
        }
        match (&self.tls_cert, &self.tls_cert_base64) {
            (Some(_), Some(_)) => bad(
                "tls_cert",
                format!("set {at}.tls_cert or {at}.tls_cert_base64, not both"),
            ),
            (None, None) => bad(
                "tls_cert",
                format!("set {at}.tls_cert (a path) or {at}.tls_cert_base64"),
            ),
            (Some(p), None) if !p.is_file() => bad(
                "tls_cert",
                format!("{} is not a readable file", p.display()),
            ),
            (None, Some(b)) if lnd_cert_pem(b).is_none() => bad(
                "tls_cert_base64",
                "is not base64 of a PEM or DER certificate".into(),
            ),
            _ => {}
        }
        match (&self.macaroon, &self.macaroon_hex) {
            (Some(_), Some(_)) => bad(
                "macaroon",
                format!("set {at}.macaroon or {at}.macaroon_hex, not both"),
            ),
            (None, None) => bad(
                "macaroon",
                format!("set {at}.macaroon (a path) or {at}.macaroon_hex"),
            ),
            (Some(p), None) if !p.is_file() => bad(
                "macaroon",
                format!("{} is not a readable file", p.display()),
            ),
            _ => {}
        }
        if let Some(p) = self.readonly_macaroon.as_ref().filter(|p| !p.is_file()) {
            bad(
                "readonly_macaroon",
                format!("{} is not a readable file", p.display()),
            );
        }
        if self.timeout_secs == 0 {
            bad("timeout_secs", "must be at least 1".into());
        }
        if self.reconnect_max_secs == 0 {
            bad("reconnect_max_secs", "must be at least 1".into());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_der_certificate_in_base64_becomes_pem() {
        let pem = lnd_cert_pem("MIIBAA==").unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\nMIIBAA==\n"));
        assert!(lnd_cert_pem("not base64!").is_none());
    }
}
