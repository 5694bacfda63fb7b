//! DazNode's webhook (issue 17), a second push path beside the websocket:
//! every invoice is created with LNbits' `webhook` field set to its own URL,
//! and LNbits POSTs the Payment there once it is paid.
//!
//! The URL is `{webhook_url}/daznode/webhook/{invoice id}/{token}`, the token
//! an HMAC-SHA256 of lnpayd's invoice id under a key kept in the data dir.
//! Bound to the invoice id, not the payment hash: LNbits takes the URL in the
//! create call and learns the hash only while answering it (1.6.2 has no way
//! to change a payment's webhook afterwards), while lnpayd chooses the id
//! before it asks any provider. Nobody without the key can make a URL for
//! another invoice, and the key never leaves the machine.
//!
//! A call is only a hint: [`Hook`] checks the token, lets one call per
//! invoice per window through ([`LookupLimiter`]) and queues it; the watcher
//! then confirms the payment with `GET /api/v1/payments/{hash}` and our key,
//! exactly as it does for a websocket frame. A forged call costs one HMAC; a
//! replayed or repeated one at most one lookup per invoice per window.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use ring::hmac;
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;

use crate::providers::InboundWebhook;

/// The key's file name in the data dir.
pub const KEY_FILE: &str = "daznode-webhook.key";
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum WebhookKeyError {
    #[error("webhook key {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("webhook key {path} is {len} bytes, expected {KEY_LEN}")]
    Length { path: String, len: usize },
}

/// The HMAC key that binds a webhook URL to its invoice.
pub struct WebhookKey(hmac::Key);

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey(..)")
    }
}

impl WebhookKey {
    /// Reads the key from `datadir`, creating it (32 random bytes, mode
    /// 0600) on first use, so URLs handed out before a restart stay valid.
    pub fn load_or_create(datadir: &Path) -> Result<Self, WebhookKeyError> {
        let path = datadir.join(KEY_FILE);
        let io = |source| WebhookKeyError::Io {
            path: path.display().to_string(),
            source,
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let fresh: [u8; KEY_LEN] = rand::random();
                crate::daemon::write_secret_bytes(&path, &fresh).map_err(io)?;
                fresh.to_vec()
            }
            Err(e) => return Err(io(e)),
        };
        if bytes.len() != KEY_LEN {
            return Err(WebhookKeyError::Length {
                path: path.display().to_string(),
                len: bytes.len(),
            });
        }
        Ok(Self::from_bytes(&bytes))
    }

    pub fn from_bytes(key: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, key))
    }

    /// The token for `bound` (an invoice id).
    pub fn token(&self, bound: &str) -> String {
        hex::encode(hmac::sign(&self.0, bound.as_bytes()).as_ref())
    }

    /// Whether `token` is the one for `bound`, compared in constant time so
    /// the answer's timing reveals nothing of the right token.
    pub fn verify(&self, bound: &str, token: &str) -> bool {
        let expected = self.token(bound);
        expected.len() == token.len() && bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// At most one lookup per invoice per window from the webhook path, keyed
/// by whatever names the invoice (its id).
pub struct LookupLimiter {
    window: Duration,
    last: Mutex<HashMap<String, Instant>>,
}

impl LookupLimiter {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a lookup for `payment_hash` may run now; if so, it counts.
    pub fn allow(&self, invoice: &str, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        // Entries older than the window decide nothing: dropping them keeps
        // the map as small as the calls of the last window.
        last.retain(|_, at| now.saturating_duration_since(*at) < self.window);
        if last.contains_key(invoice) {
            return false;
        }
        last.insert(invoice.to_owned(), now);
        true
    }
}

/// One webhook call the watcher is to confirm.
#[derive(Debug)]
pub struct Hint {
    pub invoice_id: String,
    /// The hash the body names, if it names one.
    pub body_hash: Option<String>,
}

/// How a webhook call ended, as `lnpayd_daznode_webhook_calls_total{outcome}`
/// counts it. A lookup at DazNode happened for `paid`, `unpaid` and `failed`
/// only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// No such URL: wrong token or malformed path. Nothing read, nothing asked.
    Forged,
    /// Another call for the invoice within the window: nothing asked.
    Limited,
    /// The queue to the watcher is full: dropped (the websocket, the
    /// reconcile and the lookup before expiry remain).
    Dropped,
    /// A valid token for an invoice lnpayd does not have (its create failed).
    Unknown,
    /// Already paid, or issued by another provider: nothing asked.
    Settled,
    /// The body names another payment hash than the invoice's.
    Mismatch,
    Paid,
    Unpaid,
    Failed,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forged => "forged",
            Self::Limited => "limited",
            Self::Dropped => "dropped",
            Self::Unknown => "unknown",
            Self::Settled => "settled",
            Self::Mismatch => "mismatch",
            Self::Paid => "paid",
            Self::Unpaid => "unpaid",
            Self::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

fn calls() -> &'static Family<OutcomeLabel, Counter> {
    static CALLS: std::sync::OnceLock<Family<OutcomeLabel, Counter>> = std::sync::OnceLock::new();
    CALLS.get_or_init(Family::default)
}

pub fn count(outcome: CallOutcome) {
    calls()
        .get_or_create(&OutcomeLabel {
            outcome: outcome.as_str(),
        })
        .inc();
}

/// Registers the family into the process registry (`crate::metrics`).
pub fn register(registry: &mut prometheus_client::registry::Registry) {
    registry.register(
        "daznode_webhook_calls",
        "Calls to DazNode's webhook by outcome (forged, limited, dropped, unknown, settled, mismatch, paid, unpaid, failed)",
        calls().clone(),
    );
}

/// The window in which one invoice's webhook calls cost one lookup. LNbits
/// delivers an internal payment's webhook twice, a second apart at most.
pub const LOOKUP_WINDOW: Duration = Duration::from_secs(10);
/// Calls waiting for the watcher; more are dropped (they are hints).
const QUEUE: usize = 1024;

/// DazNode's webhook: the URL an invoice is created with, and the receiving
/// end that turns a call into a [`Hint`] for the watcher.
pub struct Hook {
    /// `webhook_url`, its path ending in `/`.
    base: url::Url,
    key: WebhookKey,
    limiter: LookupLimiter,
    tx: mpsc::Sender<Hint>,
    rx: Mutex<Option<mpsc::Receiver<Hint>>>,
}

impl Hook {
    pub fn new(base: url::Url, key: WebhookKey) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        Self {
            base,
            key,
            limiter: LookupLimiter::new(LOOKUP_WINDOW),
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }

    /// `{webhook_url}/daznode/webhook/{invoice id}/{token}`. Holds a token:
    /// never logged.
    pub fn url_for(&self, invoice_id: &str) -> String {
        let mut u = self.base.clone();
        u.path_segments_mut()
            .expect("http(s) URLs have a path")
            .pop_if_empty()
            .extend([
                super::DazNodeProvider::NAME,
                "webhook",
                invoice_id,
                &self.key.token(invoice_id),
            ]);
        u.into()
    }

    /// The calls to confirm; taken once, by the watcher.
    pub fn take_hints(&self) -> Option<mpsc::Receiver<Hint>> {
        self.rx.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// The invoice id of `{invoice id}/{token}` when the token is its own.
    fn invoice_of<'a>(&self, rest: &'a str) -> Option<&'a str> {
        let (id, token) = rest.split_once('/')?;
        let well_formed = id.len() == 36
            && id.starts_with("inv_")
            && id[4..]
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && token.len() == 64;
        (well_formed && self.key.verify(id, token)).then_some(id)
    }
}

impl InboundWebhook for Hook {
    fn knows(&self, rest: &str) -> bool {
        let known = self.invoice_of(rest).is_some();
        if !known {
            count(CallOutcome::Forged);
        }
        known
    }

    fn receive(&self, rest: &str, body: &[u8]) {
        let Some(id) = self.invoice_of(rest) else {
            count(CallOutcome::Forged);
            return;
        };
        if !self.limiter.allow(id, Instant::now()) {
            tracing::debug!(invoice_id = %id, "DazNode webhook called again within the window; ignored");
            count(CallOutcome::Limited);
            return;
        }
        let hint = Hint {
            invoice_id: id.to_owned(),
            body_hash: payment_hash_of_body(body),
        };
        if self.tx.try_send(hint).is_err() {
            tracing::warn!(invoice_id = %id, "DazNode webhook queue full; call dropped (the websocket and the lookup before expiry remain)");
            count(CallOutcome::Dropped);
        }
    }
}

/// `body` with the token of `webhook_url` replaced wherever it appears.
/// LNbits' validation errors (HTTP 422) echo the input, which holds the
/// webhook URL, and a provider error is logged and kept in GetStatus: the
/// token must not go with it. A token is hex, so it is replaced in the JSON
/// text as is.
pub fn scrub(body: serde_json::Value, webhook_url: Option<&str>) -> serde_json::Value {
    let Some(token) = webhook_url.and_then(|u| u.rsplit('/').next()) else {
        return body;
    };
    match serde_json::to_string(&body) {
        Ok(text) if !token.is_empty() && text.contains(token) => {
            serde_json::from_str(&text.replace(token, "<webhook token>")).unwrap_or_default()
        }
        _ => body,
    }
}

/// The payment hash an LNbits webhook body names, if any. LNbits posts the
/// Payment JSON encoded twice (a JSON string holding the object); a body
/// encoded once is accepted too. The URL's hash, bound by the token, is what
/// counts: a body naming another hash is refused by the caller.
pub fn payment_hash_of_body(body: &[u8]) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let serde_json::Value::String(inner) = &v {
        v = serde_json::from_str(inner).ok()?;
    }
    let h = v.get("payment_hash")?.as_str()?;
    (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then(|| h.to_ascii_lowercase())
}

#[cfg(test)]
mod tests;
