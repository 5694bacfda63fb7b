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
//!
//! - `api`: the LNbits bodies, typed, and how its answers become errors;
//! - `watcher`: the push half, the websocket (and the webhook) as hints, the
//!   API as the truth;
//! - `webhook`: the optional second push path, LNbits' per-invoice webhook.

mod api;
pub mod config;
mod watcher;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bitcoin::Network;
use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::supervisor::{ConnectionState, StateCell};
use super::{
    HealthDetails, InvoiceRequest, IssuedInvoice, PaidReport, Provider, ProviderError, WatchContext,
};
use crate::config::{DazNodeConfig, Secret};
use crate::domain::Memo;
use api::{detail_of, parse_check, ErrorBody, KEY_HINT};

pub use api::PaymentCheck;

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
    reconnect_max: Duration,
    /// The websocket's state, kept by the watcher, shown in GetStatus.
    stream_state: StateCell,
    /// The webhook, when `webhook_url` is set.
    hook: Option<Arc<webhook::Hook>>,
}

const KEY_HEADER: &str = "X-Api-Key";

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
            reconnect_max: Duration::from_secs(cfg.reconnect_max_secs),
            stream_state: StateCell::default(),
            hook: None,
        })
    }

    /// Creates every invoice with a webhook under `base` (see [`webhook`]).
    pub fn with_webhook(mut self, base: url::Url, key: webhook::WebhookKey) -> Self {
        self.hook = Some(Arc::new(webhook::Hook::new(base, key)));
        self
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
        body: Option<&api::CreatePayment>,
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
        let typed = ErrorBody::from_value(body);
        let code = status.as_u16();
        if code == 401 || code == 403 || (code == 404 && typed.is_unknown_wallet()) {
            return ProviderError::Unauthorized(format!("{KEY_HINT}: HTTP {code}: {detail}"));
        }
        // LNbits answers its own refusals (amount above the wallet's limit,
        // balance cap, unsupported request) with 520 and status "failed";
        // a backend that could not make the invoice gets status "pending".
        if code == 520 && typed.status.as_deref() == Some("failed") {
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
        if status == StatusCode::NOT_FOUND && !ErrorBody::from_value(&body).is_unknown_wallet() {
            return Err(ProviderError::NotFound(format!(
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
        let (memo, description_hash) = match &req.memo {
            Memo::Description(d) => (Some(d.clone()), None),
            Memo::Hash(h) => (None, Some(hex::encode(h))),
        };
        let body = api::CreatePayment {
            out: false,
            amount: req.amount_msat / 1000,
            expiry: req.expiry_secs,
            memo,
            description_hash,
            webhook: self.hook.as_ref().map(|h| h.url_for(&req.invoice_id)),
        };
        let (status, resp) = self
            .call(Method::POST, "api/v1/payments", Some(&body))
            .await?;
        if !status.is_success() {
            let resp = webhook::scrub(resp, body.webhook.as_deref());
            return Err(self.status_error(status, &resp));
        }
        let created = api::CreatedPayment::deserialize(&resp).unwrap_or_default();
        let payment_request = created.bolt11().ok_or_else(|| {
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
        let mut details = vec![("websocket".to_string(), self.stream_state.get().to_string())];
        let wallet = api::Wallet::deserialize(&body).unwrap_or_default();
        if let Some(name) = wallet.name {
            details.push(("wallet".into(), name));
        }
        if let Some(b) = wallet.balance.as_ref().and_then(serde_json::Number::as_i64) {
            details.push(("balance_msat".into(), b.to_string()));
        }
        details.push(("network".into(), self.network.to_string()));
        Ok(HealthDetails { details })
    }

    fn connection_state(&self) -> Option<ConnectionState> {
        Some(self.stream_state.get())
    }

    fn node_answered(&self) {
        self.stream_state.wake();
    }

    fn inbound_webhook(&self) -> Option<Arc<dyn super::InboundWebhook>> {
        self.hook.clone().map(|h| h as _)
    }

    fn watch(
        self: Arc<Self>,
        ctx: WatchContext,
        shutdown: CancellationToken,
    ) -> BoxFuture<'static, ()> {
        let reconnect_max = self.reconnect_max;
        let watcher = watcher::DazNodeWatcher {
            daz: self,
            store: ctx.store,
            settler: ctx.settler,
        };
        Box::pin(async move { watcher.run(reconnect_max, shutdown).await })
    }

    fn serve_inbound(
        self: Arc<Self>,
        ctx: WatchContext,
        shutdown: CancellationToken,
    ) -> Option<BoxFuture<'static, ()>> {
        let hints = self.hook.as_ref().and_then(|h| h.take_hints())?;
        let watcher = watcher::DazNodeWatcher {
            daz: self,
            store: ctx.store,
            settler: ctx.settler,
        };
        Some(Box::pin(async move {
            watcher.follow_webhook(hints, shutdown).await
        }))
    }
}

#[cfg(test)]
mod tests;
