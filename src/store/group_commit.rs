//! Group commit: callers that need durability share fsyncs instead of each
//! paying for one, so durable writes do not serialize throughput.
//!
//! Every write takes a ticket after it lands in sled's memory; one flusher task
//! reads the newest ticket, flushes, and then releases every waiter at or
//! below it. Writes that arrive during a flush ride the next one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use super::StoreError;

pub struct GroupCommit {
    db: sled::Db,
    written: AtomicU64,
    flushed: watch::Sender<u64>,
    /// Highest event sequence committed in memory, and on disk.
    committed_seq: AtomicU64,
    durable_seq: watch::Sender<u64>,
    wake: Notify,
    failed: watch::Sender<Option<String>>,
}

impl GroupCommit {
    pub fn new(db: sled::Db, last_seq: u64) -> Arc<Self> {
        Arc::new(Self {
            db,
            written: AtomicU64::new(0),
            flushed: watch::channel(0).0,
            committed_seq: AtomicU64::new(last_seq),
            durable_seq: watch::channel(last_seq).0,
            wake: Notify::new(),
            failed: watch::channel(None).0,
        })
    }

    /// Records that an event with this sequence is committed in memory.
    pub fn committed(&self, seq: u64) {
        self.committed_seq.fetch_max(seq, Ordering::SeqCst);
    }

    pub fn durable_sequence(&self) -> watch::Receiver<u64> {
        self.durable_seq.subscribe()
    }

    pub async fn sync(&self) -> Result<(), StoreError> {
        let ticket = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        self.wake.notify_one();
        let mut flushed = self.flushed.subscribe();
        let mut failed = self.failed.subscribe();
        loop {
            if *flushed.borrow_and_update() >= ticket {
                return Ok(());
            }
            if let Some(e) = failed.borrow_and_update().clone() {
                // A store that cannot reach its disk must not report success.
                return Err(StoreError::Sled(sled::Error::ReportableBug(e)));
            }
            tokio::select! {
                r = flushed.changed() => if r.is_err() { return Err(StoreError::Closed) },
                r = failed.changed() => if r.is_err() { return Err(StoreError::Closed) },
            }
        }
    }

    /// The flusher task. Flushes once more after shutdown so nothing written
    /// before it is lost.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            let stop = tokio::select! {
                _ = self.wake.notified() => false,
                _ = shutdown.cancelled() => true,
            };
            self.flush_once().await;
            if stop {
                return;
            }
        }
    }

    async fn flush_once(&self) {
        // Read both marks before flushing: everything they cover is already in
        // sled's memory, so this flush makes it durable.
        let upto = self.written.load(Ordering::SeqCst);
        let seq = self.committed_seq.load(Ordering::SeqCst);
        let db = self.db.clone();
        match tokio::task::spawn_blocking(move || db.flush()).await {
            Ok(Ok(_)) => {
                advance(&self.flushed, upto);
                advance(&self.durable_seq, seq);
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "store flush failed; refusing further acknowledgements");
                self.failed.send_replace(Some(e.to_string()));
            }
            Err(e) => {
                // Waiters must not hang on a flush that will never report.
                tracing::error!(error = %e, "store flush task panicked; refusing further acknowledgements");
                self.failed
                    .send_replace(Some(format!("flush task panicked: {e}")));
            }
        }
    }
}

fn advance(mark: &watch::Sender<u64>, to: u64) {
    mark.send_if_modified(|v| {
        let moved = to > *v;
        *v = (*v).max(to);
        moved
    });
}
