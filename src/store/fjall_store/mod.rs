//! The fjall implementation of [`Store`], opt-in (`[store] backend =
//! "fjall"`): the same key layout (`keys.rs`) and binary records
//! (`records.rs`) as sled, in one partition of an LSM tree, so only the
//! engine differs. fjall compacts and compresses (LZ4) its sorted tables and
//! keeps a bounded block cache, where sled keeps a page table that grows with
//! the data (BENCHMARKS.md, "A compacting engine (fjall), opt-in").
//!
//! fjall has no read-write transactions in the partition API used here, so
//! every write that reads first (inserts, transitions) runs under one lock
//! and applies its keys as one write batch, which fjall's journal makes
//! atomic across a crash. Durability is the same group commit as sled's: a
//! batch lands in the journal's buffer, and `sync()` waits for a shared
//! `persist(SyncData)`.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fjall::{Batch, Keyspace, PartitionCreateOptions, PartitionHandle, PersistMode};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub use from_sled::{convert_in_place, is_store, Converted, SLED_KEPT};

use super::group_commit::Disk;
use super::records;
use super::sled_store::codec::{audit_at, audit_removals, audit_writes, idempotency_at};
use super::transition::{apply, not_applied};
use super::{keys, Due, StoreHealth, Tail};
use super::{
    AuditCursor, AuditQuery, CursorUpdate, GroupCommit, IdempotencyRecord, Inserted, ListQuery,
    Pruned, Store, StoreError, Transition, Transitioned,
};
use crate::domain::{AuditEntry, Event, Invoice, InvoiceStatus};

mod events;
mod from_sled;
#[cfg(test)]
mod from_sled_tests;
mod insert;
mod intents;
#[cfg(test)]
mod tests;
mod webhooks;

pub struct FjallStore {
    keyspace: Keyspace,
    tree: PartitionHandle,
    /// Webhook endpoints and deliveries, in the sled store's layout
    /// (`sled_webhooks.rs`), under their own lock.
    hooks: PartitionHandle,
    hooks_lock: Mutex<()>,
    commit: Arc<GroupCommit>,
    /// Serialises the writes that read before they write, so what they read
    /// is still true when their batch applies, and sequence order is commit
    /// order. Holds the last event sequence.
    append: Mutex<u64>,
    /// Audit keys' unique part. Seeded from the clock at open, so keys made
    /// after a restart never meet the ones made before it.
    audit_ids: AtomicU64,
}

/// All memtables together, flushed or not yet.
const WRITE_BUFFER: u64 = 16 * 1024 * 1024;

/// The group commit's disk: a journal fdatasync.
struct Journal(Keyspace, PartitionHandle);

impl Disk for Journal {
    fn flush(&self) -> Result<(), String> {
        // fdatasync, not fsync: it still writes every metadata change that
        // reading the data back needs (the blocks the append allocated, a
        // larger size), and skips only the timestamps, one inode write per
        // flush. fjall sets the journal's size, fsynced, when it creates it.
        self.0
            .persist(PersistMode::SyncData)
            .map_err(|e| e.to_string())
    }

    fn probe(&self) -> Result<(), String> {
        self.1
            .insert(b"m/probe", crate::time::now_ms().to_be_bytes())
            .map_err(|e| e.to_string())
    }
}

impl FjallStore {
    /// Opens (or creates) the store under `dir`; `cache_bytes` bounds the
    /// block cache. Memtables (at most [`WRITE_BUFFER`]) come on top,
    /// bounded too, and do not grow with the invoices stored.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Arc<Self>, StoreError> {
        // Memtables waiting to be flushed are capped at 16 MiB in all (fjall's
        // default is 64): lnpayd's writes are small and steady, and this cap
        // is most of what its memory grows by under load. A skiplist node
        // costs about twice the bytes fjall counts for it: 16 MiB is ~35 MB
        // of heap. Halving it from 32 cost no create throughput (issue 11).
        let keyspace = fjall::Config::new(dir)
            .cache_size(cache_bytes)
            .max_write_buffer_size(WRITE_BUFFER)
            .open()?;
        let tree = keyspace.open_partition("lnpayd_v1", PartitionCreateOptions::default())?;
        let hooks = keyspace.open_partition(
            crate::store::sled_webhooks::TREE,
            PartitionCreateOptions::default(),
        )?;
        let last_seq = tree
            .get(keys::LAST_SEQUENCE)?
            .and_then(|v| keys::u64_value(&v))
            .unwrap_or(0);
        let commit = GroupCommit::new(Journal(keyspace.clone(), tree.clone()), last_seq);
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(Arc::new(Self {
            keyspace,
            tree,
            hooks,
            hooks_lock: Mutex::new(()),
            commit,
            append: Mutex::new(last_seq),
            audit_ids: AtomicU64::new(seed),
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
        if let Err(StoreError::Fjall(e)) = &r {
            self.commit.write_failed(e);
        }
        r
    }

    fn get(&self, key: &[u8]) -> Result<Option<fjall::Slice>, StoreError> {
        Ok(self.tree.get(key)?)
    }

    fn batch(&self) -> Batch {
        self.keyspace.batch()
    }

    fn add_audit(&self, batch: &mut Batch, entry: &AuditEntry) {
        let unique = self.audit_ids.fetch_add(1, Ordering::Relaxed);
        for (k, v) in audit_writes(keys::audit(entry.at_ms, unique), entry) {
            batch.insert(&self.tree, k, v);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        self.append.lock().expect("append lock poisoned")
    }
}

#[async_trait]
impl Store for FjallStore {
    fn insert_invoice(
        &self,
        invoice: &Invoice,
        idempotency: Option<&IdempotencyRecord>,
        audit: &[AuditEntry],
    ) -> Result<Inserted, StoreError> {
        let mut last = self.lock();
        let mut batch = self.batch();
        if let Some(held) = self.claim_key(&mut batch, idempotency)? {
            return Ok(Inserted::KeyTaken(held));
        }
        let event = self.insert_locked(batch, &mut last, invoice, audit)?;
        Ok(Inserted::New(Box::new(event)))
    }

    fn keeps_intents(&self) -> bool {
        true
    }

    fn put_intent(
        &self,
        intent: &Invoice,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.put_intent_impl(intent, idempotency)
    }

    fn complete_intent(
        &self,
        invoice: &Invoice,
        audit: &[AuditEntry],
    ) -> Result<Event, StoreError> {
        self.complete_intent_impl(invoice, audit)
    }

    fn drop_intent(&self, id: &str, audit: &[AuditEntry]) -> Result<(), StoreError> {
        self.drop_intent_impl(id, audit)
    }

    fn intents(&self) -> Result<Vec<Invoice>, StoreError> {
        self.intents_impl()
    }

    fn intent(&self, id: &str) -> Result<Option<Invoice>, StoreError> {
        self.intent_impl(id)
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
        let mut last = self.lock();
        let Some(mut inv) = super::scan::invoice_at_key(self, &inv_key)? else {
            return Err(StoreError::Corrupt {
                key: invoice_id.to_string(),
                detail: "transition on an invoice that is not stored".into(),
            });
        };
        let mut batch = self.batch();
        if let Some(c) = cursor {
            batch.insert(
                &self.tree,
                keys::join(keys::CURSOR, c.name.as_bytes()),
                keys::cursor_value(c.value, &c.anchor),
            );
        }
        let before = inv.status;
        let Some(kind) = apply(&mut inv, change) else {
            // The cursor still moves, as in the sled store's transaction.
            self.wrote(batch.commit().map_err(StoreError::from))?;
            return Ok(not_applied(inv, change));
        };
        batch.insert(&self.tree, inv_key, records::encode_invoice(&inv));
        batch.remove(&self.tree, keys::status(before, invoice_id));
        batch.insert(&self.tree, keys::status(inv.status, invoice_id), []);
        if before == InvoiceStatus::Pending {
            batch.remove(&self.tree, keys::join(keys::PENDING, invoice_id.as_bytes()));
            batch.remove(&self.tree, keys::due(inv.expires_at_ms, invoice_id));
        }
        self.add_audit(&mut batch, audit);
        let event = self.add_event(&mut batch, &last, kind, inv.updated_at_ms, &inv);
        self.commit_event(batch, &mut last, &event)?;
        Ok(Transitioned::Applied(event))
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
            .get(&keys::join(keys::CURSOR, name.as_bytes()))?
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
        self.wrote(written.map_err(StoreError::from))
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let mut batch = self.batch();
        for e in entries {
            self.add_audit(&mut batch, e);
        }
        self.wrote(batch.commit().map_err(StoreError::from))
    }

    fn audit_page(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool), StoreError> {
        super::scan::audit(self, q)
    }

    fn prune(&self, keys_before_ms: u64, audit_before_ms: u64) -> Result<Pruned, StoreError> {
        let mut pruned = Pruned::default();
        let mut batch = self.batch();
        for item in self
            .tree
            .range(keys::join(keys::AUDIT, &[])..keys::audit(audit_before_ms, 0))
        {
            let (k, v) = item?;
            for key in audit_removals(&k, &audit_at(&k, &v)?) {
                batch.remove(&self.tree, key);
            }
            pruned.audit_entries += 1;
        }
        for item in self.tree.prefix(keys::IDEMPOTENCY) {
            let (k, v) = item?;
            if idempotency_at(&k, &v)?.created_at_ms < keys_before_ms {
                batch.remove(&self.tree, k);
                pruned.idempotency_keys += 1;
            }
        }
        self.wrote(batch.commit().map_err(StoreError::from))?;
        Ok(pruned)
    }

    async fn sync(&self) -> Result<(), StoreError> {
        self.commit.sync().await
    }

    async fn sync_within(&self, within: std::time::Duration) -> Result<(), StoreError> {
        self.commit.sync_within(within).await
    }

    fn flush_soon(&self) {
        self.commit.request();
    }

    fn size_on_disk(&self) -> u64 {
        self.keyspace.disk_space()
    }

    fn health(&self) -> watch::Receiver<StoreHealth> {
        self.commit.health()
    }
}
