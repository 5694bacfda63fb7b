//! NWC settlement: notifications as hints, every payment confirmed with
//! `lookup_invoice` before the invoice turns PAID, so a forged or replayed
//! notification changes nothing; and on every relay (re)connect, a lookup of
//! every NWC invoice still pending (or expired or canceled recently: a
//! wallet cannot cancel an invoice, so it stays payable).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use nostr::EventId;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::relay::RelaySession;
use super::NwcProvider;
use crate::domain::{Invoice, InvoiceStatus, SettlePath};
use crate::providers::supervisor::{keep_connected, reconcile_candidates};
use crate::providers::{store_err, PaidReport, ProviderError};
use crate::settlement::{Settlement, Settler};
use crate::store::Store;
use crate::time::now_ms;

/// A lookup refused for rate is tried this many times, waiting 1, 2, 4 … s.
const RATE_LIMIT_ATTEMPTS: u32 = 8;
const RATE_LIMIT_MAX_WAIT: Duration = Duration::from_secs(30);
/// A notification whose lookup says NOT_FOUND or pending is asked again this
/// many times: some wallets answer NOT_FOUND briefly after a success.
const HINT_ATTEMPTS: u32 = 3;
/// Notification ids remembered, so the same one from several relays costs one lookup.
const SEEN_MAX: usize = 4096;

/// A notification's claim that an invoice was paid.
pub struct Hint {
    pub event: EventId,
    pub payment_hash: String,
}

pub struct NwcWatcher {
    pub nwc: Arc<NwcProvider>,
    pub store: Arc<dyn Store>,
    pub settler: Arc<Settler>,
}

impl NwcWatcher {
    /// Every relay in the URI under its own supervisor, and the hints they
    /// read handled one at a time, until shutdown.
    pub async fn run(self, reconnect_max: Duration, shutdown: CancellationToken) {
        let (tx, rx) = mpsc::unbounded_channel();
        let sessions: Vec<RelaySession<'_>> = self
            .nwc
            .hub
            .links
            .iter()
            .map(|link| RelaySession {
                watcher: &self,
                link,
                hints: tx.clone(),
            })
            .collect();
        drop(tx);
        let relays = futures::future::join_all(
            sessions
                .iter()
                .map(|s| keep_connected(s, reconnect_max, shutdown.clone())),
        );
        tokio::select! {
            _ = relays => {}
            _ = self.follow_hints(rx) => {}
            _ = shutdown.cancelled() => {}
        }
    }

    async fn follow_hints(&self, mut rx: mpsc::UnboundedReceiver<Hint>) {
        let mut seen = HashSet::new();
        while let Some(hint) = rx.recv().await {
            if !seen.insert(hint.event) {
                continue;
            }
            if seen.len() > SEEN_MAX {
                seen.clear();
            }
            if let Err(e) = self.on_hint(&hint.payment_hash).await {
                tracing::warn!(payment_hash = %hint.payment_hash, error = %self.nwc.redact(&e.to_string()),
                    "confirming an NWC notification failed; the next reconnect or the expiry lookup will ask again");
            }
        }
    }

    async fn on_hint(&self, hash: &str) -> Result<(), ProviderError> {
        let Some(inv) = self.store.invoice_by_hash(hash).map_err(store_err)? else {
            tracing::debug!(payment_hash = %hash, "NWC notification for an invoice that is not ours; ignored");
            return Ok(());
        };
        if inv.provider != NwcProvider::NAME || inv.status == InvoiceStatus::Paid {
            return Ok(());
        }
        let mut wait = Duration::from_millis(500);
        for attempt in 1..=HINT_ATTEMPTS {
            match self.lookup(hash).await {
                Ok(Some(paid)) => return self.settle(&inv, &paid, SettlePath::Stream).await,
                Ok(None) | Err(ProviderError::NotFound(_)) if attempt < HINT_ATTEMPTS => {}
                Ok(None) | Err(ProviderError::NotFound(_)) => {
                    tracing::warn!(invoice_id = %inv.id, payment_hash = %hash,
                        "NWC notification for an invoice the wallet does not report paid (forged or early); ignored");
                    return Ok(());
                }
                Err(e) if e.is_transient() && attempt < HINT_ATTEMPTS => {}
                Err(e) => return Err(e),
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        Ok(())
    }

    /// `lookup_invoice`, waiting out the wallet's rate limit instead of
    /// giving up the connection (which would start the lookups over).
    async fn lookup(&self, hash: &str) -> Result<Option<PaidReport>, ProviderError> {
        let mut wait = Duration::from_secs(1);
        let mut attempt = 1;
        loop {
            match self.nwc.lookup(hash).await {
                Err(ProviderError::RateLimited { detail, .. }) if attempt < RATE_LIMIT_ATTEMPTS => {
                    tracing::info!(%detail, attempt, wait_ms = wait.as_millis() as u64,
                        "NWC rate limit; waiting before the next lookup");
                    tokio::time::sleep(wait).await;
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
        paid: &PaidReport,
        path: SettlePath,
    ) -> Result<(), ProviderError> {
        self.settler
            .settle(Settlement {
                provider: NwcProvider::NAME,
                payment_hash: inv.payment_hash.clone(),
                amount_received_msat: if paid.amount_msat > 0 {
                    paid.amount_msat
                } else {
                    inv.amount_msat
                },
                settled_at_ms: paid.settled_at_ms.unwrap_or_else(now_ms),
                path,
                cursor: None,
            })
            .await
            .map_err(|e| {
                ProviderError::Unavailable(format!("recording a settlement failed: {e}"))
            })?;
        Ok(())
    }

    /// Looks up every pending NWC invoice, and those expired or canceled
    /// recently, and settles what the wallet reports paid. NOT_FOUND is not
    /// a failure (some wallets say it right after a success).
    pub async fn reconcile(&self) -> Result<usize, ProviderError> {
        let candidates = reconcile_candidates(&*self.store, NwcProvider::NAME)?;
        let mut changed = 0;
        for inv in candidates {
            match self.lookup(&inv.payment_hash).await {
                Ok(Some(paid)) => {
                    self.settle(&inv, &paid, SettlePath::Reconcile).await?;
                    changed += 1;
                }
                Ok(None) | Err(ProviderError::NotFound(_)) => {}
                Err(e) if e.is_transient() => return Err(e),
                Err(e @ ProviderError::Unauthorized(_)) => return Err(e),
                Err(e) => {
                    tracing::warn!(invoice_id = %inv.id, error = %e, "NWC lookup failed; skipped");
                }
            }
        }
        Ok(changed)
    }
}
