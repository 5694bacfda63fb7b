//! Event delivery. Every subscriber reads the durable log from its own cursor
//! and is only woken by new durable sequences, so a slow subscriber falls
//! behind without losing anything and a reconnecting one resumes exactly.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::{Event, EventKind};
use crate::error::{Error, Result};
use crate::store::Store;

/// Events read from the store per batch.
const BATCH: usize = 256;
/// Events buffered per subscriber before the reader waits for the client.
const BUFFER: usize = 64;

#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// Empty: every kind.
    pub kinds: Vec<EventKind>,
    pub invoice_id: Option<String>,
}

impl EventFilter {
    fn matches(&self, e: &Event) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&e.kind))
            && self
                .invoice_id
                .as_ref()
                .is_none_or(|id| *id == e.invoice.id)
    }
}

/// Starts a subscription: the stored events after `after`, then live ones.
/// The stream ends with `Error::ShuttingDown` on shutdown.
pub fn subscribe(
    store: Arc<dyn Store>,
    after: u64,
    filter: EventFilter,
    shutdown: CancellationToken,
    tasks: &TaskTracker,
) -> Result<mpsc::Receiver<Result<Event>>> {
    let last = *store.durable_sequence().borrow();
    if after > last {
        // A cursor from the future means this is not the log the client read
        // before (a wiped or swapped data dir): say so rather than skip events.
        return Err(Error::CursorAhead { after, last });
    }
    let (tx, rx) = mpsc::channel(BUFFER);
    tasks.spawn(async move {
        let _counted = crate::metrics::SubscriberGuard::open();
        if let Err(e) = pump(store, after, filter, &tx, &shutdown).await {
            let _ = tx.send(Err(e)).await;
        }
    });
    Ok(rx)
}

async fn pump(
    store: Arc<dyn Store>,
    mut cursor: u64,
    filter: EventFilter,
    tx: &mpsc::Sender<Result<Event>>,
    shutdown: &CancellationToken,
) -> Result<()> {
    let mut durable = store.durable_sequence();
    loop {
        durable.borrow_and_update();
        let batch = store.events_after(cursor, BATCH)?;
        if batch.is_empty() {
            tokio::select! {
                changed = durable.changed() => if changed.is_err() { return Err(Error::ShuttingDown) },
                _ = shutdown.cancelled() => return Err(Error::ShuttingDown),
                _ = tx.closed() => return Ok(()),
            }
            continue;
        }
        for event in batch {
            cursor = event.sequence;
            if !filter.matches(&event) {
                continue;
            }
            tokio::select! {
                sent = tx.send(Ok(event)) => if sent.is_err() { return Ok(()) },
                _ = shutdown.cancelled() => return Err(Error::ShuttingDown),
            }
        }
    }
}
