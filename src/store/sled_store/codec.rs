//! Typed reads and writes of records, and the pieces every sled transaction
//! is built from.

use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use crate::domain::{AuditEntry, Event, EventKind, Invoice};
use crate::store::records::{self, EventRecord};
use crate::store::{keys, IdempotencyRecord, StoreError};

pub type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;
/// Keys and values to write together.
pub type Writes = Vec<(Vec<u8>, Vec<u8>)>;

/// The invoice under `key` (`i/<id>`).
pub fn invoice_at(key: &[u8], v: &[u8]) -> Result<Invoice, StoreError> {
    let id = std::str::from_utf8(&key[keys::INVOICE.len()..])
        .map_err(|_| records::corrupt(key, "invoice id is not UTF-8"))?;
    records::decode_invoice(key, id, v)
}

/// The idempotency record under `key` (`k/<name>`).
pub fn idempotency_at(key: &[u8], v: &[u8]) -> Result<IdempotencyRecord, StoreError> {
    let name = String::from_utf8_lossy(&key[keys::IDEMPOTENCY.len()..]);
    records::decode_idempotency(key, &name, v)
}

/// The audit entry under `key` (`a/<time><unique>`).
pub fn audit_at(key: &[u8], v: &[u8]) -> Result<AuditEntry, StoreError> {
    let at = keys::audit_time(key).ok_or_else(|| records::corrupt(key, "not an audit key"))?;
    records::decode_audit(key, at, v)
}

/// Every key an audit entry is written under: the entry, then its index
/// entries (by invoice, by provider), which are empty.
pub fn audit_writes(key: Vec<u8>, e: &AuditEntry) -> Writes {
    let mut out = Vec::with_capacity(3);
    if let Some(id) = &e.invoice_id {
        out.push((keys::audit_index(keys::AUDIT_BY_INVOICE, id, &key), vec![]));
    }
    if let Some(p) = &e.provider {
        out.push((keys::audit_index(keys::AUDIT_BY_PROVIDER, p, &key), vec![]));
    }
    out.push((key, records::encode_audit(e)));
    out
}

/// The keys to remove with the audit entry under `key`.
pub fn audit_removals(key: &[u8], e: &AuditEntry) -> Vec<Vec<u8>> {
    audit_writes(key.to_vec(), e)
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

pub fn unwrap_tx(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

pub fn abort<T>(e: StoreError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

pub fn tx_invoice(tx: &TransactionalTree, key: &[u8]) -> TxResult<Option<Invoice>> {
    match tx.get(key)? {
        Some(v) => invoice_at(key, &v).map(Some).or_else(abort),
        None => Ok(None),
    }
}

pub fn tx_idempotency(tx: &TransactionalTree, key: &[u8]) -> TxResult<Option<IdempotencyRecord>> {
    match tx.get(key)? {
        Some(v) => idempotency_at(key, &v).map(Some).or_else(abort),
        None => Ok(None),
    }
}

/// Appends an event with the next sequence: on disk only what changed, to
/// the caller the whole event. Only called under the append lock.
pub fn tx_append_event(
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
    tx.insert(
        keys::event(event.sequence),
        records::encode_event(&EventRecord::of(&event)),
    )?;
    tx.insert(keys::LAST_SEQUENCE, &event.sequence.to_be_bytes())?;
    Ok(event)
}

pub fn tx_audit(tx: &TransactionalTree, entry: &AuditEntry) -> TxResult<()> {
    let unique = tx.generate_id()?;
    for (k, v) in audit_writes(keys::audit(entry.at_ms, unique), entry) {
        tx.insert(k, v)?;
    }
    Ok(())
}
