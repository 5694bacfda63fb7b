//! The durable tail: the newest durable events, decoded once and kept in
//! memory, so live subscribers are served without reading the store.
//!
//! A store hands every event it commits to [`Tail::committed`] (in sequence
//! order) and calls [`Tail::advance`] when its durable mark moves. Nothing
//! is published before the mark passes it. The tail knows nothing of the
//! store behind it: when the mark moves past events it was never handed (a
//! store shared by several instances, or pending events dropped under a long
//! flush outage), it restarts its ring after the gap, and readers that need
//! the missing events read them from the store.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::domain::Event;

/// Durable events kept for live subscribers.
pub const RING: usize = 4096;
/// Committed events waiting for the durable mark; beyond this (a flush outage)
/// the oldest are dropped and readers get them from the store.
const PENDING_MAX: usize = 4 * RING;

pub struct Tail {
    inner: Mutex<Inner>,
    published: watch::Sender<u64>,
}

struct Inner {
    /// Committed, not yet durable, in sequence order.
    pending: VecDeque<Arc<Event>>,
    /// Durable and contiguous, ending at `published`.
    ring: VecDeque<Arc<Event>>,
    published: u64,
}

impl Inner {
    /// The sequence of `ring[0]`, or the next one when the ring is empty.
    fn first(&self) -> u64 {
        self.published + 1 - self.ring.len() as u64
    }
}

impl Tail {
    /// A tail whose log is durable up to `durable`.
    pub fn new(durable: u64) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Inner {
                pending: VecDeque::new(),
                ring: VecDeque::new(),
                published: durable,
            }),
            published: watch::channel(durable).0,
        })
    }

    /// An event committed (not yet durable). Events arrive in sequence order.
    pub fn committed(&self, event: Arc<Event>) {
        let mut s = self.lock();
        if s.pending.len() == PENDING_MAX {
            s.pending.pop_front();
        }
        s.pending.push_back(event);
    }

    /// The store's durable mark moved to `durable`: publishes what it covers.
    pub fn advance(&self, durable: u64) {
        let mut s = self.lock();
        if durable <= s.published {
            return;
        }
        let mut next = s.published + 1;
        while let Some(e) = s.pending.pop_front() {
            if e.sequence > durable {
                s.pending.push_front(e);
                break;
            }
            if e.sequence < next {
                continue;
            }
            if e.sequence != next {
                // A gap: what came before it can only be read from the store.
                s.ring.clear();
            }
            next = e.sequence + 1;
            s.ring.push_back(e);
            if s.ring.len() > RING {
                s.ring.pop_front();
            }
        }
        if next != durable + 1 {
            // The mark covers events this tail was never handed.
            s.ring.clear();
        }
        s.published = durable;
        drop(s);
        self.published.send_replace(durable);
    }

    /// The newest published sequence, as it changes.
    pub fn published(&self) -> watch::Receiver<u64> {
        self.published.subscribe()
    }

    /// Published events after `after`, oldest first, at most `limit`; `None`
    /// when the ring no longer holds `after + 1` (read the store instead).
    pub fn after(&self, after: u64, limit: usize) -> Option<Vec<Arc<Event>>> {
        let s = self.lock();
        if after >= s.published {
            return Some(Vec::new());
        }
        let first = s.first();
        if after + 1 < first {
            return None;
        }
        let skip = (after + 1 - first) as usize;
        Some(s.ring.iter().skip(skip).take(limit).cloned().collect())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("tail lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;
    use crate::store::transition::tests::invoice;

    fn event(sequence: u64) -> Arc<Event> {
        Arc::new(Event {
            sequence,
            kind: EventKind::InvoiceCreated,
            occurred_at_ms: 0,
            invoice: invoice(crate::domain::InvoiceStatus::Pending),
        })
    }

    fn seqs(v: Option<Vec<Arc<Event>>>) -> Option<Vec<u64>> {
        v.map(|v| v.iter().map(|e| e.sequence).collect())
    }

    #[test]
    fn publishes_only_what_the_durable_mark_covers() {
        let tail = Tail::new(2);
        tail.committed(event(3));
        tail.committed(event(4));
        assert_eq!(seqs(tail.after(2, 10)), Some(vec![]), "nothing durable yet");
        tail.advance(3);
        assert_eq!(*tail.published().borrow(), 3);
        assert_eq!(seqs(tail.after(2, 10)), Some(vec![3]));
        assert_eq!(seqs(tail.after(1, 10)), None, "before the ring: the store");
        tail.advance(4);
        assert_eq!(seqs(tail.after(2, 10)), Some(vec![3, 4]));
        assert_eq!(seqs(tail.after(3, 1)), Some(vec![4]));
        assert_eq!(seqs(tail.after(4, 10)), Some(vec![]));
    }

    #[test]
    fn a_mark_past_events_it_never_saw_restarts_the_ring_after_them() {
        let tail = Tail::new(0);
        tail.committed(event(1));
        tail.advance(1);
        // Events 2..=3 were written by someone else (another instance).
        tail.advance(3);
        assert_eq!(seqs(tail.after(1, 10)), None);
        assert_eq!(seqs(tail.after(3, 10)), Some(vec![]));
        tail.committed(event(5));
        tail.advance(5);
        assert_eq!(seqs(tail.after(3, 10)), None, "4 is missing");
        assert_eq!(seqs(tail.after(4, 10)), Some(vec![5]));
    }

    #[test]
    fn the_ring_is_bounded() {
        let tail = Tail::new(0);
        let n = RING as u64 + 10;
        for s in 1..=n {
            tail.committed(event(s));
        }
        tail.advance(n);
        assert_eq!(seqs(tail.after(10, 1)), Some(vec![11]));
        assert_eq!(seqs(tail.after(9, 1)), None);
    }
}
