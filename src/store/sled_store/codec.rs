//! Record encoding and the pieces every sled transaction is built from.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use crate::domain::{AuditEntry, Event, EventKind, Invoice};
use crate::store::{keys, StoreError};

pub type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Data dirs written before the due index existed: index every pending
/// invoice once, in one batch with the marker, so a crash mid-way rebuilds it.
pub fn build_due_index(tree: &sled::Tree) -> Result<(), StoreError> {
    if tree.contains_key(keys::DUE_INDEX_BUILT)? {
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    let mut count = 0usize;
    for item in tree.scan_prefix(keys::PENDING) {
        let (k, _) = item?;
        let id = &k[keys::PENDING.len()..];
        let inv_key = keys::join(keys::INVOICE, id);
        if let Some(v) = tree.get(&inv_key)? {
            let inv: Invoice = decode(&inv_key, &v)?;
            batch.insert(keys::due(inv.expires_at_ms, &inv.id), &[][..]);
            count += 1;
        }
    }
    batch.insert(keys::DUE_INDEX_BUILT, &[][..]);
    tree.apply_batch(batch)?;
    tracing::info!(
        pending = count,
        "built the expiry index of an older data dir"
    );
    Ok(())
}

/// Data dirs written before the status index existed: index every invoice
/// once, in bounded batches, the marker last, so a crash mid-way rebuilds it.
pub fn build_status_index(tree: &sled::Tree) -> Result<(), StoreError> {
    if tree.contains_key(keys::STATUS_INDEX_BUILT)? {
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    let mut count = 0usize;
    for item in tree.scan_prefix(keys::INVOICE) {
        let (k, v) = item?;
        let inv: Invoice = decode(&k, &v)?;
        batch.insert(keys::status(inv.status, &inv.id), &[][..]);
        count += 1;
        if count % 10_000 == 0 {
            tree.apply_batch(std::mem::take(&mut batch))?;
        }
    }
    batch.insert(keys::STATUS_INDEX_BUILT, &[][..]);
    tree.apply_batch(batch)?;
    tracing::info!(
        invoices = count,
        "built the status index of an older data dir"
    );
    Ok(())
}

pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("store records always serialise")
}

pub fn decode<T: DeserializeOwned>(key: &[u8], v: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(v).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        detail: e.to_string(),
    })
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

pub fn tx_json<T: DeserializeOwned>(tx: &TransactionalTree, key: &[u8]) -> TxResult<Option<T>> {
    match tx.get(key)? {
        Some(v) => decode(key, &v).map(Some).or_else(abort),
        None => Ok(None),
    }
}

/// Appends an event with the next sequence. Only called under the append lock.
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
    tx.insert(keys::event(event.sequence), encode(&event))?;
    tx.insert(keys::LAST_SEQUENCE, &event.sequence.to_be_bytes())?;
    Ok(event)
}

pub fn tx_audit(tx: &TransactionalTree, entry: &AuditEntry) -> TxResult<()> {
    let unique = tx.generate_id()?;
    tx.insert(keys::audit(entry.at_ms, unique), encode(entry))?;
    Ok(())
}
