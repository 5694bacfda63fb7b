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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::{AuditEntry, Invoice};
    use crate::store::contract::{audit, invoice};
    use crate::store::{MemoryStore, Transition};

    fn audit_now() -> AuditEntry {
        audit(1, None, None)
    }

    fn create(store: &MemoryStore, n: u64) -> Invoice {
        let inv = invoice(n, 1_000 + n, 99_000);
        store.insert_invoice(&inv, None, &[]).unwrap();
        inv
    }

    async fn next(rx: &mut mpsc::Receiver<Result<Event>>) -> Event {
        tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .expect("not an error")
    }

    async fn nothing_more(rx: &mut mpsc::Receiver<Result<Event>>) {
        let more = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await;
        assert!(more.is_err(), "unexpected: {:?}", more.unwrap());
    }

    struct Sub {
        shutdown: CancellationToken,
        tasks: TaskTracker,
    }

    impl Sub {
        fn new() -> Self {
            Self {
                shutdown: CancellationToken::new(),
                tasks: TaskTracker::new(),
            }
        }

        fn open(
            &self,
            store: &Arc<MemoryStore>,
            after: u64,
            filter: EventFilter,
        ) -> Result<mpsc::Receiver<Result<Event>>> {
            subscribe(
                store.clone(),
                after,
                filter,
                self.shutdown.clone(),
                &self.tasks,
            )
        }
    }

    #[tokio::test]
    async fn replays_from_the_cursor_then_follows_without_gaps() {
        let store = MemoryStore::new();
        for n in 1..=3 {
            create(&store, n);
        }
        store.sync().await.unwrap();
        let sub = Sub::new();
        let mut rx = sub.open(&store, 1, EventFilter::default()).unwrap();
        assert_eq!(next(&mut rx).await.sequence, 2);
        assert_eq!(next(&mut rx).await.sequence, 3);
        nothing_more(&mut rx).await;

        // Committed but not durable: not shown yet.
        let inv = create(&store, 4);
        nothing_more(&mut rx).await;
        store.sync().await.unwrap();
        let live = next(&mut rx).await;
        assert_eq!((live.sequence, live.invoice.id), (4, inv.id));

        // More than a batch at once arrives whole and in order.
        for n in 5..(5 + BATCH as u64 + 10) {
            create(&store, n);
        }
        store.sync().await.unwrap();
        for want in 5..(5 + BATCH as u64 + 10) {
            assert_eq!(next(&mut rx).await.sequence, want);
        }
        sub.shutdown.cancel();
        assert!(matches!(rx.recv().await, Some(Err(Error::ShuttingDown))));
    }

    #[tokio::test]
    async fn filters_by_kind_and_invoice() {
        let store = MemoryStore::new();
        let a = create(&store, 1);
        let b = create(&store, 2);
        for inv in [&a, &b] {
            let paid = Transition::Paid {
                amount_received_msat: 1,
                at_ms: 2_000,
            };
            store.transition(&inv.id, paid, None, &audit_now()).unwrap();
        }
        store.sync().await.unwrap();
        let sub = Sub::new();
        let only_paid = EventFilter {
            kinds: vec![EventKind::InvoicePaid],
            invoice_id: None,
        };
        let mut rx = sub.open(&store, 0, only_paid).unwrap();
        assert_eq!(next(&mut rx).await.sequence, 3);
        assert_eq!(next(&mut rx).await.sequence, 4);
        nothing_more(&mut rx).await;

        let only_b = EventFilter {
            kinds: vec![],
            invoice_id: Some(b.id.clone()),
        };
        let mut rx = sub.open(&store, 0, only_b).unwrap();
        assert_eq!(next(&mut rx).await.sequence, 2);
        assert_eq!(next(&mut rx).await.sequence, 4);
        nothing_more(&mut rx).await;
    }

    #[tokio::test]
    async fn a_cursor_past_the_log_is_refused() {
        let store = MemoryStore::new();
        create(&store, 1);
        store.sync().await.unwrap();
        let sub = Sub::new();
        assert!(sub.open(&store, 1, EventFilter::default()).is_ok());
        let ahead = sub.open(&store, 2, EventFilter::default());
        assert!(matches!(
            ahead,
            Err(Error::CursorAhead { after: 2, last: 1 })
        ));
    }

    #[tokio::test]
    async fn a_dropped_subscriber_ends_its_pump() {
        let store = MemoryStore::new();
        let sub = Sub::new();
        let rx = sub.open(&store, 0, EventFilter::default()).unwrap();
        drop(rx);
        sub.tasks.close();
        tokio::time::timeout(Duration::from_secs(2), sub.tasks.wait())
            .await
            .expect("the pump stops once its subscriber is gone");
    }
}
