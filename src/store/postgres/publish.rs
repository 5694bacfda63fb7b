//! Publication: committed events, this instance's and the others', reach the
//! [`Tail`] and the durable mark in sequence order, exactly once.
//!
//! Commit makes an event durable, but this instance's own events are held
//! until a `sync()` (or, should no one call it, a few seconds), as sled
//! holds them until its flush: subscribers and the store contract see the
//! same order of things on both. The listener task learns other instances'
//! events from the table, woken by `NOTIFY lnpayd_events`, on every
//! reconnect, and every [`SAFETY_NET`] in case a notification was lost.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::watch;
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;

use super::{pg_error, PgStore};
use crate::domain::Event;
use crate::store::{StoreError, Tail};

/// The channel every event-appending transaction notifies.
pub const CHANNEL: &str = "lnpayd_events";
/// How often the listener reads the table even without a notification.
const SAFETY_NET: Duration = Duration::from_secs(2);
/// An own event not synced after this long is published anyway: it is
/// committed, and holding it would hold every later event with it.
const HOLD_AT_MOST: Duration = Duration::from_secs(5);
/// Events read from the table per query.
const PAGE: usize = 500;

pub struct Publisher {
    tail: Arc<Tail>,
    durable: watch::Sender<u64>,
    state: Mutex<State>,
}

struct State {
    published: u64,
    /// Committed events after `published`, not published yet.
    known: BTreeMap<u64, Arc<Event>>,
    /// This instance's commits that no `sync()` covered yet.
    held: BTreeMap<u64, Instant>,
}

impl Publisher {
    pub fn new(last: u64) -> Arc<Self> {
        Arc::new(Self {
            tail: Tail::new(last),
            durable: watch::channel(last).0,
            state: Mutex::new(State {
                published: last,
                known: BTreeMap::new(),
                held: BTreeMap::new(),
            }),
        })
    }

    pub fn tail(&self) -> Arc<Tail> {
        self.tail.clone()
    }

    pub fn durable(&self) -> watch::Receiver<u64> {
        self.durable.subscribe()
    }

    pub fn published(&self) -> u64 {
        self.lock().published
    }

    /// This instance committed `e`: published at the next sync.
    pub fn committed_here(&self, e: &Event) {
        let mut s = self.lock();
        if e.sequence > s.published {
            s.known.insert(e.sequence, Arc::new(e.clone()));
            s.held.insert(e.sequence, Instant::now());
        }
    }

    /// Events read from the table (anyone's), in any order.
    pub fn learned(&self, events: Vec<Event>) {
        let mut s = self.lock();
        for e in events {
            if e.sequence > s.published {
                s.known.entry(e.sequence).or_insert_with(|| Arc::new(e));
            }
        }
    }

    /// Releases own events: all of them (a sync), or those held too long.
    pub fn release(&self, older_than: Option<Duration>) {
        let mut s = self.lock();
        match older_than {
            None => s.held.clear(),
            Some(age) => s.held.retain(|_, at| at.elapsed() < age),
        }
    }

    /// The last sequence of the run of known events after the published
    /// mark: the table is read after it. The bool says whether a later
    /// event is known, i.e. whether there is a gap to fill.
    pub fn contiguous(&self) -> (u64, bool) {
        let s = self.lock();
        let mut end = s.published;
        while s.known.contains_key(&(end + 1)) {
            end += 1;
        }
        let gap = s.known.last_key_value().is_some_and(|(k, _)| *k > end);
        (end, gap)
    }

    /// Publishes the known run after the mark, up to the first held event.
    pub fn advance(&self) {
        let mut s = self.lock();
        let cap = s.held.first_key_value().map_or(u64::MAX, |(k, _)| k - 1);
        let from = s.published;
        let mut to = from;
        while to < cap {
            let Some(e) = s.known.remove(&(to + 1)) else {
                break;
            };
            self.tail.committed(e);
            to += 1;
        }
        if to == from {
            return;
        }
        s.published = to;
        drop(s);
        self.tail.advance(to);
        self.durable.send_if_modified(|d| {
            let moved = to > *d;
            *d = (*d).max(to);
            moved
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("publisher lock")
    }
}

impl PgStore {
    /// Reads committed events the publisher lacks and publishes what it can.
    pub(super) async fn catch_up(&self) -> Result<(), StoreError> {
        loop {
            let (after, _) = self.publisher.contiguous();
            let events = self.read_events(after, None, PAGE).await?;
            let full = events.len() == PAGE;
            self.publisher.learned(events);
            self.publisher.advance();
            if !full {
                return Ok(());
            }
        }
    }

    /// The listener task: LISTEN on a connection of its own, and read the
    /// table on every notification, reconnect and safety-net tick. While
    /// health is FAILING each tick also probes the pool, so health recovers
    /// once PostgreSQL is back even when nobody writes.
    pub async fn run_listener(self: Arc<Self>, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            match self.listen(&shutdown).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(target = %self.target, error = %e,
                        "event listener lost PostgreSQL; reconnecting");
                    self.health.failed(&e);
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(SAFETY_NET);
        }
    }

    /// One connection's life; `Ok` on shutdown.
    async fn listen(&self, shutdown: &CancellationToken) -> Result<(), StoreError> {
        let (client, mut connection) = self
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(pg_error)?;
        let (wake_tx, mut wake) = tokio::sync::mpsc::unbounded_channel::<()>();
        // Drives the connection and turns notifications into wake-ups.
        let driver = async move {
            let mut messages = futures::stream::poll_fn(|cx| connection.poll_message(cx));
            while let Some(m) = messages.next().await {
                if let AsyncMessage::Notification(_) = m.map_err(pg_error)? {
                    let _ = wake_tx.send(());
                }
            }
            Err(StoreError::Unavailable(
                "the listen connection closed".into(),
            ))
        };
        tokio::pin!(driver);
        let listen = format!("LISTEN {CHANNEL}");
        tokio::select! {
            r = client.batch_execute(&listen) => r.map_err(pg_error)?,
            r = &mut driver => return r,
        }
        let mut tick = tokio::time::interval(SAFETY_NET);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Read first: on (re)connect, notifications sent meanwhile are lost.
            let read = self.catch_up().await;
            self.observed(read)?;
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                r = &mut driver => return r,
                Some(()) = wake.recv() => while wake.try_recv().is_ok() {},
                _ = tick.tick() => {
                    self.publisher.release(Some(HOLD_AT_MOST));
                    if self.health.is_failing() {
                        let probe = async { self.client().await?.simple_query("SELECT 1").await.map_err(pg_error) };
                        self.observed(probe.await)?;
                    }
                }
            }
        }
    }
}
