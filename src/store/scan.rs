//! The reads behind lookups, listing, the event log, the due index and the
//! audit log, over any ordered key-value engine that holds the layout of
//! `keys.rs` (sled's tree, fjall's partition): the engines differ in how
//! they write, not in how they read.

use super::records::{self, StoredEvent};
use super::sled_store::codec::{audit_at, idempotency_at, invoice_at};
use crate::domain::{AuditEntry, Event, Invoice, InvoiceStatus};
use crate::store::{
    keys, AuditCursor, AuditQuery, Due, IdempotencyRecord, ListQuery, Store, StoreError,
};

/// What the scans need from an engine.
pub(super) trait OrderedKv: Store {
    /// The engine's own byte buffer (sled's `IVec`, fjall's `Slice`).
    type Bytes: AsRef<[u8]>;
    /// Keys in `[lower, upper)` with their values, in key order.
    fn range(&self, lower: Vec<u8>, upper: Vec<u8>) -> KvIter<'_, Self::Bytes>;
    fn get_raw(&self, key: &[u8]) -> Result<Option<Self::Bytes>, StoreError>;
    fn contains(&self, key: &[u8]) -> Result<bool, StoreError>;
    /// Drops a stray index entry; a failure counts against store health.
    fn remove_stray(&self, key: &[u8]) -> Result<(), StoreError>;
}

pub(super) type KvIter<'a, B> =
    Box<dyn DoubleEndedIterator<Item = Result<(B, B), StoreError>> + 'a>;

pub(super) fn invoice_at_key<S: OrderedKv>(
    s: &S,
    key: &[u8],
) -> Result<Option<Invoice>, StoreError> {
    s.get_raw(key)?
        .map(|v| invoice_at(key, v.as_ref()))
        .transpose()
}

pub(super) fn invoice<S: OrderedKv>(s: &S, id: &str) -> Result<Option<Invoice>, StoreError> {
    invoice_at_key(s, &keys::join(keys::INVOICE, id.as_bytes()))
}

pub(super) fn invoice_by_hash<S: OrderedKv>(
    s: &S,
    payment_hash: &str,
) -> Result<Option<Invoice>, StoreError> {
    match s.get_raw(&keys::join(keys::HASH, payment_hash.as_bytes()))? {
        Some(id) => invoice_at_key(s, &keys::join(keys::INVOICE, id.as_ref())),
        None => Ok(None),
    }
}

pub(super) fn invoice_by_external_ref<S: OrderedKv>(
    s: &S,
    external_ref: &str,
) -> Result<Option<Invoice>, StoreError> {
    let mut prefix = keys::join(keys::EXTERNAL_REF, external_ref.as_bytes());
    prefix.push(0);
    let end = keys::prefix_end(&prefix);
    // Ids sort by time, so the last key under the prefix is the newest.
    match s.range(prefix.clone(), end).next_back().transpose()? {
        Some((k, _)) => invoice(s, &String::from_utf8_lossy(&k.as_ref()[prefix.len()..])),
        None => Ok(None),
    }
}

pub(super) fn idempotency_record<S: OrderedKv>(
    s: &S,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let k = keys::join(keys::IDEMPOTENCY, key.as_bytes());
    s.get_raw(&k)?
        .map(|v| idempotency_at(&k, v.as_ref()))
        .transpose()
}

pub(super) fn pending_invoices<S: OrderedKv>(s: &S) -> Result<Vec<Invoice>, StoreError> {
    let mut out = Vec::new();
    for item in s.range(keys::PENDING.to_vec(), keys::prefix_end(keys::PENDING)) {
        let (k, _) = item?;
        let id = String::from_utf8_lossy(&k.as_ref()[keys::PENDING.len()..]).into_owned();
        if let Some(inv) = invoice(s, &id)? {
            out.push(inv);
        }
    }
    Ok(out)
}

/// Up to `limit` events after `after`, none past `durable` (the engine's
/// durable mark: nothing unflushed is ever read).
pub(super) fn events_after<S: OrderedKv>(
    s: &S,
    after: u64,
    durable: u64,
    limit: usize,
) -> Result<Vec<Event>, StoreError> {
    if after >= durable {
        return Ok(Vec::new());
    }
    let mut last = None;
    s.range(keys::event(after + 1), keys::event(durable + 1))
        .take(limit)
        .map(|item| {
            let (k, v) = item?;
            event_at(s, k.as_ref(), v.as_ref(), &mut last)
        })
        .collect()
}

/// A stored event, its invoice as it was then. `last` is the invoice the
/// previous event of a page was rebuilt from: events of one invoice often
/// come together.
fn event_at<S: OrderedKv>(
    s: &S,
    key: &[u8],
    v: &[u8],
    last: &mut Option<Invoice>,
) -> Result<Event, StoreError> {
    let seq = keys::u64_value(&key[keys::EVENT.len()..])
        .ok_or_else(|| records::corrupt(key, "not an event key"))?;
    let rec = match records::decode_event(key, seq, v)? {
        StoredEvent::Full(e) => return Ok(*e),
        StoredEvent::Delta(rec) => rec,
    };
    let current = match last.take().filter(|i| i.id == rec.invoice_id) {
        Some(inv) => inv,
        None => invoice(s, &rec.invoice_id)?
            .ok_or_else(|| records::corrupt(key, "the event's invoice is not stored"))?,
    };
    *last = Some(current.clone());
    Ok(rec.rebuild(current))
}

/// Audit keys, newest first, each with its value when the scan read it.
type AuditKeys<'a, B> = Box<dyn Iterator<Item = Result<(Vec<u8>, Option<B>), StoreError>> + 'a>;

pub(super) fn list<S: OrderedKv>(s: &S, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
    match q.status {
        Some(status) => list_by_status(s, q, status),
        None => list_all(s, q),
    }
}

/// Through the status index: a page costs the page, however rare the status.
fn list_by_status<S: OrderedKv>(
    s: &S,
    q: &ListQuery,
    status: InvoiceStatus,
) -> Result<(Vec<Invoice>, bool), StoreError> {
    let prefix = keys::status_prefix(status);
    let mut upper = keys::prefix_end(&prefix);
    if let Some(before) = q.created_before_ms {
        upper = upper.min(keys::id_floor(&prefix, before));
    }
    if let Some(id) = &q.before_id {
        upper = upper.min(keys::join(&prefix, id.as_bytes()));
    }
    let lower = keys::id_floor(&prefix, q.created_after_ms.unwrap_or(0));
    let mut out = Vec::with_capacity(q.limit.min(512));
    for item in s.range(lower, upper).rev() {
        let (k, _) = item?;
        let id = String::from_utf8_lossy(&k.as_ref()[prefix.len()..]);
        // An entry an older release left behind when it changed the status.
        let Some(inv) = s.invoice(&id)?.filter(|i| i.status == status) else {
            continue;
        };
        if out.len() == q.limit {
            return Ok((out, true));
        }
        out.push(inv);
    }
    Ok((out, false))
}

fn list_all<S: OrderedKv>(s: &S, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
    let mut upper = keys::prefix_end(keys::INVOICE);
    if let Some(before) = q.created_before_ms {
        upper = upper.min(keys::invoice_id_floor(before));
    }
    if let Some(id) = &q.before_id {
        upper = upper.min(keys::join(keys::INVOICE, id.as_bytes()));
    }
    let lower = keys::invoice_id_floor(q.created_after_ms.unwrap_or(0));
    let mut out = Vec::with_capacity(q.limit.min(512));
    for item in s.range(lower, upper).rev() {
        let (k, v) = item?;
        let inv = invoice_at(k.as_ref(), v.as_ref())?;
        if out.len() == q.limit {
            return Ok((out, true));
        }
        out.push(inv);
    }
    Ok((out, false))
}

pub(super) fn due<S: OrderedKv>(
    s: &S,
    after: Option<&Due>,
    until_ms: u64,
    limit: usize,
) -> Result<Vec<Due>, StoreError> {
    let lower = match after {
        // The smallest key after `after`'s.
        Some(d) => {
            let mut k = keys::due(d.expires_at_ms, &d.invoice_id);
            k.push(0);
            k
        }
        None => keys::DUE.to_vec(),
    };
    let upper = match until_ms.checked_add(1) {
        Some(end) => keys::join(keys::DUE, &end.to_be_bytes()),
        None => keys::prefix_end(keys::DUE),
    };
    let mut out = Vec::with_capacity(limit.min(1024));
    for item in s.range(lower, upper) {
        if out.len() == limit {
            break;
        }
        let (k, _) = item?;
        let Some(due) = keys::parse_due(k.as_ref()) else {
            return Err(StoreError::Corrupt {
                key: String::from_utf8_lossy(k.as_ref()).into_owned(),
                detail: "not a due-index key".into(),
            });
        };
        // An older release that ran on this data dir in between moved
        // invoices out of PENDING without knowing this index: drop strays.
        if !s.contains(&keys::join(keys::PENDING, due.invoice_id.as_bytes()))? {
            s.remove_stray(k.as_ref())?;
            continue;
        }
        out.push(due);
    }
    Ok(out)
}

/// Newest first. With an invoice or a provider the page is read through
/// that index (the invoice's when both are given: it holds a handful of
/// entries), so a page costs the page however rare the match.
pub(super) fn audit<S: OrderedKv>(
    s: &S,
    q: &AuditQuery,
) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool), StoreError> {
    let lower = keys::audit(q.since_ms.unwrap_or(0), 0);
    let mut upper = q
        .until_ms
        .map_or_else(|| keys::prefix_end(keys::AUDIT), |ms| keys::audit(ms, 0));
    if let Some(AuditCursor(before)) = &q.before {
        upper = upper.min(before.clone());
    }
    if lower >= upper {
        return Ok((vec![], false));
    }
    let index = match (&q.invoice_id, &q.provider) {
        (Some(id), _) => Some(keys::audit_index_prefix(keys::AUDIT_BY_INVOICE, id)),
        (None, Some(p)) => Some(keys::audit_index_prefix(keys::AUDIT_BY_PROVIDER, p)),
        (None, None) => None,
    };
    // The audit keys in [lower, upper), newest first, with their value
    // when the scan read it.
    let keys: AuditKeys<'_, S::Bytes> = match &index {
        Some(prefix) => {
            // The audit key's tail after the index's prefix; the
            // end of the whole log is the end of the index's part.
            let at = |k: &[u8]| match k.strip_prefix(keys::AUDIT) {
                Some(tail) => keys::join(prefix, tail),
                None => keys::prefix_end(prefix),
            };
            let n = prefix.len();
            Box::new(s.range(at(&lower), at(&upper)).rev().map(move |item| {
                let (k, _) = item?;
                Ok((keys::audit_key_of_index(n, k.as_ref()), None))
            }))
        }
        None => Box::new(s.range(lower, upper).rev().map(|item| {
            let (k, v) = item?;
            Ok((k.as_ref().to_vec(), Some(v)))
        })),
    };
    let mut out = Vec::with_capacity(q.limit.min(1024));
    for item in keys {
        let (k, v) = item?;
        let v = match v {
            Some(v) => v,
            // Pruned between the index read and this one.
            None => match s.get_raw(&k)? {
                Some(v) => v,
                None => continue,
            },
        };
        let e = audit_at(&k, v.as_ref())?;
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
        out.push((AuditCursor(k), e));
    }
    Ok((out, false))
}
