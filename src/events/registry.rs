//! Who listens for what: live listeners indexed so an event reaches only the
//! ones whose filter matches it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::EventFilter;
use crate::domain::{Event, EventKind};
use crate::error::Result;

pub type Tx = mpsc::Sender<Result<Arc<Event>>>;

/// One open stream: where its events go and which it wants.
pub struct Listener {
    pub tx: Tx,
    pub filter: EventFilter,
    /// Events up to this sequence were already sent (by a catch-up read that
    /// ran ahead of the dispatcher); the live path skips them.
    pub sent_through: u64,
}

#[derive(Default)]
pub struct Registry {
    /// Every published event up to this one was handed to the live listeners.
    pub dispatched: u64,
    /// Shut down: no listener joins any more.
    pub closed: bool,
    live: HashMap<u64, Listener>,
    by_invoice: HashMap<String, HashSet<u64>>,
    /// Listeners filtering by kind only, under each kind they want.
    by_kind: Vec<(EventKind, HashSet<u64>)>,
    unfiltered: HashSet<u64>,
}

impl Registry {
    pub fn new(dispatched: u64) -> Self {
        Self {
            dispatched,
            ..Self::default()
        }
    }

    pub fn insert(&mut self, id: u64, listener: Listener) {
        let f = &listener.filter;
        if let Some(inv) = &f.invoice_id {
            self.by_invoice.entry(inv.clone()).or_default().insert(id);
        } else if f.kinds.is_empty() {
            self.unfiltered.insert(id);
        } else {
            for k in &f.kinds {
                self.kind_set(*k).insert(id);
            }
        }
        self.live.insert(id, listener);
    }

    pub fn remove(&mut self, id: u64) -> Option<Listener> {
        let listener = self.live.remove(&id)?;
        let f = &listener.filter;
        if let Some(inv) = &f.invoice_id {
            if let Some(set) = self.by_invoice.get_mut(inv) {
                set.remove(&id);
                if set.is_empty() {
                    self.by_invoice.remove(inv);
                }
            }
        } else if f.kinds.is_empty() {
            self.unfiltered.remove(&id);
        } else {
            for k in &f.kinds {
                self.kind_set(*k).remove(&id);
            }
        }
        Some(listener)
    }

    /// Removes every live listener (they fall back to reading the store, or
    /// are told the daemon stops).
    pub fn drain(&mut self) -> Vec<(u64, Listener)> {
        self.by_invoice.clear();
        self.by_kind.clear();
        self.unfiltered.clear();
        self.live.drain().collect()
    }

    /// The live listeners that want `e`: only those indexed under its invoice
    /// or its kind, and the unfiltered ones.
    pub fn matching(&self, e: &Event) -> Vec<u64> {
        let mut ids: Vec<u64> = self.unfiltered.iter().copied().collect();
        if let Some((_, set)) = self.by_kind.iter().find(|(k, _)| *k == e.kind) {
            ids.extend(set.iter().copied());
        }
        if let Some(set) = self.by_invoice.get(&e.invoice.id) {
            let wants = |id: &&u64| self.live.get(id).is_some_and(|l| l.filter.matches(e));
            ids.extend(set.iter().filter(wants).copied());
        }
        ids
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Listener> {
        self.live.get_mut(&id)
    }

    fn kind_set(&mut self, kind: EventKind) -> &mut HashSet<u64> {
        let at = match self.by_kind.iter().position(|(k, _)| *k == kind) {
            Some(at) => at,
            None => {
                self.by_kind.push((kind, HashSet::new()));
                self.by_kind.len() - 1
            }
        };
        &mut self.by_kind[at].1
    }
}
