//! Payment links and the hosted checkout page: what a shop shows a payer
//! instead of rendering its own QR code and waiting page.

mod page;
pub mod server;

use std::net::SocketAddr;

/// The catalog, its rate sources and the links, as the configuration sets them.
/// The page's listener: `[checkout] listen`, or in dev mode 127.0.0.1 on
/// the port it had last time (kept in the data dir, so links handed out
/// before a restart still open), else a free one. None when checkout is off.
pub async fn bind(
    config: &crate::config::Config,
) -> Result<Option<(tokio::net::TcpListener, SocketAddr)>, (SocketAddr, std::io::Error)> {
    let bound = |l: tokio::net::TcpListener, addr| {
        let a = l.local_addr().map_err(|e| (addr, e))?;
        Ok(Some((l, a)))
    };
    if let Some(addr) = config.checkout.listen {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| (addr, e))?;
        return bound(l, addr);
    }
    if !config.dev {
        return Ok(None);
    }
    let remembered = config.datadir.join(DEV_ADDR_FILE);
    let last: Option<SocketAddr> = std::fs::read_to_string(&remembered)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|a: &SocketAddr| a.ip().is_loopback());
    if let Some(addr) = last {
        if let Ok(l) = tokio::net::TcpListener::bind(addr).await {
            return bound(l, addr);
        }
    }
    let any: SocketAddr = "127.0.0.1:0".parse().expect("valid address");
    let l = tokio::net::TcpListener::bind(any)
        .await
        .map_err(|e| (any, e))?;
    let result = bound(l, any)?;
    if let Some((_, a)) = &result {
        if let Err(e) = std::fs::write(&remembered, a.to_string()) {
            tracing::warn!(error = %e, "cannot remember the dev checkout address");
        }
    }
    Ok(result)
}

/// Where dev mode keeps its checkout address between runs.
const DEV_ADDR_FILE: &str = "checkout.addr";

/// `public_url` defaults to the listener's own address (dev mode, tests).
pub fn commerce(
    config: &crate::config::Config,
    listening: Option<SocketAddr>,
) -> crate::app::Commerce {
    let public_url = config
        .checkout
        .public_url
        .clone()
        .or_else(|| listening.map(|a| format!("http://{a}")));
    let products = crate::catalog::products_from_config(&config.products)
        .expect("Config::load validated the catalog");
    crate::app::Commerce {
        catalog: std::sync::Arc::new(crate::catalog::Catalog::new(products)),
        rates: std::sync::Arc::new(crate::rates::Rates::new(config.rates.clone())),
        links: Links::new(
            public_url.as_deref(),
            &config.checkout.allowed_redirect_origins,
        ),
    }
}

/// `lightning:` and the BOLT11 in upper case: QR codes encode upper case in
/// their alphanumeric mode, about a third smaller than the byte mode.
pub fn lightning_uri(payment_request: &str) -> String {
    format!("lightning:{}", payment_request.to_ascii_uppercase())
}

/// `scheme://host[:port]` of an http(s) URL, as browsers compare origins.
pub fn origin_of(u: &str) -> Option<String> {
    let u = url::Url::parse(u).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    Some(u.origin().ascii_serialization())
}

/// Where links to the payment page point, and where it may send payers after.
#[derive(Clone, Debug, Default)]
pub struct Links {
    /// `public_url` without its trailing slash; None while checkout is off.
    base: Option<String>,
    allowed_origins: Vec<String>,
}

impl Links {
    pub fn new(public_url: Option<&str>, allowed_redirect_origins: &[String]) -> Self {
        Self {
            base: public_url.map(|u| u.trim_end_matches('/').to_string()),
            allowed_origins: allowed_redirect_origins
                .iter()
                .filter_map(|o| origin_of(o))
                .collect(),
        }
    }

    pub fn checkout_url(&self, invoice_id: &str) -> Option<String> {
        self.base.as_ref().map(|b| format!("{b}/pay/{invoice_id}"))
    }

    /// Whether a payer may be sent to `url` once paid: only to an origin the
    /// operator listed, so the page cannot serve as an open redirect.
    pub fn redirect_allowed(&self, url: &str) -> bool {
        origin_of(url).is_some_and(|o| self.allowed_origins.contains(&o))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_origins_are_redirect_targets() {
        let l = Links::new(
            Some("https://pay.example.com/"),
            &["https://shop.example.com".into()],
        );
        assert_eq!(
            l.checkout_url("inv_1").as_deref(),
            Some("https://pay.example.com/pay/inv_1")
        );
        assert!(l.redirect_allowed("https://shop.example.com/thanks?o=1"));
        for bad in [
            "https://shop.example.com.evil.com/",
            "http://shop.example.com/",
            "javascript:alert(1)",
            "https://shop.example.com:8443/",
            "//shop.example.com/",
        ] {
            assert!(!l.redirect_allowed(bad), "{bad}");
        }
        assert_eq!(lightning_uri("lnbcrt1abc"), "lightning:LNBCRT1ABC");
    }
}
