//! An in-memory [`Store`] with the same contract as sled, for unit tests of
//! everything above the store (and later for integration tests). It ships in
//! the library rather than behind a feature: it has no dependencies, costs
//! nothing unless used, and a feature would have to be switched on for every
//! test target that wants it.
//!
//! Durability is modelled, not skipped: events are visible to readers only
//! after a `sync()`, as on disk. [`MemoryStore::fail_writes`] makes every
//! write and sync fail, as a full disk would.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tokio::sync::watch;

use super::health::HealthCell;
use super::transition::{apply, not_applied};
use super::{keys, Due, StoreHealth, Tail};
use super::{
    AuditCursor, AuditQuery, CursorUpdate, IdempotencyRecord, Inserted, ListQuery, Pruned, Store,
    StoreError, Transition, Transitioned,
};
use crate::domain::{AuditEntry, Event, EventKind, Invoice, InvoiceStatus};

pub struct MemoryStore {
    state: Mutex<State>,
    durable: watch::Sender<u64>,
    tail: Arc<Tail>,
    health: HealthCell,
    /// Set: every write fails with this error.
    refuse: Mutex<Option<String>>,
}

#[derive(Default)]
struct State {
    /// By id, which sorts by creation time.
    invoices: BTreeMap<String, Invoice>,
    by_hash: HashMap<String, String>,
    keys: HashMap<String, IdempotencyRecord>,
    /// (external ref, invoice id)
    refs: BTreeSet<(String, String)>,
    due: BTreeSet<Due>,
    events: BTreeMap<u64, Event>,
    /// Keyed as sled keys them, so page tokens look the same.
    audit: BTreeMap<Vec<u8>, AuditEntry>,
    audit_ids: u64,
    cursors: HashMap<String, CursorUpdate>,
}

impl State {
    fn append_event(&mut self, kind: EventKind, at_ms: u64, invoice: &Invoice) -> Event {
        let sequence = self.events.last_key_value().map_or(0, |(s, _)| *s) + 1;
        let event = Event {
            sequence,
            kind,
            occurred_at_ms: at_ms,
            invoice: invoice.clone(),
        };
        self.events.insert(sequence, event.clone());
        event
    }

    fn audit(&mut self, entry: &AuditEntry) {
        self.audit_ids += 1;
        self.audit
            .insert(keys::audit(entry.at_ms, self.audit_ids), entry.clone());
    }
}

impl MemoryStore {
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            state: Mutex::default(),
            durable: watch::channel(0).0,
            tail: Tail::new(0),
            health: HealthCell::default(),
            refuse: Mutex::default(),
        })
    }

    /// `Some(error)`: every later write and sync fails with it (health turns
    /// FAILING at the first); `None`: they succeed again, and the next sync
    /// turns health OK.
    pub fn fail_writes(&self, error: Option<&str>) {
        *self.refuse.lock().expect("memory store lock") = error.map(Into::into);
    }

    /// The state, for a write: refused while writes are made to fail.
    fn write(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        if let Some(e) = self.refuse.lock().expect("memory store lock").clone() {
            self.health.failed(&e);
            return Err(StoreError::Unwritable(e));
        }
        Ok(self.read())
    }

    fn read(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("memory store lock")
    }
}

fn created_floor(ms: u64) -> String {
    format!("inv_{:012x}", ms.min((1 << 48) - 1))
}

#[async_trait]
impl Store for MemoryStore {
    fn insert_invoice(
        &self,
        invoice: &Invoice,
        idempotency: Option<&IdempotencyRecord>,
        audit: &[AuditEntry],
    ) -> Result<Inserted, StoreError> {
        let mut s = self.write()?;
        if let Some(rec) = idempotency {
            if let Some(existing) = s.keys.get(&rec.key) {
                return Ok(Inserted::KeyTaken(existing.clone()));
            }
        }
        if s.by_hash.contains_key(&invoice.payment_hash) {
            return Err(StoreError::DuplicatePaymentHash(
                invoice.payment_hash.clone(),
            ));
        }
        // Checked all that can refuse; from here on everything is written.
        if let Some(rec) = idempotency {
            s.keys.insert(rec.key.clone(), rec.clone());
        }
        s.by_hash
            .insert(invoice.payment_hash.clone(), invoice.id.clone());
        s.invoices.insert(invoice.id.clone(), invoice.clone());
        s.due.insert(Due {
            expires_at_ms: invoice.expires_at_ms,
            invoice_id: invoice.id.clone(),
        });
        if let Some(r) = &invoice.external_ref {
            s.refs.insert((r.clone(), invoice.id.clone()));
        }
        for entry in audit {
            s.audit(entry);
        }
        let event = s.append_event(EventKind::InvoiceCreated, invoice.created_at_ms, invoice);
        self.tail.committed(Arc::new(event.clone()));
        Ok(Inserted::New(Box::new(event)))
    }

    fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(self.read().keys.get(key).cloned())
    }

    fn invoice(&self, id: &str) -> Result<Option<Invoice>, StoreError> {
        Ok(self.read().invoices.get(id).cloned())
    }

    fn invoice_by_hash(&self, payment_hash: &str) -> Result<Option<Invoice>, StoreError> {
        let s = self.read();
        Ok(s.by_hash
            .get(payment_hash)
            .and_then(|id| s.invoices.get(id))
            .cloned())
    }

    fn invoice_by_external_ref(&self, external_ref: &str) -> Result<Option<Invoice>, StoreError> {
        let s = self.read();
        let newest = s
            .refs
            .range((external_ref.to_string(), String::new())..)
            .take_while(|(r, _)| r == external_ref)
            .last();
        Ok(newest.and_then(|(_, id)| s.invoices.get(id)).cloned())
    }

    fn list_invoices(&self, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
        let s = self.read();
        let lower = created_floor(q.created_after_ms.unwrap_or(0));
        let mut upper: Option<String> = q.created_before_ms.map(created_floor);
        if let Some(id) = &q.before_id {
            upper = Some(upper.map_or(id.clone(), |u| u.min(id.clone())));
        }
        let mut out = Vec::new();
        let candidates = s
            .invoices
            .range(lower..)
            .rev()
            .filter(|(id, _)| upper.as_ref().is_none_or(|u| *id < u))
            .map(|(_, inv)| inv)
            .filter(|inv| q.status.is_none_or(|st| st == inv.status));
        for inv in candidates {
            if out.len() == q.limit {
                return Ok((out, true));
            }
            out.push(inv.clone());
        }
        Ok((out, false))
    }

    fn pending_invoices(&self) -> Result<Vec<Invoice>, StoreError> {
        let s = self.read();
        Ok(s.invoices
            .values()
            .filter(|i| i.status == InvoiceStatus::Pending)
            .cloned()
            .collect())
    }

    fn pending_due(
        &self,
        after: Option<&Due>,
        until_ms: u64,
        limit: usize,
    ) -> Result<Vec<Due>, StoreError> {
        let s = self.read();
        let from = match after {
            Some(d) => std::ops::Bound::Excluded(d.clone()),
            None => std::ops::Bound::Unbounded,
        };
        Ok(s.due
            .range((from, std::ops::Bound::Unbounded))
            .take_while(|d| d.expires_at_ms <= until_ms)
            .take(limit)
            .cloned()
            .collect())
    }

    fn transition(
        &self,
        invoice_id: &str,
        change: Transition,
        cursor: Option<&CursorUpdate>,
        audit: &AuditEntry,
    ) -> Result<Transitioned, StoreError> {
        let mut s = self.write()?;
        let Some(mut inv) = s.invoices.get(invoice_id).cloned() else {
            return Err(StoreError::Corrupt {
                key: invoice_id.to_string(),
                detail: "transition on an invoice that is not stored".into(),
            });
        };
        if let Some(c) = cursor {
            s.cursors.insert(c.name.clone(), c.clone());
        }
        let before = inv.status;
        let Some(kind) = apply(&mut inv, change) else {
            return Ok(not_applied(inv, change));
        };
        s.invoices.insert(inv.id.clone(), inv.clone());
        if before == InvoiceStatus::Pending {
            s.due.remove(&Due {
                expires_at_ms: inv.expires_at_ms,
                invoice_id: inv.id.clone(),
            });
        }
        s.audit(audit);
        let event = s.append_event(kind, inv.updated_at_ms, &inv);
        self.tail.committed(Arc::new(event.clone()));
        Ok(Transitioned::Applied(event))
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        let durable = *self.durable.borrow();
        if after >= durable {
            return Ok(Vec::new());
        }
        let s = self.read();
        Ok(s.events
            .range(after + 1..=durable)
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect())
    }

    fn durable_sequence(&self) -> watch::Receiver<u64> {
        self.durable.subscribe()
    }

    fn tail(&self) -> Arc<Tail> {
        self.tail.clone()
    }

    fn cursor(&self, name: &str) -> Result<Option<CursorUpdate>, StoreError> {
        Ok(self.read().cursors.get(name).cloned())
    }

    fn set_cursor(&self, update: &CursorUpdate) -> Result<(), StoreError> {
        self.write()?
            .cursors
            .insert(update.name.clone(), update.clone());
        Ok(())
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let mut s = self.write()?;
        for e in entries {
            s.audit(e);
        }
        Ok(())
    }

    fn audit_page(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool), StoreError> {
        let s = self.read();
        let lower = keys::audit(q.since_ms.unwrap_or(0), 0);
        let mut upper = q
            .until_ms
            .map_or_else(|| keys::prefix_end(keys::AUDIT), |ms| keys::audit(ms, 0));
        if let Some(AuditCursor(before)) = &q.before {
            upper = upper.min(before.clone());
        }
        let mut out = Vec::new();
        if lower >= upper {
            return Ok((out, false));
        }
        let matching = s.audit.range(lower..upper).rev().filter(|(_, e)| {
            q.invoice_id
                .as_ref()
                .is_none_or(|id| e.invoice_id.as_ref() == Some(id))
                && q.provider
                    .as_ref()
                    .is_none_or(|p| e.provider.as_ref() == Some(p))
        });
        for (k, e) in matching {
            if out.len() == q.limit {
                return Ok((out, true));
            }
            out.push((AuditCursor(k.clone()), e.clone()));
        }
        Ok((out, false))
    }

    fn prune(&self, keys_before_ms: u64, audit_before_ms: u64) -> Result<Pruned, StoreError> {
        let mut s = self.write()?;
        let (keys_before, audit_before) = (s.keys.len(), s.audit.len());
        s.keys.retain(|_, r| r.created_at_ms >= keys_before_ms);
        let kept = s.audit.split_off(&keys::audit(audit_before_ms, 0));
        s.audit = kept;
        Ok(Pruned {
            idempotency_keys: keys_before - s.keys.len(),
            audit_entries: audit_before - s.audit.len(),
        })
    }

    async fn sync(&self) -> Result<(), StoreError> {
        if let Some(e) = self.refuse.lock().expect("memory store lock").clone() {
            self.health.failed(&e);
            return Err(StoreError::Unwritable(e));
        }
        let last = self.read().events.last_key_value().map_or(0, |(s, _)| *s);
        self.durable.send_if_modified(|d| {
            let moved = last > *d;
            *d = (*d).max(last);
            moved
        });
        self.tail.advance(last);
        self.health.recovered();
        Ok(())
    }

    fn size_on_disk(&self) -> u64 {
        0
    }

    fn health(&self) -> watch::Receiver<StoreHealth> {
        self.health.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (std::sync::Arc<dyn Store>, ()) {
        (MemoryStore::new(), ())
    }

    crate::store_contract!(open());
}
