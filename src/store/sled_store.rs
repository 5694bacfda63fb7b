//! The sled implementation of [`Store`].

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::keys;
use super::{
    AuditCursor, AuditQuery, CursorUpdate, GroupCommit, IdempotencyRecord, Inserted, ListQuery,
    Pruned, Store, StoreError, Transition, Transitioned,
};
use crate::domain::{AuditEntry, Event, EventKind, Invoice, InvoiceStatus};

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
    commit: Arc<GroupCommit>,
    /// Serialises the transactions that append events, so sequence order is
    /// commit order and the durable mark never skips an uncommitted event.
    append: Mutex<()>,
}

impl SledStore {
    /// Opens (or creates) the store under `dir`. The returned task flushes
    /// for group commit; run it until shutdown.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Arc<Self>, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .open()?;
        let tree = db.open_tree("lnpayd_v1")?;
        let last_seq = tree
            .get(keys::LAST_SEQUENCE)?
            .and_then(|v| keys::u64_value(&v))
            .unwrap_or(0);
        let commit = GroupCommit::new(db.clone(), last_seq);
        Ok(Arc::new(Self {
            db,
            tree,
            commit,
            append: Mutex::new(()),
        }))
    }

    pub fn run_flusher(
        &self,
        shutdown: CancellationToken,
    ) -> impl std::future::Future<Output = ()> {
        self.commit.clone().run(shutdown)
    }

    /// For the other trees of this database (`sled_webhooks.rs`).
    pub(super) fn db(&self) -> &sled::Db {
        &self.db
    }

    fn get_json<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        self.tree.get(key)?.map(|v| decode(key, &v)).transpose()
    }

    fn invoice_via_index(&self, index_key: &[u8]) -> Result<Option<Invoice>, StoreError> {
        match self.tree.get(index_key)? {
            Some(id) => self.get_json(&keys::join(keys::INVOICE, &id)),
            None => Ok(None),
        }
    }

    fn append_locked<T>(
        &self,
        f: impl Fn(&TransactionalTree) -> TxResult<(T, Option<u64>)>,
    ) -> Result<T, StoreError> {
        let _order = self.append.lock().expect("append lock poisoned");
        let (out, seq) = self.tree.transaction(|tx| f(tx)).map_err(unwrap_tx)?;
        if let Some(seq) = seq {
            self.commit.committed(seq);
        }
        Ok(out)
    }
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("store records always serialise")
}

fn decode<T: DeserializeOwned>(key: &[u8], v: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(v).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        detail: e.to_string(),
    })
}

fn unwrap_tx(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

fn tx_json<T: DeserializeOwned>(tx: &TransactionalTree, key: &[u8]) -> TxResult<Option<T>> {
    match tx.get(key)? {
        Some(v) => decode(key, &v).map(Some).or_else(abort),
        None => Ok(None),
    }
}

/// Appends an event with the next sequence. Only called under the append lock.
fn tx_append_event(
    tx: &TransactionalTree,
    kind: EventKind,
    at_ms: u64,
    invoice: &Invoice,
) -> TxResult<Event> {
    let last = tx
        .get(keys::LAST_SEQUENCE)?
        .and_then(|v| keys::u64_value(&v))
        .unwrap_or(0);
    let event = Event {
        sequence: last + 1,
        kind,
        occurred_at_ms: at_ms,
        invoice: invoice.clone(),
    };
    tx.insert(keys::event(event.sequence), encode(&event))?;
    tx.insert(keys::LAST_SEQUENCE, &event.sequence.to_be_bytes())?;
    Ok(event)
}

fn tx_audit(tx: &TransactionalTree, entry: &AuditEntry) -> TxResult<()> {
    let unique = tx.generate_id()?;
    tx.insert(keys::audit(entry.at_ms, unique), encode(entry))?;
    Ok(())
}

/// Decides whether `change` applies to `inv` and applies it in place.
fn apply(inv: &mut Invoice, change: Transition) -> Option<EventKind> {
    use InvoiceStatus::*;
    match (inv.status, change) {
        (Paid, Transition::Paid { .. }) => None,
        (
            _,
            Transition::Paid {
                amount_received_msat,
                at_ms,
            },
        ) => {
            // Late is about when it was paid, not when we heard: a payment
            // settled before expiry but reported after our timer fired is on time.
            inv.paid_late = inv.status == Canceled || at_ms > inv.expires_at_ms;
            inv.status = Paid;
            inv.amount_received_msat = amount_received_msat;
            inv.paid_at_ms = Some(at_ms);
            inv.updated_at_ms = at_ms;
            Some(EventKind::InvoicePaid)
        }
        (Pending, Transition::Expired { at_ms }) => {
            inv.status = Expired;
            inv.updated_at_ms = at_ms;
            Some(EventKind::InvoiceExpired)
        }
        (Pending, Transition::Canceled { at_ms }) => {
            inv.status = Canceled;
            inv.updated_at_ms = at_ms;
            Some(EventKind::InvoiceCanceled)
        }
        _ => None,
    }
}

fn change_target(change: Transition) -> InvoiceStatus {
    match change {
        Transition::Paid { .. } => InvoiceStatus::Paid,
        Transition::Expired { .. } => InvoiceStatus::Expired,
        Transition::Canceled { .. } => InvoiceStatus::Canceled,
    }
}

#[async_trait]
impl Store for SledStore {
    fn insert_invoice(
        &self,
        invoice: &Invoice,
        idempotency: Option<&IdempotencyRecord>,
        audit: &[AuditEntry],
    ) -> Result<Inserted, StoreError> {
        self.append_locked(|tx| {
            if let Some(rec) = idempotency {
                let key = keys::join(keys::IDEMPOTENCY, rec.key.as_bytes());
                if let Some(existing) = tx_json::<IdempotencyRecord>(tx, &key)? {
                    return Ok((Inserted::KeyTaken(existing), None));
                }
                tx.insert(key, encode(rec))?;
            }
            let hash_key = keys::join(keys::HASH, invoice.payment_hash.as_bytes());
            if tx.get(&hash_key)?.is_some() {
                return abort(StoreError::DuplicatePaymentHash(
                    invoice.payment_hash.clone(),
                ));
            }
            tx.insert(hash_key, invoice.id.as_bytes())?;
            tx.insert(
                keys::join(keys::INVOICE, invoice.id.as_bytes()),
                encode(invoice),
            )?;
            tx.insert(keys::join(keys::PENDING, invoice.id.as_bytes()), &[][..])?;
            if let Some(r) = &invoice.external_ref {
                tx.insert(keys::external_ref(r, &invoice.id), &[][..])?;
            }
            for entry in audit {
                tx_audit(tx, entry)?;
            }
            let event = tx_append_event(
                tx,
                EventKind::InvoiceCreated,
                invoice.created_at_ms,
                invoice,
            )?;
            let seq = event.sequence;
            Ok((Inserted::New(Box::new(event)), Some(seq)))
        })
    }

    fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get_json(&keys::join(keys::IDEMPOTENCY, key.as_bytes()))
    }

    fn invoice(&self, id: &str) -> Result<Option<Invoice>, StoreError> {
        self.get_json(&keys::join(keys::INVOICE, id.as_bytes()))
    }

    fn invoice_by_hash(&self, payment_hash: &str) -> Result<Option<Invoice>, StoreError> {
        self.invoice_via_index(&keys::join(keys::HASH, payment_hash.as_bytes()))
    }

    fn invoice_by_external_ref(&self, external_ref: &str) -> Result<Option<Invoice>, StoreError> {
        let mut prefix = keys::join(keys::EXTERNAL_REF, external_ref.as_bytes());
        prefix.push(0);
        // Ids sort by time, so the last key under the prefix is the newest.
        match self.tree.scan_prefix(&prefix).next_back().transpose()? {
            Some((k, _)) => self.invoice(&String::from_utf8_lossy(&k[prefix.len()..])),
            None => Ok(None),
        }
    }

    fn list_invoices(&self, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
        let mut upper = keys::prefix_end(keys::INVOICE);
        if let Some(before) = q.created_before_ms {
            upper = upper.min(keys::invoice_id_floor(before));
        }
        if let Some(id) = &q.before_id {
            upper = upper.min(keys::join(keys::INVOICE, id.as_bytes()));
        }
        let lower = keys::invoice_id_floor(q.created_after_ms.unwrap_or(0));
        let mut out = Vec::with_capacity(q.limit.min(512));
        for item in self.tree.range(lower..upper).rev() {
            let (k, v) = item?;
            let inv: Invoice = decode(&k, &v)?;
            if q.status.is_some_and(|s| s != inv.status) {
                continue;
            }
            if out.len() == q.limit {
                return Ok((out, true));
            }
            out.push(inv);
        }
        Ok((out, false))
    }

    fn pending_invoices(&self) -> Result<Vec<Invoice>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(keys::PENDING) {
            let (k, _) = item?;
            let id = String::from_utf8_lossy(&k[keys::PENDING.len()..]).into_owned();
            if let Some(inv) = self.invoice(&id)? {
                out.push(inv);
            }
        }
        Ok(out)
    }

    fn transition(
        &self,
        invoice_id: &str,
        change: Transition,
        cursor: Option<&CursorUpdate>,
        audit: &AuditEntry,
    ) -> Result<Transitioned, StoreError> {
        let inv_key = keys::join(keys::INVOICE, invoice_id.as_bytes());
        self.append_locked(|tx| {
            let Some(mut inv) = tx_json::<Invoice>(tx, &inv_key)? else {
                return abort(StoreError::Corrupt {
                    key: invoice_id.to_string(),
                    detail: "transition on an invoice that is not stored".into(),
                });
            };
            if let Some(c) = cursor {
                tx.insert(
                    keys::join(keys::CURSOR, c.name.as_bytes()),
                    keys::cursor_value(c.value, &c.anchor),
                )?;
            }
            let before = inv.status;
            let Some(kind) = apply(&mut inv, change) else {
                let outcome = if before == change_target(change) {
                    Transitioned::Unchanged(inv)
                } else {
                    Transitioned::Refused(inv)
                };
                return Ok((outcome, None));
            };
            tx.insert(inv_key.as_slice(), encode(&inv))?;
            if before == InvoiceStatus::Pending {
                tx.remove(keys::join(keys::PENDING, invoice_id.as_bytes()))?;
            }
            tx_audit(tx, audit)?;
            let event = tx_append_event(tx, kind, inv.updated_at_ms, &inv)?;
            let seq = event.sequence;
            Ok((Transitioned::Applied(event), Some(seq)))
        })
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        let durable = *self.commit.durable_sequence().borrow();
        if after >= durable {
            return Ok(Vec::new());
        }
        let range = keys::event(after + 1)..=keys::event(durable);
        self.tree
            .range(range)
            .take(limit)
            .map(|item| {
                let (k, v) = item?;
                decode(&k, &v)
            })
            .collect()
    }

    fn durable_sequence(&self) -> watch::Receiver<u64> {
        self.commit.durable_sequence()
    }

    fn cursor(&self, name: &str) -> Result<Option<CursorUpdate>, StoreError> {
        Ok(self
            .tree
            .get(keys::join(keys::CURSOR, name.as_bytes()))?
            .and_then(|v| keys::parse_cursor(&v))
            .map(|(value, anchor)| CursorUpdate {
                name: name.into(),
                value,
                anchor,
            }))
    }

    fn set_cursor(&self, update: &CursorUpdate) -> Result<(), StoreError> {
        self.tree.insert(
            keys::join(keys::CURSOR, update.name.as_bytes()),
            keys::cursor_value(update.value, &update.anchor),
        )?;
        Ok(())
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for e in entries {
            batch.insert(keys::audit(e.at_ms, self.db.generate_id()?), encode(e));
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    fn audit_page(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool), StoreError> {
        let lower = keys::audit(q.since_ms.unwrap_or(0), 0);
        let mut upper = q
            .until_ms
            .map_or_else(|| keys::prefix_end(keys::AUDIT), |ms| keys::audit(ms, 0));
        if let Some(AuditCursor(before)) = &q.before {
            upper = upper.min(before.clone());
        }
        let mut out = Vec::with_capacity(q.limit.min(1024));
        for item in self.tree.range(lower..upper).rev() {
            let (k, v) = item?;
            let e: AuditEntry = decode(&k, &v)?;
            if q.invoice_id
                .as_ref()
                .is_some_and(|id| e.invoice_id.as_ref() != Some(id))
                || q.provider
                    .as_ref()
                    .is_some_and(|p| e.provider.as_ref() != Some(p))
            {
                continue;
            }
            if out.len() == q.limit {
                return Ok((out, true));
            }
            out.push((AuditCursor(k.to_vec()), e));
        }
        Ok((out, false))
    }

    fn prune(&self, keys_before_ms: u64, audit_before_ms: u64) -> Result<Pruned, StoreError> {
        let mut pruned = Pruned::default();
        let mut batch = sled::Batch::default();
        for item in self
            .tree
            .range(keys::join(keys::AUDIT, &[])..keys::audit(audit_before_ms, 0))
        {
            batch.remove(item?.0);
            pruned.audit_entries += 1;
        }
        for item in self.tree.scan_prefix(keys::IDEMPOTENCY) {
            let (k, v) = item?;
            let rec: IdempotencyRecord = decode(&k, &v)?;
            if rec.created_at_ms < keys_before_ms {
                batch.remove(k);
                pruned.idempotency_keys += 1;
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(pruned)
    }

    async fn sync(&self) -> Result<(), StoreError> {
        self.commit.sync().await
    }

    fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Invoice, InvoiceStatus};

    fn invoice(status: InvoiceStatus) -> Invoice {
        Invoice {
            id: "inv_test".into(),
            payment_request: String::new(),
            payment_hash: "00".repeat(32),
            amount_msat: 1_000,
            amount_received_msat: 0,
            description: String::new(),
            description_hash: None,
            status,
            provider: "dev".into(),
            created_at_ms: 1_000,
            expires_at_ms: 2_000,
            paid_at_ms: None,
            updated_at_ms: 1_000,
            metadata: Default::default(),
            external_ref: None,
            customer_email: None,
            paid_late: false,
            idempotency_key: None,
        }
    }

    fn paid_at(status: InvoiceStatus, at_ms: u64) -> Invoice {
        let mut inv = invoice(status);
        let kind = apply(
            &mut inv,
            Transition::Paid {
                amount_received_msat: 1_000,
                at_ms,
            },
        );
        assert!(kind.is_some(), "{status:?} -> PAID applies");
        assert_eq!(inv.status, InvoiceStatus::Paid);
        inv
    }

    #[test]
    fn late_means_paid_after_expiry_or_after_a_cancel_not_reported_after_the_timer() {
        // Settled before expiry, heard of after the timer fired: on time.
        assert!(!paid_at(InvoiceStatus::Expired, 2_000).paid_late);
        assert!(!paid_at(InvoiceStatus::Pending, 1_500).paid_late);
        assert!(paid_at(InvoiceStatus::Expired, 2_001).paid_late);
        assert!(paid_at(InvoiceStatus::Pending, 2_001).paid_late);
        assert!(paid_at(InvoiceStatus::Canceled, 1_500).paid_late);
    }
}
