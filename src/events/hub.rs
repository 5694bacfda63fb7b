//! The dispatcher: one task hands each newly published event to the live
//! listeners that match it, without blocking. A listener that is behind the
//! tail, or whose buffer is full, leaves the live path and reads the log
//! itself (the tail while it still holds what it needs, else the store)
//! until it has caught up, then rejoins. The dispatcher's mark and each
//! listener's `sent_through` make the hand-over exact: no gap, no duplicate.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::registry::{Listener, Registry, Tx};
use super::{EventFilter, Subscription, BATCH, BUFFER};
use crate::domain::Event;
use crate::error::{Error, Result};
use crate::metrics::metrics;
use crate::store::{Store, Tail};

/// How long a stopping daemon waits to tell a full stream why it ends.
const GOODBYE: Duration = Duration::from_secs(1);

pub struct Hub {
    store: Arc<dyn Store>,
    tail: Arc<Tail>,
    registry: Mutex<Registry>,
    next_id: AtomicU64,
    open: AtomicUsize,
    max_streams: usize,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

/// Where a listener stands after trying to join the live path.
enum Joined {
    Live,
    /// Still behind: read on from this sequence.
    Behind(Listener, u64),
    /// The stream is gone or the daemon stops.
    Gone(Listener),
}

impl Hub {
    /// Starts the dispatcher on `tasks`; it stops at `shutdown`.
    pub fn start(
        store: Arc<dyn Store>,
        max_streams: usize,
        shutdown: CancellationToken,
        tasks: TaskTracker,
    ) -> Arc<Self> {
        let tail = store.tail();
        let dispatched = *tail.published().borrow();
        let hub = Arc::new(Self {
            store,
            tail,
            registry: Mutex::new(Registry::new(dispatched)),
            next_id: AtomicU64::new(1),
            open: AtomicUsize::new(0),
            max_streams,
            shutdown,
            tasks,
        });
        hub.tasks.spawn(hub.clone().dispatch());
        hub
    }

    /// Opens a stream of the events after `after` that match `filter`.
    pub fn subscribe(self: &Arc<Self>, after: u64, filter: EventFilter) -> Result<Subscription> {
        let last = *self.store.durable_sequence().borrow();
        if after > last {
            // A cursor from the future means this is not the log the client read
            // before (a wiped or swapped data dir): say so rather than skip events.
            return Err(Error::CursorAhead { after, last });
        }
        if self.open.fetch_add(1, Ordering::SeqCst) >= self.max_streams {
            self.open.fetch_sub(1, Ordering::SeqCst);
            metrics().streams_refused.inc();
            return Err(Error::StreamLimit {
                max: self.max_streams,
            });
        }
        let (tx, rx) = mpsc::channel(BUFFER);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let sub = Subscription::new(self.clone(), id, rx);
        let listener = Listener {
            tx,
            filter,
            sent_through: after,
        };
        match self.join(id, listener, after) {
            Joined::Live => {}
            Joined::Behind(l, cursor) => self.catch_up_later(id, l, cursor),
            Joined::Gone(_) => return Err(Error::ShuttingDown),
        }
        Ok(sub)
    }

    /// A subscription ended: forget its listener and free its slot.
    pub(super) fn close(&self, id: u64) {
        self.lock().remove(id);
        self.open.fetch_sub(1, Ordering::SeqCst);
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().expect("event registry lock")
    }

    /// Joins the live path a listener that has seen every event up to
    /// `cursor`: what the dispatcher already passed is sent from the tail.
    fn join(&self, id: u64, mut l: Listener, cursor: u64) -> Joined {
        let mut reg = self.lock();
        if reg.closed || l.tx.is_closed() {
            return Joined::Gone(l);
        }
        if cursor < reg.dispatched {
            let Some(missed) = self.tail.after(cursor, (reg.dispatched - cursor) as usize) else {
                return Joined::Behind(l, cursor);
            };
            for e in missed
                .into_iter()
                .take_while(|e| e.sequence <= reg.dispatched)
            {
                if !l.filter.matches(&e) {
                    continue;
                }
                let seq = e.sequence;
                match l.tx.try_send(Ok(e)) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => return Joined::Behind(l, seq - 1),
                    Err(TrySendError::Closed(_)) => return Joined::Gone(l),
                }
            }
        }
        l.sent_through = cursor.max(reg.dispatched);
        reg.insert(id, l);
        Joined::Live
    }

    fn catch_up_later(self: &Arc<Self>, id: u64, l: Listener, cursor: u64) {
        self.tasks.spawn(self.clone().catch_up(id, l, cursor));
    }

    /// Reads the log for one listener until it has caught up, then rejoins.
    async fn catch_up(self: Arc<Self>, id: u64, mut l: Listener, mut cursor: u64) {
        loop {
            let batch = match self.read_after(cursor) {
                Ok(b) => b,
                Err(e) => {
                    let _ = l.tx.send(Err(e)).await;
                    return;
                }
            };
            if batch.is_empty() {
                match self.join(id, l, cursor) {
                    Joined::Live => return,
                    Joined::Behind(back, at) => (l, cursor) = (back, at),
                    Joined::Gone(l) => return goodbye(l.tx).await,
                }
                continue;
            }
            for e in batch {
                cursor = e.sequence;
                if !l.filter.matches(&e) {
                    continue;
                }
                tokio::select! {
                    sent = l.tx.send(Ok(e)) => if sent.is_err() { return },
                    _ = self.shutdown.cancelled() => return goodbye(l.tx).await,
                }
            }
        }
    }

    /// The events after `cursor`: from the tail while it holds them, else
    /// decoded from the store.
    fn read_after(&self, cursor: u64) -> Result<Vec<Arc<Event>>> {
        if let Some(batch) = self.tail.after(cursor, BATCH) {
            return Ok(batch);
        }
        let stored = self.store.events_after(cursor, BATCH)?;
        Ok(stored.into_iter().map(Arc::new).collect())
    }

    /// The dispatcher task.
    async fn dispatch(self: Arc<Self>) {
        let mut published = self.tail.published();
        loop {
            published.borrow_and_update();
            self.dispatch_published();
            tokio::select! {
                changed = published.changed() => if changed.is_err() { break },
                _ = self.shutdown.cancelled() => break,
            }
        }
        let listeners = {
            let mut reg = self.lock();
            reg.closed = true;
            reg.drain()
        };
        for (_, l) in listeners {
            if let Err(TrySendError::Full(_)) = l.tx.try_send(Err(Error::ShuttingDown)) {
                self.tasks.spawn(goodbye(l.tx));
            }
        }
    }

    fn dispatch_published(self: &Arc<Self>) {
        let mut reg = self.lock();
        loop {
            let Some(batch) = self.tail.after(reg.dispatched, BATCH) else {
                // The ring moved past the dispatcher (a gap in what the store
                // handed the tail): every listener reads the store from here.
                let from = reg.dispatched;
                reg.dispatched = *self.tail.published().borrow();
                for (id, l) in reg.drain() {
                    self.catch_up_later(id, l, from);
                }
                continue;
            };
            if batch.is_empty() {
                return;
            }
            for e in batch {
                self.hand_out(&mut reg, &e);
                reg.dispatched = e.sequence;
            }
        }
    }

    fn hand_out(self: &Arc<Self>, reg: &mut Registry, e: &Arc<Event>) {
        for id in reg.matching(e) {
            let Some(l) = reg.get_mut(id) else { continue };
            if e.sequence <= l.sent_through {
                continue;
            }
            match l.tx.try_send(Ok(e.clone())) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    // Slow: it reads on by itself from just before this event.
                    if let Some(l) = reg.remove(id) {
                        self.catch_up_later(id, l, e.sequence - 1);
                    }
                }
                Err(TrySendError::Closed(_)) => {
                    reg.remove(id);
                }
            }
        }
    }
}

/// Tells a stream the daemon stops, unless its reader is gone or stuck.
async fn goodbye(tx: Tx) {
    let _ = tokio::time::timeout(GOODBYE, tx.send(Err(Error::ShuttingDown))).await;
}
