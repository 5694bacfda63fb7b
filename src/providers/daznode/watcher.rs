//! DazNode settlement watcher: its websocket as a hint, every payment
//! confirmed through the API.
//!
//! LNbits pushes one frame per payment on `ws(s)://host/api/v1/ws/{invoice
//! key}` (twice for internal payments), but anyone can inject a message into
//! that channel with an unauthenticated `GET /api/v1/ws/{id}/{data}`. So a
//! frame is only parsed for a payment hash; if it names one of our DazNode
//! invoices that is not yet paid, `GET /api/v1/payments/{hash}` with our key
//! decides. A forged frame costs one lookup and marks nothing paid.
//!
//! On every (re)connect, every pending DazNode invoice (and those expired or
//! canceled in the last two days: LNbits cannot cancel, so they stay payable)
//! is looked up, which catches whatever was paid while the websocket was down.
//! A connection that stays silent is probed with a ping; no answer means a
//! reconnect.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::webhook::{self, CallOutcome, Hint};
use super::{DazNodeProvider, PaymentCheck};
use crate::domain::{Invoice, InvoiceStatus, SettlePath};
use crate::providers::supervisor::{
    keep_connected, reconcile_candidates, ConnectionState, PushSession, StateCell,
};
use crate::providers::{store_err, Provider, ProviderError};
use crate::settlement::{Settlement, Settler};
use crate::store::Store;
use crate::time::now_ms;

/// Nothing received for this long: send a ping.
const IDLE_PING: Duration = Duration::from_secs(30);
/// No frame (pong or other) this long after the ping: the connection is dead.
const PONG_WAIT: Duration = Duration::from_secs(10);
/// A lookup refused for rate is tried this many times, waiting 1, 2, 4 … s
/// (at most RATE_LIMIT_MAX_WAIT) in between: about two minutes in all,
/// longer than LNbits' per-minute window.
const RATE_LIMIT_ATTEMPTS: u32 = 8;
const RATE_LIMIT_MAX_WAIT: Duration = Duration::from_secs(30);
/// Webhook calls confirmed at once.
const WEBHOOK_LOOKUPS: usize = 4;

/// What a push led to.
enum Confirmed {
    /// Nothing asked: already paid, or not a DazNode invoice.
    Skipped,
    Paid,
    Unpaid,
}

pub struct DazNodeWatcher {
    pub daz: Arc<DazNodeProvider>,
    pub store: Arc<dyn Store>,
    pub settler: Arc<Settler>,
}

#[async_trait::async_trait]
impl PushSession for DazNodeWatcher {
    const WHAT: &'static str = "DazNode websocket";

    fn state(&self) -> &StateCell {
        &self.daz.stream_state
    }

    /// One connection: connect, reconcile, then follow the frames until the
    /// connection fails.
    async fn session(&self, failures: &mut u32) -> ProviderError {
        match self.session_inner(failures).await {
            Ok(never) => match never {},
            Err(e) => e,
        }
    }

    // Errors are built redacted; redact again in case a library put the URL in one.
    fn describe(&self, e: &ProviderError) -> String {
        self.daz.redact(&e.to_string())
    }
}

impl DazNodeWatcher {
    pub async fn run(&self, reconnect_max: Duration, shutdown: CancellationToken) {
        keep_connected(self, reconnect_max, shutdown).await
    }

    /// Confirms the webhook's calls until shutdown, a few at a time (one
    /// waiting out DazNode's rate limit does not hold up the others). An
    /// error drops the hint only: the websocket, the reconcile on reconnect
    /// and the lookup before expiry remain.
    pub async fn follow_webhook(&self, hints: mpsc::Receiver<Hint>, shutdown: CancellationToken) {
        let confirm_all =
            ReceiverStream::new(hints).for_each_concurrent(WEBHOOK_LOOKUPS, |hint| async move {
                let outcome = self.on_webhook(&hint).await;
                webhook::count(outcome);
            });
        // Lookups in flight (one may be waiting out a rate limit) are
        // dropped at shutdown: a settlement they would have made is found
        // by the reconcile at the next start.
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = confirm_all => {}
        }
    }

    async fn on_webhook(&self, hint: &Hint) -> CallOutcome {
        let inv = match self.store.invoice(&hint.invoice_id) {
            Ok(Some(inv)) => inv,
            Ok(None) => return CallOutcome::Unknown,
            Err(e) => {
                tracing::warn!(invoice_id = %hint.invoice_id, error = %e, "DazNode webhook: store read failed; call dropped");
                return CallOutcome::Failed;
            }
        };
        if hint
            .body_hash
            .as_ref()
            .is_some_and(|h| *h != inv.payment_hash)
        {
            tracing::warn!(invoice_id = %inv.id, "DazNode webhook body names another payment hash; ignored");
            return CallOutcome::Mismatch;
        }
        match self.confirm(&inv, SettlePath::Webhook).await {
            Ok(Confirmed::Skipped) => CallOutcome::Settled,
            Ok(Confirmed::Paid) => CallOutcome::Paid,
            Ok(Confirmed::Unpaid) => CallOutcome::Unpaid,
            Err(e) => {
                tracing::warn!(invoice_id = %inv.id, error = %self.daz.redact(&e.to_string()),
                    "DazNode webhook: confirming the payment failed; call dropped");
                CallOutcome::Failed
            }
        }
    }

    async fn session_inner(
        &self,
        failures: &mut u32,
    ) -> Result<std::convert::Infallible, ProviderError> {
        let url = self.daz.websocket_url();
        let timeout = self.daz.timeout();
        let (mut ws, _) =
            match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url.as_str()))
                .await
            {
                Err(_) => {
                    return Err(ProviderError::Unavailable(format!(
                        "websocket connect timed out after {timeout:?}"
                    )))
                }
                Ok(Err(e)) => {
                    return Err(ProviderError::Unavailable(format!(
                        "websocket connect: {}",
                        self.daz.redact(&ws_error_text(&e))
                    )))
                }
                Ok(Ok(c)) => c,
            };
        drop(url);
        // LNbits accepts a websocket for any key (it is only a channel name):
        // only the API says whether the key is the wallet's.
        self.daz.check_health().await?;
        // Subscribed first: what is paid from now on arrives as a frame, what
        // was paid before, the lookups find. The lookups run while the frames
        // are read: with many candidates and LNbits' rate limit they can take
        // minutes, and an unread websocket stops answering the server's pings.
        let reconcile = self.reconcile();
        tokio::pin!(reconcile);
        let mut reconciling = true;

        let mut ping_sent = false;
        loop {
            let wait = if ping_sent { PONG_WAIT } else { IDLE_PING };
            let next = tokio::select! {
                done = &mut reconcile, if reconciling => {
                    reconciling = false;
                    let reconciled = done?;
                    tracing::info!(
                        url = %self.daz.websocket_url_redacted(),
                        reconciled,
                        "DazNode websocket connected"
                    );
                    self.daz.stream_state.set(ConnectionState::Connected);
                    *failures = 0;
                    continue;
                }
                next = tokio::time::timeout(wait, ws.next()) => next,
            };
            let msg = match next {
                Err(_) if ping_sent => {
                    return Err(ProviderError::Unavailable(format!(
                        "no answer to a websocket ping within {PONG_WAIT:?}"
                    )))
                }
                Err(_) => {
                    tokio::time::timeout(timeout, ws.send(Message::Ping(Vec::new().into())))
                        .await
                        .map_err(|_| {
                            ProviderError::Unavailable("sending a websocket ping timed out".into())
                        })?
                        .map_err(|e| self.ws_err("sending a websocket ping", &e))?;
                    ping_sent = true;
                    continue;
                }
                Ok(None) => {
                    return Err(ProviderError::Unavailable(
                        "the websocket connection ended".into(),
                    ))
                }
                Ok(Some(Err(e))) => return Err(self.ws_err("websocket", &e)),
                Ok(Some(Ok(m))) => m,
            };
            ping_sent = false;
            let text = match msg {
                Message::Text(t) => t.as_str().to_owned(),
                Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                Message::Close(frame) => {
                    let why = frame
                        .map(|f| format!("{} {}", f.code, f.reason))
                        .unwrap_or_default();
                    return Err(ProviderError::Unavailable(
                        self.daz
                            .redact(&format!("DazNode closed the websocket {why}")),
                    ));
                }
                // Pings are answered by the library; any frame proves the connection alive.
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            };
            let Some(hash) = payment_hash_of(&text) else {
                tracing::debug!(
                    len = text.len(),
                    "DazNode websocket frame without a payment hash; ignored"
                );
                continue;
            };
            self.on_hint(&hash).await?;
        }
    }

    fn ws_err(&self, what: &str, e: &tokio_tungstenite::tungstenite::Error) -> ProviderError {
        ProviderError::Unavailable(format!("{what}: {}", self.daz.redact(&ws_error_text(e))))
    }

    /// A frame named `hash`: if it is one of our DazNode invoices not yet
    /// paid, ask DazNode, and settle only what DazNode confirms.
    async fn on_hint(&self, hash: &str) -> Result<(), ProviderError> {
        let Some(inv) = self.store.invoice_by_hash(hash).map_err(store_err)? else {
            tracing::debug!(payment_hash = %hash, "DazNode frame for an invoice that is not ours; ignored");
            return Ok(());
        };
        match self.confirm(&inv, SettlePath::Stream).await {
            Err(e) if e.is_transient() => Err(e),
            Err(e) => {
                tracing::warn!(invoice_id = %inv.id, error = %e, "confirming a DazNode payment failed");
                Ok(())
            }
            Ok(_) => Ok(()),
        }
    }

    /// A push (frame or webhook call, by `path`) named `inv`: if it is a
    /// DazNode invoice not yet paid, ask DazNode, and settle only what
    /// DazNode confirms. However many pushes name it, the Settler marks it
    /// paid once.
    async fn confirm(&self, inv: &Invoice, path: SettlePath) -> Result<Confirmed, ProviderError> {
        if inv.provider != DazNodeProvider::NAME || inv.status == InvoiceStatus::Paid {
            tracing::debug!(invoice_id = %inv.id, path = %path.as_str(),
                "DazNode push for an invoice already paid or not DazNode's; nothing asked");
            return Ok(Confirmed::Skipped);
        }
        let check = self.check(&inv.payment_hash).await?;
        if !check.paid {
            tracing::warn!(invoice_id = %inv.id, payment_hash = %inv.payment_hash, path = %path.as_str(),
                "DazNode push named an invoice DazNode does not report paid (forged or early frame); ignored");
            return Ok(Confirmed::Unpaid);
        }
        self.settle(inv, &check, path).await?;
        Ok(Confirmed::Paid)
    }

    /// `check_payment`, waiting out DazNode's rate limit (LNbits: 200
    /// requests a minute per address by default) instead of giving up the
    /// connection, which would start the lookups over and never finish them.
    async fn check(&self, hash: &str) -> Result<PaymentCheck, ProviderError> {
        let mut wait = Duration::from_secs(1);
        let mut attempt = 1;
        loop {
            match self.daz.check_payment(hash).await {
                Err(ProviderError::RateLimited {
                    retry_after,
                    detail,
                }) if attempt < RATE_LIMIT_ATTEMPTS => {
                    let pause = retry_after.unwrap_or(wait).min(RATE_LIMIT_MAX_WAIT);
                    tracing::info!(%detail, attempt, wait_ms = pause.as_millis() as u64,
                        "DazNode rate limit; waiting before the next lookup");
                    tokio::time::sleep(pause).await;
                    wait = (wait * 2).min(RATE_LIMIT_MAX_WAIT);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn settle(
        &self,
        inv: &Invoice,
        check: &PaymentCheck,
        path: SettlePath,
    ) -> Result<(), ProviderError> {
        self.settler
            .settle(Settlement {
                provider: DazNodeProvider::NAME,
                payment_hash: inv.payment_hash.clone(),
                amount_received_msat: check.amount_msat.unwrap_or(inv.amount_msat),
                settled_at_ms: check.settled_at_ms.unwrap_or_else(now_ms),
                path,
                cursor: None,
            })
            .await
            .map_err(|e| {
                ProviderError::Unavailable(format!("recording a settlement failed: {e}"))
            })?;
        Ok(())
    }

    /// Looks up every pending DazNode invoice, and those expired or canceled
    /// recently (still payable at LNbits), and settles what DazNode reports paid.
    async fn reconcile(&self) -> Result<usize, ProviderError> {
        let candidates = reconcile_candidates(&*self.store, DazNodeProvider::NAME)?;
        let mut changed = 0;
        for inv in candidates {
            match self.check(&inv.payment_hash).await {
                Ok(check) if check.paid => {
                    self.settle(&inv, &check, SettlePath::Reconcile).await?;
                    changed += 1;
                }
                Ok(_) => {}
                Err(e) if e.is_transient() => return Err(e),
                Err(e @ ProviderError::Unauthorized(_)) => return Err(e),
                Err(e) => {
                    tracing::warn!(invoice_id = %inv.id, error = %e, "DazNode lookup failed; skipped");
                }
            }
        }
        Ok(changed)
    }
}

/// The payment hash a frame names, if any: `{"payment": {"payment_hash": …}}`
/// (LNbits' frame) or a bare `{"payment_hash": …}`. Nothing else in the frame
/// is trusted.
fn payment_hash_of(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let h = v
        .get("payment")
        .and_then(|p| p.get("payment_hash"))
        .or_else(|| v.get("payment_hash"))?
        .as_str()?;
    (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then(|| h.to_ascii_lowercase())
}

fn ws_error_text(e: &tokio_tungstenite::tungstenite::Error) -> String {
    let mut text = e.to_string();
    crate::providers::append_sources(&mut text, e);
    text
}

#[cfg(test)]
mod tests;
