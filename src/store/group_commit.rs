//! Group commit: callers that need durability share fsyncs instead of each
//! paying for one, so durable writes do not serialize throughput.
//!
//! Every write takes a ticket after it lands in sled's memory; one flusher task
//! reads the newest ticket, flushes, and then releases every waiter at or
//! below it. Writes that arrive during a flush ride the next one.
//!
//! A failed flush fails the waiters it covered and turns the store's health
//! FAILING. While failing, the flusher probes the disk every few seconds
//! (a tiny write and a flush), so health recovers by itself once writes go
//! through, even when no client writes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use super::health::{HealthCell, StoreHealth};
use super::{StoreError, Tail};

/// How often a failing store tries the disk again on its own.
const PROBE_EVERY: Duration = Duration::from_secs(2);

/// How long a write that asked for a flush without waiting for it
/// ([`GroupCommit::request`]) may wait for one. Under load the next
/// caller's flush covers it long before; this bounds an idle store.
const REQUEST_WITHIN: Duration = Duration::from_millis(10);

/// `flush_by_us` when no write waits for a timed flush.
const NONE: u64 = u64::MAX;

/// Flush outcomes, by ticket.
#[derive(Clone, Debug, Default)]
struct Marks {
    /// Every ticket up to this one is on disk.
    flushed: u64,
    /// A failed flush covered the tickets up to this one; `error` says why.
    failed: u64,
    error: String,
}

/// The engine under a group commit: what makes its writes durable, and a
/// tiny write that tells whether the disk takes writes again.
pub trait Disk: Send + Sync + 'static {
    fn flush(&self) -> Result<(), String>;
    fn probe(&self) -> Result<(), String>;
}

impl Disk for sled::Db {
    fn flush(&self) -> Result<(), String> {
        sled::Tree::flush(self).map(drop).map_err(|e| e.to_string())
    }

    fn probe(&self) -> Result<(), String> {
        self.insert(b"lnpayd_probe", &crate::time::now_ms().to_be_bytes())
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

pub struct GroupCommit {
    db: Arc<dyn Disk>,
    written: AtomicU64,
    marks: watch::Sender<Marks>,
    /// Highest event sequence committed in memory, and on disk.
    committed_seq: AtomicU64,
    durable_seq: watch::Sender<u64>,
    tail: Arc<Tail>,
    wake: Notify,
    /// The earliest instant a write asked to be flushed by, in µs after
    /// `epoch` (`NONE`: no such request since the last flush). Lowering it
    /// wakes the flusher through `request_wake` to set its timer.
    flush_by_us: AtomicU64,
    epoch: std::time::Instant,
    request_wake: Notify,
    health: HealthCell,
    fault: fault::Hook,
}

impl GroupCommit {
    pub fn new(db: impl Disk, last_seq: u64) -> Arc<Self> {
        Self::with_fault(db, last_seq, fault::Hook::from_env())
    }

    fn with_fault(db: impl Disk, last_seq: u64, fault: fault::Hook) -> Arc<Self> {
        Arc::new(Self {
            db: Arc::new(db),
            written: AtomicU64::new(0),
            marks: watch::channel(Marks::default()).0,
            committed_seq: AtomicU64::new(last_seq),
            durable_seq: watch::channel(last_seq).0,
            tail: Tail::new(last_seq),
            wake: Notify::new(),
            flush_by_us: AtomicU64::new(NONE),
            epoch: std::time::Instant::now(),
            request_wake: Notify::new(),
            health: HealthCell::default(),
            fault,
        })
    }

    /// Records that an event with this sequence is committed in memory.
    pub fn committed(&self, seq: u64) {
        self.committed_seq.fetch_max(seq, Ordering::SeqCst);
    }

    pub fn durable_sequence(&self) -> watch::Receiver<u64> {
        self.durable_seq.subscribe()
    }

    /// Where committed events wait for this group commit to make them durable.
    pub fn tail(&self) -> &Arc<Tail> {
        &self.tail
    }

    pub fn health(&self) -> watch::Receiver<StoreHealth> {
        self.health.subscribe()
    }

    /// A write failed before it reached the flusher.
    pub fn write_failed(&self, e: impl std::fmt::Display) {
        self.health.failed(e);
    }

    /// A flush of everything committed so far, within [`REQUEST_WITHIN`],
    /// not waited for: any flush before then covers it, so under load it
    /// costs no fsync of its own.
    pub fn request(&self) {
        self.request_within(REQUEST_WITHIN);
    }

    fn request_within(&self, within: Duration) {
        let at = (self.epoch.elapsed() + within).as_micros() as u64;
        if at < self.flush_by_us.fetch_min(at, Ordering::SeqCst) {
            self.request_wake.notify_one();
        }
    }

    pub async fn sync(&self) -> Result<(), StoreError> {
        self.sync_within(Duration::ZERO).await
    }

    /// Like [`Self::sync`], but the flush may start up to `within` later,
    /// so that writes made meanwhile share it. For a caller with other
    /// work in flight that the flush only has to beat (an intent's fsync
    /// while the provider issues the invoice).
    pub async fn sync_within(&self, within: Duration) -> Result<(), StoreError> {
        let ticket = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        if within.is_zero() {
            self.wake.notify_one();
        } else {
            self.request_within(within);
        }
        let mut marks = self.marks.subscribe();
        loop {
            {
                let m = marks.borrow_and_update();
                if m.flushed >= ticket {
                    return Ok(());
                }
                if m.failed >= ticket {
                    // A store that cannot reach its disk must not report success.
                    return Err(StoreError::Unwritable(m.error.clone()));
                }
            }
            if marks.changed().await.is_err() {
                return Err(StoreError::Closed);
            }
        }
    }

    /// The flusher task. Flushes once more after shutdown so nothing written
    /// before it is lost.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut requested_by: Option<tokio::time::Instant> = None;
        loop {
            let probe = self.health.is_failing();
            let stop = tokio::select! {
                _ = self.wake.notified() => false,
                _ = self.request_wake.notified() => {
                    // A flush since may have covered the request already.
                    let us = self.flush_by_us.load(Ordering::SeqCst);
                    if us != NONE {
                        let at = tokio::time::Instant::from_std(self.epoch + Duration::from_micros(us));
                        requested_by = Some(requested_by.map_or(at, |by| by.min(at)));
                    }
                    continue;
                }
                // A block, so that no timer is built while none is due.
                _ = async { tokio::time::sleep_until(requested_by.expect("guarded")).await }, if requested_by.is_some() => false,
                _ = tokio::time::sleep(PROBE_EVERY), if probe => {
                    if let Err(e) = self.db.probe() {
                        self.health.failed(&e);
                        continue;
                    }
                    false
                }
                _ = shutdown.cancelled() => true,
            };
            requested_by = None;
            self.flush_once().await;
            if stop {
                return;
            }
        }
    }

    async fn flush_once(&self) {
        // Cleared before the marks are read: a request made before this
        // store was for a write already committed, which this flush covers.
        self.flush_by_us.store(NONE, Ordering::SeqCst);
        // Read both marks before flushing: everything they cover is already in
        // the engine's memory, so this flush makes it durable.
        let upto = self.written.load(Ordering::SeqCst);
        let seq = self.committed_seq.load(Ordering::SeqCst);
        let db = self.db.clone();
        let fault = self.fault.clone();
        let flushed = tokio::task::spawn_blocking(move || {
            fault.check()?;
            let started = std::time::Instant::now();
            let flushed = db.flush();
            crate::metrics::metrics().store_flush(started.elapsed().as_secs_f64());
            flushed
        })
        .await;
        let error = match flushed {
            Ok(Ok(_)) => {
                // Events first: a waiter released by its mark may read them at
                // once, on another worker thread.
                advance(&self.durable_seq, seq);
                self.tail.advance(seq);
                self.health.recovered();
                self.marks.send_if_modified(|m| {
                    let moved = upto > m.flushed;
                    m.flushed = m.flushed.max(upto);
                    moved
                });
                return;
            }
            Ok(Err(e)) => e,
            // Waiters must not hang on a flush that will never report.
            Err(e) => format!("flush task panicked: {e}"),
        };
        tracing::error!(%error, "store flush failed; refusing acknowledgements until one succeeds");
        self.health.failed(&error);
        self.marks.send_modify(|m| {
            m.failed = m.failed.max(upto);
            m.error = error;
        });
    }
}

fn advance(mark: &watch::Sender<u64>, to: u64) {
    mark.send_if_modified(|v| {
        let moved = to > *v;
        *v = (*v).max(to);
        moved
    });
}

/// A fault hook for end-to-end tests, compiled into debug builds only: while
/// the file named by `DEBUG_LNPAYD_FAIL_FLUSH_IF` exists, every flush fails as
/// a full disk would. Release builds ignore the variable.
mod fault {
    #[derive(Clone, Default)]
    pub struct Hook(#[cfg(debug_assertions)] Option<std::path::PathBuf>);

    impl Hook {
        pub fn from_env() -> Self {
            #[cfg(debug_assertions)]
            {
                Self(std::env::var_os("DEBUG_LNPAYD_FAIL_FLUSH_IF").map(Into::into))
            }
            #[cfg(not(debug_assertions))]
            Self()
        }

        #[cfg(all(test, debug_assertions))]
        pub fn at(path: &std::path::Path) -> Self {
            Self(Some(path.into()))
        }

        pub fn check(&self) -> Result<(), String> {
            #[cfg(debug_assertions)]
            if self.0.as_ref().is_some_and(|p| p.exists()) {
                return Err("No space left on device (os error 28) [injected]".into());
            }
            Ok(())
        }
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_flush_fails_its_waiters_and_the_disk_heals_health_alone() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("full");
        let db = sled::Config::new()
            .path(dir.path().join("db"))
            .open()
            .unwrap();
        let gc = GroupCommit::with_fault(db, 0, fault::Hook::at(&full));
        tokio::spawn(gc.clone().run(CancellationToken::new()));
        let (health, durable) = (gc.health(), gc.durable_sequence());

        gc.committed(1);
        gc.sync().await.unwrap();
        assert_eq!(*durable.borrow(), 1);

        std::fs::write(&full, b"").unwrap();
        gc.committed(2);
        let err = gc.sync().await.unwrap_err();
        assert!(matches!(err, StoreError::Unwritable(_)), "{err}");
        assert_eq!(*durable.borrow(), 1, "nothing unflushed is shown");
        assert!(!health.borrow().is_ok());

        // No one writes; the flusher's probe finds the disk writable again.
        std::fs::remove_file(&full).unwrap();
        let healed = tokio::time::timeout(PROBE_EVERY * 3, async {
            let mut health = health.clone();
            health.wait_for(StoreHealth::is_ok).await.unwrap();
        });
        healed.await.expect("health recovers without a write");
        assert_eq!(
            *durable.borrow(),
            2,
            "the probe's flush made event 2 durable"
        );
        gc.sync().await.unwrap();
    }

    /// Counts flushes.
    #[derive(Clone, Default)]
    struct Counting(Arc<AtomicU64>);

    impl Disk for Counting {
        fn flush(&self) -> Result<(), String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        fn probe(&self) -> Result<(), String> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn writes_that_may_wait_share_one_flush_and_a_sync_takes_them_along() {
        let disk = Counting::default();
        let gc = GroupCommit::with_fault(disk.clone(), 0, fault::Hook::default());
        tokio::spawn(gc.clone().run(CancellationToken::new()));
        // The second write comes well after the first: a flush at once
        // would have been one for each.
        let within = Duration::from_secs(2);
        let first = tokio::spawn({
            let gc = gc.clone();
            async move { gc.sync_within(within).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        gc.sync_within(within).await.unwrap();
        first.await.unwrap().unwrap();
        assert_eq!(disk.0.load(Ordering::SeqCst), 1, "both rode one flush");

        // A caller that cannot wait flushes at once, for the waiting one too.
        let waiting = gc.sync_within(Duration::from_secs(3600));
        // Bounded: without the flush at once, the waiting write would hang here.
        let (w, now) = tokio::time::timeout(Duration::from_secs(10), async {
            tokio::join!(waiting, gc.sync())
        })
        .await
        .expect("the sync flushed the waiting write too");
        w.unwrap();
        now.unwrap();
        assert_eq!(disk.0.load(Ordering::SeqCst), 2);
    }
}
