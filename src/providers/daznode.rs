//! DazNode, an LNbits-compatible REST API (verified against LNbits 1.6.2), as
//! a provider.
//!
//! - Create: `POST {url}/api/v1/payments` with `X-Api-Key: <invoice key>` and
//!   `{"out": false, "amount": <sats>, "memo" | "description_hash", "expiry"}`.
//!   LNbits takes whole satoshis (it truncates `1.5` to 1 sat), so an amount
//!   that is not a whole number of sats is refused here. It honours `expiry`
//!   and `description_hash` (hex) in the BOLT11 exactly.
//! - Check: `GET {url}/api/v1/payments/{hash}` with the key. This is the only
//!   thing that may mark a DazNode invoice paid: the websocket is a hint, as
//!   anyone can inject a message into it.
//! - Health: `GET {url}/api/v1/wallet` (wallet name and balance).
//! - Cancel: LNbits has no way to cancel an incoming invoice. `cancel_invoice`
//!   succeeds without contacting DazNode; the invoice stays payable upstream
//!   until its BOLT11 expiry, and a payment that still arrives is confirmed
//!   by the watcher and recorded as PAID (late): money is never hidden.
//!
//! The API key is a secret: it is sent in a sensitive header, and every error
//! text passes through [`DazNodeProvider::redact`], which also covers the
//! websocket URL (the key is part of its path).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bitcoin::Network;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{HealthDetails, InvoiceRequest, IssuedInvoice, PaidReport, Provider, ProviderError};
use crate::config::{DazNodeConfig, Secret};
use crate::domain::Memo;

/// What `GET /api/v1/payments/{hash}` says of one invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentCheck {
    pub paid: bool,
    /// What was received, when DazNode says.
    pub amount_msat: Option<u64>,
    pub settled_at_ms: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum DazNodeSetupError {
    #[error("daznode.api_key_file: {0}")]
    Key(std::io::Error),
    #[error("daznode: {0}")]
    Client(String),
}

pub struct DazNodeProvider {
    http: reqwest::Client,
    /// The base URL, its path ending in `/`.
    base: url::Url,
    key: Secret,
    network: Network,
    timeout: Duration,
    /// The websocket's state, kept by the settlement watcher, shown in GetStatus.
    pub stream_state: Arc<Mutex<String>>,
}

const KEY_HEADER: &str = "X-Api-Key";
const KEY_HINT: &str = "API key rejected (check daznode.api_key)";

impl DazNodeProvider {
    pub const NAME: &'static str = "daznode";

    /// Builds the HTTP client. Does not contact DazNode (so a DazNode that is
    /// down does not stop lnpayd from starting).
    pub fn new(cfg: &DazNodeConfig) -> Result<Self, DazNodeSetupError> {
        // rustls needs one process-wide crypto provider (for wss://); installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = cfg.api_key().map_err(DazNodeSetupError::Key)?;
        if key.expose().is_empty() {
            return Err(DazNodeSetupError::Client("the API key is empty".into()));
        }
        let mut base = url::Url::parse(cfg.url.trim())
            .map_err(|e| DazNodeSetupError::Client(format!("daznode.url: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(DazNodeSetupError::Client(
                "daznode.url must be an http(s) URL".into(),
            ));
        }
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let mut value = HeaderValue::from_str(key.expose()).map_err(|_| {
            DazNodeSetupError::Client(
                "the API key contains characters not allowed in a header".into(),
            )
        })?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(KEY_HEADER, value);
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lnpayd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DazNodeSetupError::Client(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            key,
            network: cfg.network,
            timeout,
            stream_state: Arc::new(Mutex::new("not connected yet".into())),
        })
    }

    /// The bound on every call (and on the websocket's connect).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Replaces the API key wherever it appears (error texts, URLs) with `<api key>`.
    pub fn redact(&self, text: &str) -> String {
        let key = self.key.expose();
        if key.is_empty() {
            return text.to_string();
        }
        let mut out = text.replace(key, "<api key>");
        // The key percent-encoded, as it appears in a URL path.
        let encoded: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
        if encoded != key {
            out = out.replace(&encoded, "<api key>");
        }
        out
    }

    /// `ws(s)://host/…/api/v1/ws/{key}`. Contains the key: never log or show it.
    pub fn websocket_url(&self) -> url::Url {
        let mut u = self.base.clone();
        let scheme = if u.scheme() == "https" { "wss" } else { "ws" };
        u.set_scheme(scheme).expect("http(s) → ws(s)");
        u.path_segments_mut()
            .expect("http(s) URLs have a path")
            .pop_if_empty()
            .extend(["api", "v1", "ws", self.key.expose()]);
        u
    }

    /// The websocket URL as it may be shown: without the key.
    pub fn websocket_url_redacted(&self) -> String {
        self.redact(self.websocket_url().as_str())
    }

    fn endpoint(&self, path: &str) -> url::Url {
        self.base.join(path).expect("a relative API path")
    }

    /// One call under the per-call timeout: the status and the JSON body
    /// (Null when the body is not JSON), with transport errors classified.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), ProviderError> {
        let mut req = self.http.request(method, self.endpoint(path));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            // LNbits (slowapi) limits requests per client address, 200 a
            // minute by default; it sends Retry-After only if configured to.
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(ProviderError::RateLimited {
                retry_after,
                detail: format!("HTTP 429 on {}", self.redact(path)),
            });
        }
        let bytes = resp.bytes().await.map_err(|e| self.transport_error(&e))?;
        let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            let text = String::from_utf8_lossy(&bytes);
            Value::String(text.chars().take(200).collect())
        });
        Ok((status, value))
    }

    fn transport_error(&self, e: &reqwest::Error) -> ProviderError {
        if e.is_timeout() {
            return ProviderError::Timeout(self.timeout);
        }
        let mut text = e.to_string();
        super::append_sources(&mut text, e);
        let text = self.redact(&text);
        if e.is_connect() {
            ProviderError::Unavailable(format!("unreachable: {text}"))
        } else {
            ProviderError::Unavailable(text)
        }
    }

    /// An HTTP error status as a provider error naming the cause.
    fn status_error(&self, status: StatusCode, body: &Value) -> ProviderError {
        let detail = self.redact(&detail_of(body));
        let lower = detail.to_lowercase();
        let code = status.as_u16();
        if code == 401 || code == 403 || (code == 404 && lower.contains("wallet not found")) {
            return ProviderError::Rejected(format!("{KEY_HINT}: HTTP {code}: {detail}"));
        }
        // LNbits answers its own refusals (amount above the wallet's limit,
        // balance cap, unsupported request) with 520 and status "failed";
        // a backend that could not make the invoice gets status "pending".
        if code == 520 && body.get("status").and_then(Value::as_str) == Some("failed") {
            return ProviderError::Rejected(format!("HTTP 520: {detail}"));
        }
        if status.is_server_error() || code == 408 || code == 429 {
            return ProviderError::Unavailable(format!("HTTP {code}: {detail}"));
        }
        if status.is_redirection() {
            // A fresh LNbits (no first install) or a wrong daznode.url.
            return ProviderError::Unavailable(format!(
                "HTTP {code} redirect (check daznode.url): {detail}"
            ));
        }
        ProviderError::Rejected(format!("HTTP {code}: {detail}"))
    }

    /// Confirms a payment with DazNode itself: the only thing that may mark a DazNode invoice paid.
    pub async fn check_payment(&self, payment_hash: &str) -> Result<PaymentCheck, ProviderError> {
        if payment_hash.len() != 64 || !payment_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ProviderError::Rejected(
                "payment hash is not 64 hex digits".into(),
            ));
        }
        let hash = payment_hash.to_ascii_lowercase();
        let (status, body) = self
            .call(Method::GET, &format!("api/v1/payments/{hash}"), None)
            .await?;
        if status == StatusCode::NOT_FOUND && !detail_of(&body).to_lowercase().contains("wallet") {
            return Err(ProviderError::Rejected(format!(
                "DazNode does not know payment {hash}: {}",
                self.redact(&detail_of(&body))
            )));
        }
        if !status.is_success() {
            return Err(self.status_error(status, &body));
        }
        parse_check(&hash, &body)
    }
}

/// Reads a 200 answer of `GET /api/v1/payments/{hash}`.
fn parse_check(hash: &str, body: &Value) -> Result<PaymentCheck, ProviderError> {
    let Some(paid) = body.get("paid").and_then(Value::as_bool) else {
        return Err(ProviderError::Unavailable(
            "unexpected answer to a payment check (no \"paid\")".into(),
        ));
    };
    // Without a valid key LNbits answers only {paid, preimage}: the details
    // prove the payment is this wallet's.
    let Some(details) = body.get("details").filter(|d| d.is_object()) else {
        return Err(ProviderError::Rejected(format!(
            "{KEY_HINT}: the payment check came back without the wallet's details"
        )));
    };
    if let Some(h) = details.get("payment_hash").and_then(Value::as_str) {
        if !h.eq_ignore_ascii_case(hash) {
            return Err(ProviderError::Unavailable(format!(
                "the payment check answered for another payment hash ({h})"
            )));
        }
    }
    let amount = details.get("amount").and_then(Value::as_i64);
    if paid && amount.is_some_and(|a| a < 0) {
        // An outgoing payment with this hash, not our incoming invoice.
        return Err(ProviderError::Rejected(format!(
            "payment {hash} is an outgoing payment of this wallet, not an invoice"
        )));
    }
    let status_ok = details
        .get("status")
        .and_then(Value::as_str)
        .is_none_or(|s| s == "success");
    let paid = paid && status_ok;
    Ok(PaymentCheck {
        paid,
        amount_msat: amount.filter(|a| *a > 0).map(|a| a as u64),
        settled_at_ms: if paid {
            details
                .get("updated_at")
                .or_else(|| details.get("time"))
                .and_then(Value::as_str)
                .and_then(parse_rfc3339_ms)
        } else {
            None
        },
    })
}

/// LNbits' error text: `{"detail": "..."}` (a string, or FastAPI's list of
/// validation errors), or whatever the body was.
fn detail_of(body: &Value) -> String {
    match body.get("detail") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string().chars().take(300).collect(),
        None => match body {
            Value::String(s) => s.clone(),
            Value::Null => "(empty body)".into(),
            other => other.to_string().chars().take(300).collect(),
        },
    }
}

/// `2026-01-02T03:04:05[.ffffff][Z|±hh:mm]` (no offset means UTC, as LNbits
/// writes) → ms since the epoch.
fn parse_rfc3339_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac_ms = 0i64;
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        let f = &r[..digits];
        let ms3: String = f.chars().chain("000".chars()).take(3).collect();
        frac_ms = ms3.parse().ok()?;
        rest = &r[digits..];
    }
    let offset_secs = match rest {
        "" | "Z" | "z" => 0,
        o if o.len() == 6 && matches!(&o[..1], "+" | "-") && &o[3..4] == ":" => {
            let oh: i64 = o[1..3].parse().ok()?;
            let om: i64 = o[4..6].parse().ok()?;
            let v = oh * 3600 + om * 60;
            if o.starts_with('-') {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_secs;
    u64::try_from(secs * 1000 + frac_ms).ok()
}

#[async_trait]
impl Provider for DazNodeProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn network(&self) -> Network {
        self.network
    }

    async fn create_invoice(&self, req: &InvoiceRequest) -> Result<IssuedInvoice, ProviderError> {
        if req.amount_msat % 1000 != 0 {
            return Err(ProviderError::Rejected(format!(
                "DazNode takes whole satoshis: {} msat is not a whole number of sats",
                req.amount_msat
            )));
        }
        let mut body = json!({
            "out": false,
            "amount": req.amount_msat / 1000,
            "expiry": req.expiry_secs,
        });
        match &req.memo {
            Memo::Description(d) => body["memo"] = Value::String(d.clone()),
            Memo::Hash(h) => body["description_hash"] = Value::String(hex::encode(h)),
        }
        let (status, resp) = self
            .call(Method::POST, "api/v1/payments", Some(&body))
            .await?;
        if !status.is_success() {
            return Err(self.status_error(status, &resp));
        }
        let payment_request = resp
            .get("payment_request")
            .or_else(|| resp.get("bolt11"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ProviderError::Mismatch("the answer has no payment_request/bolt11".into())
            })?;
        Ok(IssuedInvoice {
            payment_request: payment_request.to_string(),
            decoded: None,
        })
    }

    /// LNbits cannot cancel an incoming invoice: this succeeds without
    /// contacting DazNode. The invoice stays payable upstream until its BOLT11
    /// expiry; a payment that still arrives is confirmed by the watcher and
    /// recorded as PAID (late), so money is never hidden.
    async fn cancel_invoice(&self, _payment_hash: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn lookup_paid(&self, payment_hash: &str) -> Result<Option<PaidReport>, ProviderError> {
        let check = self.check_payment(payment_hash).await?;
        Ok(check.paid.then(|| PaidReport {
            amount_msat: check.amount_msat.unwrap_or(0),
            settled_at_ms: check.settled_at_ms,
        }))
    }

    async fn check_health(&self) -> Result<HealthDetails, ProviderError> {
        let (status, body) = self.call(Method::GET, "api/v1/wallet", None).await?;
        if !status.is_success() {
            return Err(self.status_error(status, &body));
        }
        let mut details = vec![(
            "websocket".to_string(),
            self.stream_state.lock().expect("state lock").clone(),
        )];
        if let Some(name) = body.get("name").and_then(Value::as_str) {
            details.push(("wallet".into(), name.to_string()));
        }
        if let Some(b) = body.get("balance").and_then(Value::as_i64) {
            details.push(("balance_msat".into(), b.to_string()));
        }
        details.push(("network".into(), self.network.to_string()));
        Ok(HealthDetails { details })
    }

    fn connection_state(&self) -> Option<String> {
        Some(self.stream_state.lock().expect("state lock").clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(url: &str, key: &str) -> DazNodeProvider {
        DazNodeProvider::new(&DazNodeConfig {
            url: url.into(),
            api_key_file: None,
            api_key: Some(Secret::new(key)),
            network: Network::Bitcoin,
            timeout_secs: 5,
            reconnect_max_secs: 5,
        })
        .unwrap()
    }

    #[test]
    fn websocket_url_and_redaction() {
        let p = provider("https://daz.example/lnbits", "k3y0123");
        assert_eq!(
            p.websocket_url().as_str(),
            "wss://daz.example/lnbits/api/v1/ws/k3y0123"
        );
        assert_eq!(
            p.websocket_url_redacted(),
            "wss://daz.example/lnbits/api/v1/ws/<api key>"
        );
        assert_eq!(
            p.endpoint("api/v1/wallet").as_str(),
            "https://daz.example/lnbits/api/v1/wallet"
        );
        let p = provider("http://127.0.0.1:5000", "abc");
        assert_eq!(
            p.websocket_url().as_str(),
            "ws://127.0.0.1:5000/api/v1/ws/abc"
        );
        assert_eq!(p.redact("x abc y abc"), "x <api key> y <api key>");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let cfg = DazNodeConfig {
            url: "http://h".into(),
            api_key_file: None,
            api_key: Some(Secret::new("supersecretkey")),
            network: Network::Bitcoin,
            timeout_secs: 5,
            reconnect_max_secs: 5,
        };
        assert!(!format!("{cfg:?}").contains("supersecretkey"));
    }

    #[test]
    fn status_errors_name_the_cause() {
        let p = provider("http://127.0.0.1:1", "abc");
        let e = p.status_error(
            StatusCode::NOT_FOUND,
            &json!({"detail": "Wallet not found."}),
        );
        assert!(
            matches!(&e, ProviderError::Rejected(m) if m.contains("check daznode.api_key")),
            "{e}"
        );
        let e = p.status_error(
            StatusCode::from_u16(520).unwrap(),
            &json!({"detail": "boom"}),
        );
        assert!(e.is_transient());
        // LNbits' own refusals (services/payments.py: InvoiceError status="failed").
        let e = p.status_error(
            StatusCode::from_u16(520).unwrap(),
            &json!({"detail": "Invoice amount 9 is too high. Max allowed: 5.", "status": "failed"}),
        );
        assert!(matches!(e, ProviderError::Rejected(_)), "{e}");
        let e = p.status_error(
            StatusCode::from_u16(520).unwrap(),
            &json!({"detail": "unexpected backend error.", "status": "pending"}),
        );
        assert!(e.is_transient(), "{e}");
        let e = p.status_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"detail": [{"msg": "x"}]}),
        );
        assert!(matches!(e, ProviderError::Rejected(_)));
        let e = p.status_error(StatusCode::FORBIDDEN, &json!({"detail": "nope abc"}));
        assert!(!e.to_string().contains("abc"), "{e}");
    }

    #[test]
    fn parses_checks() {
        let h = "cc7893164bd5b5839c57d2626b6b3bcd3cb7ec553bf5cfee151e02f8cc9b0f49";
        let paid = json!({"paid": true, "preimage": "00", "details": {
            "payment_hash": h, "amount": 7000, "status": "success",
            "updated_at": "2026-11-20T22:30:38.789551+00:00"}});
        let c = parse_check(h, &paid).unwrap();
        assert!(c.paid);
        assert_eq!(c.amount_msat, Some(7000));
        assert_eq!(c.settled_at_ms, Some(1_795_213_838_789));
        let pending = json!({"paid": false, "status": "pending", "details": {
            "payment_hash": h, "amount": 7000, "status": "pending"}});
        assert!(!parse_check(h, &pending).unwrap().paid);
        // No details: the key was not accepted; never a confirmation.
        assert!(parse_check(h, &json!({"paid": true, "preimage": "00"})).is_err());
        let outgoing = json!({"paid": true, "details": {"payment_hash": h, "amount": -7000}});
        assert!(parse_check(h, &outgoing).is_err());
    }

    #[tokio::test]
    async fn a_silent_or_absent_server_is_transient() {
        // Accepts connections and never answers.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", silent.local_addr().unwrap());
        let _hold = std::thread::spawn(move || {
            let conns: Vec<_> = silent.incoming().take(4).collect();
            std::thread::sleep(Duration::from_secs(5));
            drop(conns);
        });
        let mut cfg = DazNodeConfig {
            url,
            api_key_file: None,
            api_key: Some(Secret::new("abc")),
            network: Network::Bitcoin,
            timeout_secs: 1,
            reconnect_max_secs: 5,
        };
        let p = DazNodeProvider::new(&cfg).unwrap();
        let req = InvoiceRequest {
            amount_msat: 1000,
            memo: Memo::Description("x".into()),
            expiry_secs: 60,
        };
        let t = std::time::Instant::now();
        let e = p.create_invoice(&req).await.unwrap_err();
        assert!(matches!(e, ProviderError::Timeout(_)), "{e}");
        assert!(t.elapsed() < Duration::from_secs(3));
        let e = p.check_payment(&"ab".repeat(32)).await.unwrap_err();
        assert!(e.is_transient(), "{e}");

        // Nobody listening.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        cfg.url = format!("http://127.0.0.1:{port}");
        let p = DazNodeProvider::new(&cfg).unwrap();
        let e = p.check_health().await.unwrap_err();
        assert!(
            matches!(&e, ProviderError::Unavailable(m) if m.starts_with("unreachable")),
            "{e}"
        );

        // Not whole sats: refused before any call.
        let e = p
            .create_invoice(&InvoiceRequest {
                amount_msat: 1500,
                ..req
            })
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::Rejected(m) if m.contains("whole")),
            "{e}"
        );
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00"), Some(0));
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_rfc3339_ms("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2000-03-01T00:00:00"),
            Some(951_868_800_000)
        );
        assert_eq!(parse_rfc3339_ms("garbage"), None);
    }
}
