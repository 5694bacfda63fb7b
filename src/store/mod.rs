//! The embedded store: invoices, their indexes, idempotency records, the event
//! log, provider cursors and the audit log.
//!
//! Contract every implementation keeps:
//! - each method that writes several keys writes all of them or none, even
//!   across a crash (one sled transaction);
//! - event sequences are gap-free and strictly increasing in commit order;
//! - a write is durable only once a `sync()` that started after it returns,
//!   and `durable_sequence()` never names an event that is not on disk, so
//!   nothing is reported or published that a crash could take back;
//! - every committed event is handed to [`Store::tail`] in sequence order,
//!   and the tail is advanced with the durable mark;
//! - an invoice is in the due index exactly while it is PENDING;
//! - a failed write or flush turns [`Store::health`] FAILING until a later
//!   flush reaches the disk.

#[cfg(test)]
pub(crate) mod contract;
mod export;
mod fjall_store;
mod group_commit;
mod health;
mod hook_reads;
mod keys;
pub mod memory;
mod open;
pub mod postgres;
mod records;
mod scan;
mod sled_store;
mod sled_webhooks;
pub mod tail;
mod transition;
pub mod webhooks;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::domain::{AuditEntry, Event, Invoice, InvoiceStatus};

pub use export::{Checksum, Export};
pub use fjall_store::{convert_in_place, Converted, FjallStore, SLED_KEPT};
pub use group_commit::GroupCommit;
pub use health::StoreHealth;
pub use memory::MemoryStore;
pub use open::{open, Opened};
pub use postgres::PgStore;
pub use sled_store::SledStore;
pub use tail::Tail;
pub use webhooks::WebhookStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
    #[error("fjall: {0}")]
    Fjall(#[from] fjall::Error),
    #[error("corrupt record at {key}: {detail}")]
    Corrupt { key: String, detail: String },
    #[error("payment hash {0} is already stored")]
    DuplicatePaymentHash(String),
    #[error("the store is closed")]
    Closed,
    /// A flush did not reach the disk (or, in the memory store, a write was
    /// refused by fault injection): nothing since the last good flush is durable.
    #[error("the store cannot write: {0}")]
    Unwritable(String),
    /// PostgreSQL cannot be reached (down, restarting, no connection free in
    /// time). A write that fails so was not acknowledged; when the
    /// connection broke during its commit, it may still have been applied,
    /// as with any database, and a retry with the same idempotency key finds it.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// PostgreSQL refused a statement.
    #[error("postgres: {0}")]
    Postgres(String),
    #[error("store schema: {0}")]
    Schema(String),
    #[error("{0}")]
    Config(String),
    /// The write was made under a leader's fencing epoch that is no longer
    /// the lease's: this instance lost leadership, and nothing was written.
    #[error("fenced: this instance writes as epoch {held}, the lease is at {current:?}")]
    Fenced { held: u64, current: Option<u64> },
}

/// A PENDING invoice's place in the due index: ordered by expiry, then id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Due {
    pub expires_at_ms: u64,
    pub invoice_id: String,
}

/// What an idempotency key remembers: the request's fingerprint and its invoice.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub key: String,
    pub fingerprint: String,
    pub invoice_id: String,
    pub created_at_ms: u64,
}

pub enum Inserted {
    New(Box<Event>),
    /// The idempotency key was taken (by a concurrent or earlier request);
    /// nothing was written.
    KeyTaken(IdempotencyRecord),
}

/// A status change. The store, not the caller, decides whether the current
/// status allows it, inside the same transaction that applies it.
#[derive(Clone, Copy, Debug)]
pub enum Transition {
    /// Wins over EXPIRED and CANCELED: money received is never hidden.
    Paid {
        amount_received_msat: u64,
        at_ms: u64,
    },
    Expired {
        at_ms: u64,
    },
    Canceled {
        at_ms: u64,
    },
}

#[derive(Debug)]
pub enum Transitioned {
    Applied(Event),
    /// Already in the target state; nothing written.
    Unchanged(Invoice),
    /// The current state does not allow it; nothing written.
    Refused(Invoice),
}

/// A provider's stream position, written in the same transaction as the
/// status change it accompanies so a restart resumes exactly after it.
#[derive(Clone, Debug)]
pub struct CursorUpdate {
    pub name: String,
    pub value: u64,
    /// What the position points at (LND: the payment hash settled at
    /// `value`), so a later start can ask the provider whether the position
    /// still means the same thing. Empty: nothing to check against.
    pub anchor: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub status: Option<InvoiceStatus>,
    pub created_after_ms: Option<u64>,
    pub created_before_ms: Option<u64>,
    /// Exclusive: listing continues with invoices older than this id.
    pub before_id: Option<String>,
    pub limit: usize,
}

/// Where an audit page ended: opaque to callers (the entry's key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCursor(pub Vec<u8>);

#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Continue with entries older than this one.
    pub before: Option<AuditCursor>,
    pub since_ms: Option<u64>,
    pub until_ms: Option<u64>,
    pub invoice_id: Option<String>,
    pub provider: Option<String>,
    pub limit: usize,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub idempotency_keys: usize,
    pub audit_entries: usize,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a new invoice with its INVOICE_CREATED event, its indexes and,
    /// when given, its idempotency record. When the record's key is already
    /// taken nothing is written and the existing record is returned.
    fn insert_invoice(
        &self,
        invoice: &Invoice,
        idempotency: Option<&IdempotencyRecord>,
        audit: &[AuditEntry],
    ) -> Result<Inserted, StoreError>;

    /// Whether this store keeps intents (`app/intent.rs`). Without them a
    /// create waits for its write after the provider has answered.
    fn keeps_intents(&self) -> bool {
        false
    }
    /// Writes an intent: the invoice about to be issued, with the payment
    /// hash lnpayd chose and no payment request yet, and its idempotency
    /// record. Durable once `sync` returns. When the record's key is
    /// taken, nothing is written and the holder is returned.
    fn put_intent(
        &self,
        _intent: &Invoice,
        _idempotency: Option<&IdempotencyRecord>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        Err(StoreError::Config("this store keeps no intents".into()))
    }
    /// Stores the issued invoice in place of its intent, as `insert_invoice`
    /// does; its idempotency record is the one the intent wrote.
    fn complete_intent(
        &self,
        _invoice: &Invoice,
        _audit: &[AuditEntry],
    ) -> Result<Event, StoreError> {
        Err(StoreError::Config("this store keeps no intents".into()))
    }
    /// Removes an intent that issued nothing, and its idempotency record, so
    /// that a retry with the same key may create.
    fn drop_intent(&self, _id: &str, _audit: &[AuditEntry]) -> Result<(), StoreError> {
        Ok(())
    }
    /// Every intent stored, oldest first.
    fn intents(&self) -> Result<Vec<Invoice>, StoreError> {
        Ok(Vec::new())
    }
    fn intent(&self, _id: &str) -> Result<Option<Invoice>, StoreError> {
        Ok(None)
    }

    fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
    fn invoice(&self, id: &str) -> Result<Option<Invoice>, StoreError>;
    fn invoice_by_hash(&self, payment_hash: &str) -> Result<Option<Invoice>, StoreError>;
    /// The newest invoice with this external reference.
    fn invoice_by_external_ref(&self, external_ref: &str) -> Result<Option<Invoice>, StoreError>;
    /// Newest first; the bool says whether more match after this page.
    fn list_invoices(&self, query: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError>;
    /// Every invoice still PENDING: what reconciliation starts from.
    fn pending_invoices(&self) -> Result<Vec<Invoice>, StoreError>;
    /// The due index: PENDING invoices expiring at or before `until_ms`,
    /// earliest first, after `after` (exclusive), at most `limit`. An invoice
    /// enters it when stored and leaves it in the transaction that moves it
    /// out of PENDING. `pending_due(None, u64::MAX, 1)` is the next expiry.
    fn pending_due(
        &self,
        after: Option<&Due>,
        until_ms: u64,
        limit: usize,
    ) -> Result<Vec<Due>, StoreError>;

    /// Applies a status change, appends its event and audit line, and moves
    /// the provider cursor, in one transaction.
    fn transition(
        &self,
        invoice_id: &str,
        change: Transition,
        cursor: Option<&CursorUpdate>,
        audit: &AuditEntry,
    ) -> Result<Transitioned, StoreError>;

    /// Events with sequence > `after`, oldest first, at most `limit`, never
    /// past the durable sequence.
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError>;
    /// The newest event on disk; changes wake subscribers.
    fn durable_sequence(&self) -> watch::Receiver<u64>;
    /// The newest durable events, decoded, for live subscribers.
    fn tail(&self) -> std::sync::Arc<Tail>;

    fn cursor(&self, name: &str) -> Result<Option<CursorUpdate>, StoreError>;
    fn set_cursor(&self, update: &CursorUpdate) -> Result<(), StoreError>;

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError>;
    /// A page of the audit log, newest first; the bool says whether more match.
    fn audit_page(
        &self,
        query: &AuditQuery,
    ) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool), StoreError>;
    /// Drops idempotency records created before `keys_before_ms` and audit
    /// entries older than `audit_before_ms`.
    fn prune(&self, keys_before_ms: u64, audit_before_ms: u64) -> Result<Pruned, StoreError>;

    /// Returns once every write made before the call is on disk. Concurrent
    /// callers share one flush.
    async fn sync(&self) -> Result<(), StoreError>;
    /// Like `sync`, but the flush may start up to `within` later so that
    /// writes made meanwhile share it: for a caller whose write only has to
    /// be on disk by the time other work it awaits ends.
    async fn sync_within(&self, _within: std::time::Duration) -> Result<(), StoreError> {
        self.sync().await
    }
    /// Asks for a flush of every write made so far, without waiting for it:
    /// for a write that needs no acknowledgement but whose events should
    /// reach subscribers soon (an intent's invoice, `app/intent.rs`).
    fn flush_soon(&self) {}
    fn size_on_disk(&self) -> u64;
    /// FAILING while writes or flushes fail; OK again after one succeeds.
    fn health(&self) -> watch::Receiver<StoreHealth>;
}
