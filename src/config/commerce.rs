//! The sections for selling: the product catalog, the exchange-rate sources
//! behind fiat prices, the hosted checkout page and the rate limits.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::Invalid;

/// One `[[products]]` entry: a price in sat (`amount_sat`) or in fiat
/// (`amount` as a decimal string, with `currency`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ProductConfig {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_sat: Option<u64>,
    /// "49.00": a string, so no float ever holds a price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum RateSourceKind {
    Kraken,
    Coinbase,
    Bitstamp,
}

impl RateSourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kraken => "kraken",
            Self::Coinbase => "coinbase",
            Self::Bitstamp => "bitstamp",
        }
    }

    pub fn default_url(self) -> &'static str {
        match self {
            Self::Kraken => "https://api.kraken.com",
            Self::Coinbase => "https://api.coinbase.com",
            Self::Bitstamp => "https://www.bitstamp.net",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateSourceConfig {
    #[serde(rename = "type")]
    pub kind: RateSourceKind,
    /// The API's base URL; the default is the exchange's public host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RatesConfig {
    /// Queried in parallel; the median of the answers is used.
    pub sources: Vec<RateSourceConfig>,
    /// A rate this recent is used without asking the sources again.
    pub cache_secs: u64,
    /// A rate older than this is never used: the create is refused instead.
    pub max_age_secs: u64,
    /// Fewer answers than this and the fetch counts as failed.
    pub min_sources: usize,
    /// Bound on one source's answer.
    pub timeout_ms: u64,
}

impl Default for RatesConfig {
    fn default() -> Self {
        Self {
            sources: [
                RateSourceKind::Kraken,
                RateSourceKind::Coinbase,
                RateSourceKind::Bitstamp,
            ]
            .into_iter()
            .map(|kind| RateSourceConfig { kind, url: None })
            .collect(),
            cache_secs: 60,
            max_age_secs: 300,
            min_sources: 2,
            timeout_ms: 5000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CheckoutConfig {
    /// The payment page's listener; no listener when unset (dev mode picks 127.0.0.1:0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// How payers reach it ("https://pay.example.com"): the base of checkout_url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Origins a success_url may point to ("https://shop.example.com").
    pub allowed_redirect_origins: Vec<String>,
}

/// A token bucket: `burst` calls at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    pub per_second: u32,
    pub burst: u32,
}

/// Unset quotas mean no limit. The admin token is unlimited unless `admin` is set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Quota>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<Quota>,
    /// Per client IP on the checkout listener.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout: Option<Quota>,
}

impl super::Config {
    pub(super) fn commerce_problems(&self) -> Vec<Invalid> {
        let mut errors = match crate::catalog::products_from_config(&self.products) {
            Ok(_) => Vec::new(),
            Err(e) => e,
        };
        let r = &self.rates;
        if r.min_sources == 0 || r.min_sources > r.sources.len().max(1) {
            errors.push(Invalid::new(
                "rates.min_sources",
                format!("must be between 1 and the {} sources", r.sources.len()),
            ));
        }
        if r.cache_secs > r.max_age_secs {
            errors.push(Invalid::new(
                "rates.cache_secs",
                "must not exceed rates.max_age_secs",
            ));
        }
        for (i, s) in r.sources.iter().enumerate() {
            if let Some(u) = &s.url {
                if url::Url::parse(u)
                    .map(|u| u.cannot_be_a_base())
                    .unwrap_or(true)
                {
                    errors.push(Invalid::new(
                        format!("rates.sources[{i}].url"),
                        "not an http(s) URL",
                    ));
                }
            }
        }
        let c = &self.checkout;
        if let Some(u) = &c.public_url {
            if !matches!(
                url::Url::parse(u)
                    .map(|u| u.scheme().to_string())
                    .as_deref(),
                Ok("http" | "https")
            ) {
                errors.push(Invalid::new("checkout.public_url", "not an http(s) URL"));
            }
        }
        for (i, o) in c.allowed_redirect_origins.iter().enumerate() {
            if crate::checkout::origin_of(o).is_none() {
                errors.push(Invalid::new(
                    format!("checkout.allowed_redirect_origins[{i}]"),
                    "not an http(s) origin",
                ));
            }
        }
        let quotas = [
            ("rate_limit.invoice", self.rate_limit.invoice),
            ("rate_limit.admin", self.rate_limit.admin),
            ("rate_limit.checkout", self.rate_limit.checkout),
        ];
        for (key, q) in quotas {
            if q.is_some_and(|q| q.per_second == 0 || q.burst == 0) {
                errors.push(Invalid::new(key, "per_second and burst must be at least 1"));
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    #[test]
    fn every_bad_commerce_key_is_named() {
        let mut c = Config {
            products: vec![ProductConfig {
                id: "x y".into(),
                name: "X".into(),
                amount: Some("1.001".into()),
                currency: Some("eur".into()),
                ..Default::default()
            }],
            ..Config::default()
        };
        c.rates.min_sources = 4;
        c.rates.cache_secs = 600;
        c.checkout.public_url = Some("ftp://pay.example".into());
        c.checkout.allowed_redirect_origins = vec!["shop.example".into()];
        c.rate_limit.invoice = Some(Quota {
            per_second: 0,
            burst: 1,
        });
        let keys: Vec<String> = c.commerce_problems().into_iter().map(|p| p.key).collect();
        assert_eq!(
            keys,
            [
                "products[0].id",
                "products[0].amount",
                "products[0].currency",
                "rates.min_sources",
                "rates.cache_secs",
                "checkout.public_url",
                "checkout.allowed_redirect_origins[0]",
                "rate_limit.invoice",
            ]
        );
        assert!(Config::default().commerce_problems().is_empty());
    }
}
