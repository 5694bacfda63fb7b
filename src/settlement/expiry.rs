//! Expiry by timer: each pending invoice turns EXPIRED at its `expires_at`,
//! also after a restart.
//!
//! The timer holds no list of invoices. It keeps only its next wake-up time,
//! reads what is due from the store's due index (PENDING only, by expiry) in
//! small batches, and runs a few expiries at a time; memory does not grow
//! with the number of pending invoices. A new invoice can only make the next
//! wake-up earlier, which [`ExpiryScheduler`] passes on through a `watch`.
//! An expiry that fails stays in the index and is tried again a little later.
//!
//! Before it expires one, the issuing provider is asked once whether it was
//! paid: a push can be lost while its connection looks healthy (LNbits stops
//! sending a frame at the first dead connection on its list), and an invoice
//! marked EXPIRED that was paid in time would be wrong until the next
//! reconnect. A provider that cannot answer does not hold the expiry up.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::{Settlement, Settler};
use crate::domain::{InvoiceStatus, SettlePath};
use crate::providers::Router;
use crate::store::{Due, Store};
use crate::time::now_ms;

/// Expiries (each with its provider lookup) in flight at once: enough that a
/// batch expiring together does not wait in line behind a slow provider.
const CONCURRENT: usize = 8;
/// Due invoices read from the index at a time.
const BATCH: usize = 64;
/// When an expiry failed (the store refused), the next pass waits this long.
const RETRY_MS: u64 = 5_000;
/// The longest single sleep; a new invoice wakes the timer earlier.
const MAX_SLEEP_MS: u64 = 3_600_000;

/// Tells the timer that a new invoice expires at some time.
#[derive(Clone)]
pub struct ExpiryScheduler(Arc<watch::Sender<u64>>);

impl ExpiryScheduler {
    /// Wakes the timer earlier if this expiry comes before its next wake-up.
    /// The invoice itself is read from the store's due index, so the id is
    /// not kept; call this after the invoice is stored.
    pub fn schedule(&self, expires_at_ms: u64, _id: String) {
        self.0.send_if_modified(|earliest| {
            let sooner = expires_at_ms < *earliest;
            if sooner {
                *earliest = expires_at_ms;
            }
            sooner
        });
    }
}

pub struct ExpiryTimer {
    scheduler: ExpiryScheduler,
    announced: watch::Receiver<u64>,
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
        let (tx, announced) = watch::channel(u64::MAX);
        let scheduler = ExpiryScheduler(Arc::new(tx));
        (
            scheduler.clone(),
            Self {
                scheduler,
                announced,
                store,
                settler,
                router,
            },
        )
    }

    pub async fn run(mut self, shutdown: CancellationToken) {
        // Not before this time: set after a pass that left due invoices behind.
        let mut not_before = 0;
        loop {
            // Forget announcements before reading the index: any made before
            // now are in what it returns, any made after wake the sleep below.
            self.scheduler.0.send_replace(u64::MAX);
            self.announced.borrow_and_update();
            let next = match self.store.pending_due(None, u64::MAX, 1) {
                Ok(first) => first.first().map_or(u64::MAX, |d| d.expires_at_ms),
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the expiry index; trying again in 5 s");
                    now_ms() + RETRY_MS
                }
            };
            if !self.sleep_until(next, not_before, &shutdown).await {
                return;
            }
            let started = now_ms();
            if !self.pass(started, &shutdown).await {
                return;
            }
            // Whatever was due at the start has been tried; what is still in
            // the index from then failed, and waits before the next try.
            not_before = match self.store.pending_due(None, started, 1) {
                Ok(left) if left.is_empty() => 0,
                _ => now_ms() + RETRY_MS,
            };
        }
    }

    /// Sleeps until `next` (or an earlier announced expiry), not before
    /// `not_before`. False on shutdown.
    async fn sleep_until(
        &mut self,
        next: u64,
        not_before: u64,
        shutdown: &CancellationToken,
    ) -> bool {
        loop {
            let announced = *self.announced.borrow_and_update();
            let at = next.min(announced).max(not_before);
            let now = now_ms();
            if at <= now {
                return true;
            }
            let wait = Duration::from_millis((at - now).min(MAX_SLEEP_MS));
            tokio::select! {
                _ = shutdown.cancelled() => return false,
                _ = self.announced.changed() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Expires everything due at `now`, CONCURRENT at a time. False on
    /// shutdown (unfinished expiries are still in the index at the next start).
    async fn pass(&self, now: u64, shutdown: &CancellationToken) -> bool {
        let mut running = Running::default();
        let mut after: Option<Due> = None;
        loop {
            let batch = match self.store.pending_due(after.as_ref(), now, BATCH) {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the expiry index; trying again in 5 s");
                    break;
                }
            };
            let last = batch.len() < BATCH;
            for due in batch {
                while running.len() >= CONCURRENT {
                    if !running.join_one(shutdown).await {
                        return false;
                    }
                }
                let job = Expire {
                    store: self.store.clone(),
                    settler: self.settler.clone(),
                    router: self.router.clone(),
                };
                running.spawn(due.invoice_id.clone(), job.run(due.invoice_id.clone()));
                after = Some(due);
            }
            if last {
                break;
            }
        }
        while running.len() > 0 {
            if !running.join_one(shutdown).await {
                return false;
            }
        }
        true
    }
}

/// The expiries in flight, with the invoice each is for, so a failed task is
/// never lost without a word.
#[derive(Default)]
struct Running {
    tasks: JoinSet<()>,
    ids: HashMap<tokio::task::Id, String>,
}

impl Running {
    fn len(&self) -> usize {
        self.tasks.len()
    }

    fn spawn(
        &mut self,
        invoice_id: String,
        job: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let handle = self.tasks.spawn(job);
        self.ids.insert(handle.id(), invoice_id);
    }

    /// Waits for one expiry to end. False on shutdown, after stopping the rest.
    async fn join_one(&mut self, shutdown: &CancellationToken) -> bool {
        tokio::select! {
            _ = shutdown.cancelled() => {
                self.tasks.shutdown().await;
                false
            }
            Some(joined) = self.tasks.join_next_with_id() => {
                let id = match &joined {
                    Ok((id, ())) => *id,
                    Err(e) => e.id(),
                };
                let invoice_id = self.ids.remove(&id).unwrap_or_default();
                if let Err(e) = joined {
                    tracing::error!(task = "expiry", %invoice_id, error = %e,
                        "expiry task failed; the invoice stays due and is tried again");
                }
                true
            }
        }
    }
}

struct Expire {
    store: Arc<dyn Store>,
    settler: Arc<Settler>,
    router: Arc<Router>,
}

impl Expire {
    async fn run(self, id: String) {
        if let Err(e) = self.confirm_then_expire(&id).await {
            tracing::error!(invoice_id = %id, error = %e, "expiring invoice failed; retrying in 5 s");
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
                            path: SettlePath::ExpiryLookup,
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

#[cfg(test)]
#[path = "expiry_tests.rs"]
mod tests;
