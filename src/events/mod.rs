//! Event delivery. Live events are decoded once (the store's durable
//! [`Tail`](crate::store::Tail)) and handed by one dispatcher to the streams
//! whose filter matches; a stream that is behind, or too slow for the live
//! path, reads the durable log from its own cursor until it catches up. So a
//! payment costs in proportion to the streams that care about it, nothing is
//! shown before it is durable, and a slow stream loses nothing.

mod hub;
mod registry;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::mpsc;

use crate::domain::{Event, EventKind};
use crate::error::Result;

pub use hub::Hub;

/// Events read per batch when catching up.
const BATCH: usize = 256;
/// Events buffered per stream; a stream that leaves this many unread is
/// moved off the live path.
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

/// An open event stream. It ends with `Error::ShuttingDown` on shutdown;
/// dropping it closes it and frees its slot under `events.max_streams`.
pub struct Subscription {
    rx: mpsc::Receiver<Result<Arc<Event>>>,
    hub: Arc<Hub>,
    id: u64,
    _counted: crate::metrics::SubscriberGuard,
}

impl Subscription {
    fn new(hub: Arc<Hub>, id: u64, rx: mpsc::Receiver<Result<Arc<Event>>>) -> Self {
        Self {
            rx,
            hub,
            id,
            _counted: crate::metrics::SubscriberGuard::open(),
        }
    }

    pub async fn recv(&mut self) -> Option<Result<Arc<Event>>> {
        self.rx.recv().await
    }
}

impl Stream for Subscription {
    type Item = Result<Arc<Event>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // Closed first, so a catch-up that is about to rejoin sees it gone.
        self.rx.close();
        self.hub.close(self.id);
    }
}

#[cfg(test)]
mod tests;
