//! What an older data dir gets at open, before anything else reads it: its
//! JSON records converted in place, and the indexes its release did not keep.
//!
//! Every step is crash-safe in the same way: it writes in atomic batches, each
//! batch leaves a store every reader understands (readers take both formats,
//! and an index is only trusted once its marker is written), and the marker
//! that says "done" is written last, after a flush. A crash anywhere leaves a
//! store that opens and finishes the step.

use std::time::Instant;

use super::codec::{audit_at, audit_writes, idempotency_at, invoice_at, Writes};
use crate::store::records::{self, EventRecord, Format, StoredEvent};
use crate::store::{keys, StoreError};

/// Records converted (or indexed) per atomic batch.
const BATCH: usize = 5_000;
/// A progress line every this many records.
const REPORT_EVERY: usize = 100_000;

/// Converts every JSON record (invoices, events, audit entries, idempotency
/// records) to the binary format, indexes the audit entries by invoice and
/// by provider, and marks the data dir done.
pub fn migrate_records(tree: &sled::Tree) -> Result<(), StoreError> {
    if tree.get(keys::FORMAT)?.as_deref() == Some(&[records::FORMAT_V1][..]) {
        return Ok(());
    }
    let started = Instant::now();
    let mut seen = 0usize;
    let mut converted = 0usize;
    for prefix in [keys::INVOICE, keys::EVENT, keys::AUDIT, keys::IDEMPOTENCY] {
        let mut from = prefix.to_vec();
        let end = keys::prefix_end(prefix);
        loop {
            let chunk = tree
                .range(from.clone()..end.clone())
                .take(BATCH)
                .collect::<Result<Vec<_>, _>>()?;
            let Some((last, _)) = chunk.last() else { break };
            from = last.to_vec();
            from.push(0);
            let mut batch = sled::Batch::default();
            for (k, v) in chunk {
                seen += 1;
                if records::format_of(&k, &v)? == Format::Json {
                    for (key, value) in convert(prefix, &k, &v)? {
                        batch.insert(key, value);
                    }
                    converted += 1;
                }
                if seen % REPORT_EVERY == 0 {
                    tracing::info!(
                        records = seen,
                        converted,
                        secs = started.elapsed().as_secs(),
                        "converting the data dir to the binary record format"
                    );
                }
            }
            tree.apply_batch(batch)?;
        }
    }
    tree.flush()?;
    tree.insert(keys::FORMAT, &[records::FORMAT_V1][..])?;
    tree.flush()?;
    if converted > 0 {
        tracing::info!(
            records = seen,
            converted,
            secs = started.elapsed().as_secs(),
            "converted the data dir to the binary record format"
        );
    }
    Ok(())
}

/// The writes that replace one JSON record under `prefix`.
pub(super) fn convert(prefix: &[u8], k: &[u8], v: &[u8]) -> Result<Writes, StoreError> {
    let one = |value| Ok(vec![(k.to_vec(), value)]);
    match prefix {
        keys::INVOICE => one(records::encode_invoice(&invoice_at(k, v)?)),
        keys::IDEMPOTENCY => one(records::encode_idempotency(&idempotency_at(k, v)?)),
        // Written before the audit indexes existed: index it now.
        keys::AUDIT => Ok(audit_writes(k.to_vec(), &audit_at(k, v)?)),
        keys::EVENT => {
            let seq = k[keys::EVENT.len()..]
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| records::corrupt(k, "not an event key"))?;
            match records::decode_event(k, seq, v)? {
                StoredEvent::Full(e) => one(records::encode_event(&EventRecord::of(&e))),
                StoredEvent::Delta(_) => Ok(vec![]),
            }
        }
        _ => unreachable!("only the record prefixes are converted"),
    }
}

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
            let inv = invoice_at(&inv_key, &v)?;
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
        let inv = invoice_at(&k, &v)?;
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
