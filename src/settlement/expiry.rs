//! Expiry by timer: each pending invoice turns EXPIRED at its `expires_at`,
//! also after a restart (the timer starts from the store's pending index).
//!
//! Before it does, the issuing provider is asked once whether it was paid:
//! a push can be lost while its connection looks healthy (LNbits stops
//! sending a frame at the first dead connection on its list), and an invoice
//! marked EXPIRED that was paid in time would be wrong until the next
//! reconnect. A provider that cannot answer does not hold the expiry up.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{Settlement, Settler};
use crate::domain::{InvoiceStatus, SettlePath};
use crate::providers::Router;
use crate::store::Store;
use crate::time::now_ms;

/// Expiries (each with its provider lookup) in flight at once: enough that a
/// batch expiring together does not wait in line behind a slow provider.
const CONCURRENT: usize = 8;
/// An expiry that failed (the store refused) is tried again this much later.
const RETRY_MS: u64 = 5_000;

/// Hands new invoices to the timer task.
#[derive(Clone)]
pub struct ExpiryScheduler(mpsc::UnboundedSender<(u64, String)>);

impl ExpiryScheduler {
    pub fn schedule(&self, expires_at_ms: u64, id: String) {
        // Fails only after shutdown, when the invoice is timed again at the next start.
        let _ = self.0.send((expires_at_ms, id));
    }
}

pub struct ExpiryTimer {
    tx: ExpiryScheduler,
    rx: mpsc::UnboundedReceiver<(u64, String)>,
    store: Arc<dyn Store>,
    settler: Arc<Settler>,
    router: Arc<Router>,
}

impl ExpiryTimer {
    pub fn new(
        store: Arc<dyn Store>,
        settler: Arc<Settler>,
        router: Arc<Router>,
    ) -> (ExpiryScheduler, Self) {
        let (tx, rx) = mpsc::unbounded_channel();
        let tx = ExpiryScheduler(tx);
        (
            tx.clone(),
            Self {
                tx,
                rx,
                store,
                settler,
                router,
            },
        )
    }

    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut due: BTreeSet<(u64, String)> = match self.store.pending_invoices() {
            Ok(pending) => pending
                .into_iter()
                .map(|i| (i.expires_at_ms, i.id))
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "cannot read pending invoices; expiry timers start empty");
                BTreeSet::new()
            }
        };
        let slots = Arc::new(Semaphore::new(CONCURRENT));
        let mut running = JoinSet::new();
        loop {
            let wait = due
                .first()
                .map(|(at, _)| Duration::from_millis(at.saturating_sub(now_ms())))
                .unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                _ = shutdown.cancelled() => break,
                new = self.rx.recv() => match new {
                    Some(item) => { due.insert(item); }
                    None => break,
                },
                Some(joined) = running.join_next() => {
                    // A panicked expiry takes the timer down with it, so the
                    // task supervisor reports it and the daemon restarts.
                    if let Err(e) = joined {
                        if e.is_panic() {
                            std::panic::resume_unwind(e.into_panic());
                        }
                    }
                }
                _ = tokio::time::sleep(wait) => {
                    let now = now_ms();
                    while let Some((at, _)) = due.first() {
                        if *at > now {
                            break;
                        }
                        let (_, id) = due.pop_first().expect("checked non-empty");
                        let slot = slots.clone().acquire_owned().await.expect("never closed");
                        let job = Expire {
                            store: self.store.clone(),
                            settler: self.settler.clone(),
                            router: self.router.clone(),
                            retry: self.tx.clone(),
                        };
                        running.spawn(async move {
                            job.run(id).await;
                            drop(slot);
                        });
                    }
                }
            }
        }
        // Unfinished expiries are timed again at the next start.
        running.shutdown().await;
    }
}

struct Expire {
    store: Arc<dyn Store>,
    settler: Arc<Settler>,
    router: Arc<Router>,
    retry: ExpiryScheduler,
}

impl Expire {
    async fn run(self, id: String) {
        if let Err(e) = self.confirm_then_expire(&id).await {
            tracing::error!(invoice_id = %id, error = %e, "expiring invoice failed; retrying in 5 s");
            self.retry.schedule(now_ms() + RETRY_MS, id);
        }
    }

    async fn confirm_then_expire(&self, id: &str) -> crate::error::Result<()> {
        let Some(inv) = self.store.invoice(id)? else {
            return Ok(());
        };
        if inv.status != InvoiceStatus::Pending {
            return Ok(());
        }
        if let Some(provider) = self.router.pinned(&inv.provider) {
            match self
                .router
                .lookup_paid(provider.name(), &inv.payment_hash)
                .await
            {
                Ok(Some(paid)) => {
                    tracing::warn!(invoice_id = %id, provider = provider.name(),
                        "paid, found only when asked at expiry (its push never came)");
                    self.settler
                        .settle(Settlement {
                            provider: provider.name(),
                            payment_hash: inv.payment_hash.clone(),
                            amount_received_msat: if paid.amount_msat > 0 {
                                paid.amount_msat
                            } else {
                                inv.amount_msat
                            },
                            settled_at_ms: paid.settled_at_ms.unwrap_or_else(now_ms),
                            path: SettlePath::Reconcile,
                            cursor: None,
                        })
                        .await?;
                    return Ok(());
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::info!(invoice_id = %id, provider = provider.name(), error = %e,
                        "cannot ask the provider before expiring; expiring (a payment found later still wins)");
                }
            }
        }
        self.settler.expire(id).await?;
        Ok(())
    }
}
