//! Expiry by timer: each pending invoice turns EXPIRED at its `expires_at`,
//! also after a restart (the timer starts from the store's pending index).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Settler;
use crate::store::Store;
use crate::time::now_ms;

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
    rx: mpsc::UnboundedReceiver<(u64, String)>,
    store: Arc<dyn Store>,
    settler: Arc<Settler>,
}

impl ExpiryTimer {
    pub fn new(store: Arc<dyn Store>, settler: Arc<Settler>) -> (ExpiryScheduler, Self) {
        let (tx, rx) = mpsc::unbounded_channel();
        (ExpiryScheduler(tx), Self { rx, store, settler })
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
        loop {
            let wait = due
                .first()
                .map(|(at, _)| Duration::from_millis(at.saturating_sub(now_ms())))
                .unwrap_or(Duration::from_secs(3600));
            tokio::select! {
                _ = shutdown.cancelled() => return,
                new = self.rx.recv() => match new {
                    Some(item) => { due.insert(item); }
                    None => return,
                },
                _ = tokio::time::sleep(wait) => {
                    let now = now_ms();
                    while let Some((at, _)) = due.first() {
                        if *at > now { break; }
                        let (_, id) = due.pop_first().expect("checked non-empty");
                        if let Err(e) = self.settler.expire(&id).await {
                            tracing::error!(invoice_id = %id, error = %e, "expiring invoice failed; retrying in 5 s");
                            due.insert((now + 5_000, id));
                            break;
                        }
                    }
                }
            }
        }
    }
}
