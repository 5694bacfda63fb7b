//! Where webhooks may go (against SSRF): `https://` only, `http://` only to
//! loopback hosts or with `webhooks.allow_http`; loopback and private ranges
//! refused unless allowed. Names are checked after resolution, by the
//! resolver the HTTP client itself uses, so the address connected to is the
//! address checked: a second lookup cannot swap it (DNS rebinding).

use crate::error::Reason;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    pub allow_http: bool,
    pub allow_loopback: bool,
    pub allow_private: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefused {
    #[error("not an absolute http(s) URL with a host")]
    Invalid,
    #[error("only https:// is allowed (http:// to loopback hosts, or with webhooks.allow_http)")]
    NotHttps,
    #[error("{0} is a loopback address (allowed with webhooks.allow_loopback, or --dev)")]
    Loopback(IpAddr),
    #[error("{0} is in a private or link-local range (allowed with webhooks.allow_private)")]
    Private(IpAddr),
    #[error("{0} is not a unicast address")]
    NotUnicast(IpAddr),
    #[error("the host does not resolve")]
    Unresolvable,
}

impl UrlRefused {
    /// The machine-readable reason of the gRPC error.
    pub fn reason(&self) -> Reason {
        match self {
            UrlRefused::Invalid => Reason::WebhookUrlInvalid,
            UrlRefused::NotHttps => Reason::WebhookUrlNotHttps,
            UrlRefused::Loopback(_) => Reason::WebhookUrlLoopback,
            UrlRefused::Private(_) | UrlRefused::NotUnicast(_) => Reason::WebhookUrlPrivateAddress,
            UrlRefused::Unresolvable => Reason::WebhookUrlUnresolvable,
        }
    }
}

/// The address a v4-mapped v6 address stands for.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn v4_private(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private() || ip.is_link_local() || (a == 100 && (64..128).contains(&b))
}

fn v6_private(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
}

fn v4_not_unicast(ip: Ipv4Addr) -> bool {
    ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.octets()[0] >= 240
        || ip.octets()[0] == 0
}

impl UrlPolicy {
    /// Whether lnpayd may connect to this address.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), UrlRefused> {
        let ip = canonical(ip);
        let (loopback, private, not_unicast) = match ip {
            IpAddr::V4(v4) => (v4.is_loopback(), v4_private(v4), v4_not_unicast(v4)),
            IpAddr::V6(v6) => (
                v6.is_loopback(),
                v6_private(v6),
                v6.is_unspecified() || v6.is_multicast(),
            ),
        };
        if not_unicast {
            Err(UrlRefused::NotUnicast(ip))
        } else if loopback && !self.allow_loopback {
            Err(UrlRefused::Loopback(ip))
        } else if private && !self.allow_private {
            Err(UrlRefused::Private(ip))
        } else {
            Ok(())
        }
    }

    /// What can be checked without DNS: the scheme, and the address when the
    /// host is one. Run before every attempt (an IP literal skips the resolver).
    pub fn check_static(&self, raw: &str) -> Result<url::Url, UrlRefused> {
        let url = url::Url::parse(raw).map_err(|_| UrlRefused::Invalid)?;
        let host = url.host().ok_or(UrlRefused::Invalid)?;
        let ip = match host {
            url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            url::Host::Domain(_) => None,
        };
        let loopback_host = match (ip, &host) {
            (Some(ip), _) => canonical(ip).is_loopback(),
            (None, url::Host::Domain(d)) => {
                d.eq_ignore_ascii_case("localhost")
                    || d.to_ascii_lowercase().ends_with(".localhost")
            }
            _ => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http || (loopback_host && self.allow_loopback) => {}
            "http" => return Err(UrlRefused::NotHttps),
            _ => return Err(UrlRefused::Invalid),
        }
        if let Some(ip) = ip {
            self.check_ip(ip)?;
        }
        Ok(url)
    }

    /// The full check made when an endpoint is created or changed: the
    /// static one, then every address the host resolves to must be allowed.
    pub async fn check(&self, raw: &str) -> Result<url::Url, UrlRefused> {
        let url = self.check_static(raw)?;
        if let Some(url::Host::Domain(d)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(443);
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((d, port))
                .await
                .map_err(|_| UrlRefused::Unresolvable)?
                .collect();
            if addrs.is_empty() {
                return Err(UrlRefused::Unresolvable);
            }
            for a in addrs {
                self.check_ip(a.ip())?;
            }
        }
        Ok(url)
    }
}

/// The HTTP client's resolver: keeps only allowed addresses, and fails the
/// connection with the refusal when none is left.
pub struct PolicyResolver(pub UrlPolicy);

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let mut refusal = UrlRefused::Unresolvable;
            let mut allowed = Vec::new();
            for a in found {
                match policy.check_ip(a.ip()) {
                    Ok(()) => allowed.push(a),
                    Err(e) => refusal = e,
                }
            }
            if allowed.is_empty() {
                return Err(Box::new(refusal) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: UrlPolicy = UrlPolicy {
        allow_http: false,
        allow_loopback: false,
        allow_private: false,
    };

    #[test]
    fn https_only_except_to_allowed_loopback() {
        assert_eq!(
            STRICT.check_static("http://203.0.113.5/hook"),
            Err(UrlRefused::NotHttps)
        );
        assert!(STRICT.check_static("https://203.0.113.5/hook").is_ok());
        let dev = UrlPolicy {
            allow_loopback: true,
            ..STRICT
        };
        assert!(dev.check_static("http://127.0.0.1:8080/hook").is_ok());
        assert!(dev.check_static("http://localhost:8080/hook").is_ok());
        assert_eq!(
            dev.check_static("http://203.0.113.5/hook"),
            Err(UrlRefused::NotHttps)
        );
        assert!(matches!(
            STRICT.check_static("http://127.0.0.1/"),
            Err(UrlRefused::NotHttps)
        ));
        assert!(matches!(
            STRICT.check_static("https://127.0.0.1/"),
            Err(UrlRefused::Loopback(_))
        ));
        assert_eq!(
            STRICT.check_static("ftp://example.com/"),
            Err(UrlRefused::Invalid)
        );
    }

    #[test]
    fn private_link_local_and_odd_ranges_are_refused() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(
                matches!(STRICT.check_ip(ip), Err(UrlRefused::Private(_))),
                "{ip}"
            );
        }
        for ip in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "::", "ff02::1"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(
                matches!(STRICT.check_ip(ip), Err(UrlRefused::NotUnicast(_))),
                "{ip}"
            );
        }
        let open = UrlPolicy {
            allow_private: true,
            ..STRICT
        };
        assert!(open.check_ip("10.1.2.3".parse().unwrap()).is_ok());
        assert!(STRICT.check_ip("8.8.8.8".parse().unwrap()).is_ok());
        assert!(STRICT.check_ip("2001:4860::8888".parse().unwrap()).is_ok());
    }
}
