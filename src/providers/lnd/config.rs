//! LND's configuration: `[[providers]] type = "lnd"`, or the `[lnd]` section.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{Invalid, Secret};
use crate::providers::{DynProvider, ProviderSettings, SetupError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LndConfig {
    /// LND's gRPC address: `host:port` or `https://host:port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Instead of `address`, the nodes of an LND cluster, in order of
    /// preference: the first that is active is used, the others wait.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
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
    /// The addresses as the client wants them, with their scheme.
    pub fn normalise(&mut self) {
        for a in self.address.iter_mut().chain(self.addresses.iter_mut()) {
            if !a.contains("://") {
                *a = format!("https://{a}");
            }
        }
    }

    /// Every configured address, in order (one, unless it is a cluster).
    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.address
            .iter()
            .chain(&self.addresses)
            .map(String::as_str)
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
        let not_uri = |a: &str| a.parse::<tonic::transport::Uri>().is_err();
        let not_uri_text = |a: &str| format!("{a:?} is not host:port or https://host:port");
        match (&self.address, self.addresses.as_slice()) {
            (Some(_), [_, ..]) => bad(
                "addresses",
                format!("set {at}.address or {at}.addresses, not both"),
            ),
            (None, []) => bad(
                "address",
                format!("set {at}.address, or {at}.addresses for an LND cluster"),
            ),
            (Some(a), []) if not_uri(a) => bad("address", not_uri_text(a)),
            (Some(_), []) => {}
            (None, list) => {
                for (i, a) in list.iter().enumerate() {
                    if not_uri(a) {
                        bad(&format!("addresses[{i}]"), not_uri_text(a));
                    } else if list[..i].contains(a) {
                        bad(&format!("addresses[{i}]"), format!("{a:?} is listed twice"));
                    }
                }
            }
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

    /// An `[lnd]` section as the TOML file gives it, normalised.
    fn section(toml: &str) -> LndConfig {
        use figment::providers::{Format, Serialized, Toml};
        let base = "tls_cert_base64 = \"MIIBAA==\"\nmacaroon_hex = \"0201\"\n";
        let config: crate::config::Config =
            figment::Figment::from(Serialized::defaults(crate::config::Config::default()))
                .merge(Toml::string(&format!("[lnd]\n{base}{toml}")))
                .extract()
                .unwrap();
        let mut lnd = config.lnd.unwrap();
        lnd.normalise();
        lnd
    }

    fn problems(lnd: &LndConfig) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        lnd.validate("lnd", &mut errors);
        errors.into_iter().map(|e| (e.key, e.message)).collect()
    }

    #[test]
    fn a_cluster_is_a_list_of_addresses_in_order() {
        let lnd = section(r#"addresses = ["10.0.0.1:10009", "https://10.0.0.2:10009"]"#);
        assert_eq!(problems(&lnd), []);
        let listed: Vec<&str> = lnd.addresses().collect();
        assert_eq!(listed, ["https://10.0.0.1:10009", "https://10.0.0.2:10009"]);

        let one = section(r#"address = "10.0.0.1:10009""#);
        assert_eq!(problems(&one), []);
        assert_eq!(
            one.addresses().collect::<Vec<_>>(),
            ["https://10.0.0.1:10009"]
        );
    }

    #[test]
    fn exactly_one_of_address_and_addresses() {
        let both = section("address = \"10.0.0.1:1\"\naddresses = [\"10.0.0.2:1\"]");
        assert_eq!(
            problems(&both),
            [(
                "lnd.addresses".into(),
                "set lnd.address or lnd.addresses, not both".into()
            )]
        );
        for neither in ["", "addresses = []"] {
            let keys: Vec<String> = problems(&section(neither))
                .into_iter()
                .map(|p| p.0)
                .collect();
            assert_eq!(keys, ["lnd.address"], "{neither:?}");
        }
    }

    #[test]
    fn each_listed_address_is_checked() {
        let lnd = section(r#"addresses = ["10.0.0.1:1", "not a uri", "https://10.0.0.1:1"]"#);
        let keys: Vec<String> = problems(&lnd).into_iter().map(|p| p.0).collect();
        assert_eq!(keys, ["lnd.addresses[1]", "lnd.addresses[2]"]);
        assert!(problems(&lnd)[1].1.ends_with("is listed twice"));
    }

    #[test]
    fn a_der_certificate_in_base64_becomes_pem() {
        let pem = lnd_cert_pem("MIIBAA==").unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\nMIIBAA==\n"));
        assert!(lnd_cert_pem("not base64!").is_none());
    }
}
