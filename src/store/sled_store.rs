//! The sled implementation of [`Store`].

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sled::transaction::TransactionalTree;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::records;
use super::transition::{apply, not_applied};
use super::{keys, Due, StoreHealth, Tail};
use super::{
    AuditCursor, AuditQuery, CursorUpdate, GroupCommit, IdempotencyRecord, Inserted, ListQuery,
    Pruned, Store, StoreError, Transition, Transitioned,
};
use crate::domain::{AuditEntry, Event, EventKind, Invoice, InvoiceStatus};
use codec::{
    abort, audit_at, audit_removals, audit_writes, idempotency_at, tx_append_event, tx_audit,
    tx_idempotency, tx_invoice, unwrap_tx, TxResult,
};
use migrate::{build_due_index, build_status_index, migrate_records};

pub(super) mod codec;
mod kv;
mod migrate;

pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
    commit: Arc<GroupCommit>,
    /// Serialises the transactions that append events, so sequence order is
    /// commit order and the durable mark never skips an uncommitted event.
    append: Mutex<()>,
}

impl SledStore {
    /// Opens (or creates) the store under `dir`, converting a data dir an
    /// older release wrote (see `migrate.rs`). The returned task flushes for
    /// group commit; run it until shutdown.
    ///
    /// `cache_bytes` bounds sled's page cache, which is not all of sled's
    /// memory: its page table and segment bookkeeping keep a few hundred
    /// bytes per tree node whether cached or not, so resident memory grows
    /// with the number of invoices (about 0.4 KB each, after a restart too;
    /// BENCHMARKS.md, "Store at scale").
    /// sled's other settings stay at its defaults: 512 KiB segments, no
    /// compression (zstd would cut the disk per invoice by ~60 % but halves
    /// CreateInvoice throughput on this 2-core machine; 8 MiB segments cut
    /// it ~30 %, untried at scale; both are fixed for a data dir's life),
    /// and a background flush every 500 ms, which only matters for the
    /// writes no `sync()` waits for (cursors alone, audit lines alone).
    /// (`Mode` is not read by sled 0.34, so it is not set.)
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
        migrate_records(&tree)?;
        build_due_index(&tree)?;
        build_status_index(&tree)?;
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

    /// Storage errors from a write mark the store FAILING until a flush succeeds.
    fn wrote<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(StoreError::Sled(e)) = &r {
            self.commit.write_failed(e);
        }
        r
    }

    /// For the other trees of this database (`sled_webhooks.rs`).
    pub(super) fn db(&self) -> &sled::Db {
        &self.db
    }

    fn append_locked<T: Appended>(
        &self,
        f: impl Fn(&TransactionalTree) -> TxResult<(T, Option<u64>)>,
    ) -> Result<T, StoreError> {
        let _order = self.append.lock().expect("append lock poisoned");
        let (out, seq) = self.wrote(self.tree.transaction(|tx| f(tx)).map_err(unwrap_tx))?;
        if let Some(seq) = seq {
            self.feed_tail(&out);
            self.commit.committed(seq);
        }
        Ok(out)
    }

    /// Hands a committed event to the tail, before the group commit learns of
    /// its sequence, so the flush that covers it finds it there.
    fn feed_tail(&self, out: &impl Appended) {
        if let Some(event) = out.event() {
            self.commit.tail().committed(Arc::new(event.clone()));
        }
    }
}

/// What an appending write returns: the event it appended, if any.
trait Appended {
    fn event(&self) -> Option<&Event>;
}

impl Appended for Inserted {
    fn event(&self) -> Option<&Event> {
        match self {
            Inserted::New(e) => Some(e),
            Inserted::KeyTaken(_) => None,
        }
    }
}

impl Appended for Transitioned {
    fn event(&self) -> Option<&Event> {
        match self {
            Transitioned::Applied(e) => Some(e),
            _ => None,
        }
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
                if let Some(existing) = tx_idempotency(tx, &key)? {
                    return Ok((Inserted::KeyTaken(existing), None));
                }
                tx.insert(key, records::encode_idempotency(rec))?;
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
                records::encode_invoice(invoice),
            )?;
            tx.insert(keys::join(keys::PENDING, invoice.id.as_bytes()), &[][..])?;
            tx.insert(keys::due(invoice.expires_at_ms, &invoice.id), &[][..])?;
            tx.insert(keys::status(invoice.status, &invoice.id), &[][..])?;
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
        super::scan::idempotency_record(self, key)
    }

    fn invoice(&self, id: &str) -> Result<Option<Invoice>, StoreError> {
        super::scan::invoice(self, id)
    }

    fn invoice_by_hash(&self, payment_hash: &str) -> Result<Option<Invoice>, StoreError> {
        super::scan::invoice_by_hash(self, payment_hash)
    }

    fn invoice_by_external_ref(&self, external_ref: &str) -> Result<Option<Invoice>, StoreError> {
        super::scan::invoice_by_external_ref(self, external_ref)
    }

    fn list_invoices(&self, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
        super::scan::list(self, q)
    }
    fn pending_invoices(&self) -> Result<Vec<Invoice>, StoreError> {
        super::scan::pending_invoices(self)
    }

    fn pending_due(
        &self,
        after: Option<&Due>,
        until_ms: u64,
        limit: usize,
    ) -> Result<Vec<Due>, StoreError> {
        super::scan::due(self, after, until_ms, limit)
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
            let Some(mut inv) = tx_invoice(tx, &inv_key)? else {
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
                return Ok((not_applied(inv, change), None));
            };
            tx.insert(inv_key.as_slice(), records::encode_invoice(&inv))?;
            tx.remove(keys::status(before, invoice_id))?;
            tx.insert(keys::status(inv.status, invoice_id), &[][..])?;
            if before == InvoiceStatus::Pending {
                tx.remove(keys::join(keys::PENDING, invoice_id.as_bytes()))?;
                tx.remove(keys::due(inv.expires_at_ms, invoice_id))?;
            }
            tx_audit(tx, audit)?;
            let event = tx_append_event(tx, kind, inv.updated_at_ms, &inv)?;
            let seq = event.sequence;
            Ok((Transitioned::Applied(event), Some(seq)))
        })
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        let durable = *self.commit.durable_sequence().borrow();
        super::scan::events_after(self, after, durable, limit)
    }

    fn durable_sequence(&self) -> watch::Receiver<u64> {
        self.commit.durable_sequence()
    }

    fn tail(&self) -> Arc<Tail> {
        self.commit.tail().clone()
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
        let written = self.tree.insert(
            keys::join(keys::CURSOR, update.name.as_bytes()),
            keys::cursor_value(update.value, &update.anchor),
        );
        self.wrote(written.map(drop).map_err(StoreError::from))
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for e in entries {
            let unique = self.wrote(self.db.generate_id().map_err(StoreError::from))?;
            for (k, v) in audit_writes(keys::audit(e.at_ms, unique), e) {
                batch.insert(k, v);
            }
        }
        self.wrote(self.tree.apply_batch(batch).map_err(StoreError::from))
    }

    fn audit_page(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool), StoreError> {
        super::scan::audit(self, q)
    }
    fn prune(&self, keys_before_ms: u64, audit_before_ms: u64) -> Result<Pruned, StoreError> {
        let mut pruned = Pruned::default();
        let mut batch = sled::Batch::default();
        for item in self
            .tree
            .range(keys::join(keys::AUDIT, &[])..keys::audit(audit_before_ms, 0))
        {
            let (k, v) = item?;
            for key in audit_removals(&k, &audit_at(&k, &v)?) {
                batch.remove(key);
            }
            pruned.audit_entries += 1;
        }
        for item in self.tree.scan_prefix(keys::IDEMPOTENCY) {
            let (k, v) = item?;
            let rec = idempotency_at(&k, &v)?;
            if rec.created_at_ms < keys_before_ms {
                batch.remove(k);
                pruned.idempotency_keys += 1;
            }
        }
        self.wrote(self.tree.apply_batch(batch).map_err(StoreError::from))?;
        Ok(pruned)
    }

    async fn sync(&self) -> Result<(), StoreError> {
        self.commit.sync().await
    }

    fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    fn health(&self) -> watch::Receiver<StoreHealth> {
        self.commit.health()
    }
}

#[cfg(test)]
mod migrate_tests;
#[cfg(test)]
mod tests;
