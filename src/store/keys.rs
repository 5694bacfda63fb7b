//! Key layout of the single sled tree. One tree keeps every multi-key change a
//! single-tree transaction; the prefixes are the namespaces.
//!
//! Records are a format byte and a prost message (`store/records.rs`); JSON
//! in data dirs an older release wrote, until the migration at open converts
//! them.
//!
//! | prefix | key                         | value                  |
//! |--------|-----------------------------|------------------------|
//! | `i/`   | invoice id (time-sortable)  | Invoice                |
//! | `h/`   | payment hash (hex)          | invoice id             |
//! | `k/`   | idempotency key             | IdempotencyRecord      |
//! | `r/`   | external ref, 0, invoice id | empty                  |
//! | `p/`   | invoice id of a PENDING one | empty                  |
//! | `d/`   | expiry ms BE, id (PENDING)  | empty                  |
//! | `s/`   | status code, invoice id     | empty                  |
//! | `e/`   | sequence (u64 big-endian)   | Event (what changed)   |
//! | `a/`   | time ms BE, unique id BE    | AuditEntry             |
//! | `ai/`  | invoice id, 0, audit key tail | empty                |
//! | `ap/`  | provider, 0, audit key tail | empty                  |
//! | `c/`   | cursor name                 | u64 BE, anchor bytes   |
//! | `m/seq`|                             | last sequence, u64 BE  |
//! | `m/due`|                             | empty: `d/` is complete |
//! | `m/status`|                          | empty: `s/` is complete |
//! | `m/format`|                          | format byte: every record is in it, `ai/` and `ap/` complete |
//!
//! The invoice ids are the creation-time index: `i/` lists by time, and
//! `s/` by status and time, so a time range is a key range in both.
//!
//! These are the prefixes this module owns ([`OWNED`]); other parts of the
//! daemon (webhooks) keep theirs in trees of their own, and nothing here,
//! migrations included, reads or writes those.

use crate::domain::InvoiceStatus;

pub const INVOICE: &[u8] = b"i/";
pub const HASH: &[u8] = b"h/";
pub const IDEMPOTENCY: &[u8] = b"k/";
pub const EXTERNAL_REF: &[u8] = b"r/";
pub const PENDING: &[u8] = b"p/";
pub const EVENT: &[u8] = b"e/";
pub const AUDIT: &[u8] = b"a/";
pub const CURSOR: &[u8] = b"c/";
pub const LAST_SEQUENCE: &[u8] = b"m/seq";
pub const DUE: &[u8] = b"d/";
/// Creates in flight, by invoice id (`app/intent.rs`).
pub const INTENT: &[u8] = b"t/";
/// Present once the due index covers every pending invoice: data dirs
/// written before it existed get it built at open.
pub const DUE_INDEX_BUILT: &[u8] = b"m/due";

pub fn join(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + rest.len());
    k.extend_from_slice(prefix);
    k.extend_from_slice(rest);
    k
}

pub fn event(seq: u64) -> Vec<u8> {
    join(EVENT, &seq.to_be_bytes())
}

pub fn external_ref(r: &str, id: &str) -> Vec<u8> {
    let mut k = join(EXTERNAL_REF, r.as_bytes());
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

pub fn audit(at_ms: u64, unique: u64) -> Vec<u8> {
    let mut k = join(AUDIT, &at_ms.to_be_bytes());
    k.extend_from_slice(&unique.to_be_bytes());
    k
}

pub const AUDIT_BY_INVOICE: &[u8] = b"ai/";
pub const AUDIT_BY_PROVIDER: &[u8] = b"ap/";
/// The format every record is in once the migration at open has finished.
pub const FORMAT: &[u8] = b"m/format";

/// Every prefix the store owns (see the module doc).
#[cfg_attr(not(test), allow(dead_code))]
pub const OWNED: &[&[u8]] = &[
    INVOICE,
    HASH,
    IDEMPOTENCY,
    EXTERNAL_REF,
    PENDING,
    DUE,
    INTENT,
    STATUS,
    EVENT,
    AUDIT,
    AUDIT_BY_INVOICE,
    AUDIT_BY_PROVIDER,
    CURSOR,
    LAST_SEQUENCE,
    DUE_INDEX_BUILT,
    STATUS_INDEX_BUILT,
    FORMAT,
];

/// Where an index of the audit log by `value` (an invoice id or a provider
/// name) starts; the 0 keeps `inv_1` apart from `inv_10`.
pub fn audit_index_prefix(index: &[u8], value: &str) -> Vec<u8> {
    let mut k = join(index, value.as_bytes());
    k.push(0);
    k
}

/// The index entry for the audit entry under `audit_key`.
pub fn audit_index(index: &[u8], value: &str, audit_key: &[u8]) -> Vec<u8> {
    let mut k = audit_index_prefix(index, value);
    k.extend_from_slice(&audit_key[AUDIT.len()..]);
    k
}

/// The audit entry's key an index entry points at.
pub fn audit_key_of_index(prefix_len: usize, index_key: &[u8]) -> Vec<u8> {
    join(AUDIT, &index_key[prefix_len..])
}

/// The time in an audit entry's key.
pub fn audit_time(audit_key: &[u8]) -> Option<u64> {
    let (at, _) = audit_key.strip_prefix(AUDIT)?.split_first_chunk::<8>()?;
    Some(u64::from_be_bytes(*at))
}

pub const STATUS: &[u8] = b"s/";
/// Present once the status index covers every invoice.
pub const STATUS_INDEX_BUILT: &[u8] = b"m/status";

/// Where one status's part of the status index starts.
pub fn status_prefix(status: InvoiceStatus) -> Vec<u8> {
    let code = match status {
        InvoiceStatus::Pending => b'p',
        InvoiceStatus::Paid => b'a',
        InvoiceStatus::Expired => b'e',
        InvoiceStatus::Canceled => b'c',
    };
    join(STATUS, &[code, b'/'])
}

pub fn status(status: InvoiceStatus, id: &str) -> Vec<u8> {
    join(&status_prefix(status), id.as_bytes())
}

pub fn due(expires_at_ms: u64, id: &str) -> Vec<u8> {
    let mut k = join(DUE, &expires_at_ms.to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

pub fn parse_due(k: &[u8]) -> Option<super::Due> {
    let (at, id) = k.strip_prefix(DUE)?.split_first_chunk::<8>()?;
    Some(super::Due {
        expires_at_ms: u64::from_be_bytes(*at),
        invoice_id: String::from_utf8(id.to_vec()).ok()?,
    })
}

/// The smallest key after every key starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    vec![u8::MAX; prefix.len() + 1]
}

pub fn u64_value(v: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(v).ok().map(u64::from_be_bytes)
}

/// A cursor: its position (u64, big-endian), then its anchor bytes. Stores
/// written before anchors existed hold the 8 bytes alone.
pub fn cursor_value(value: u64, anchor: &[u8]) -> Vec<u8> {
    let mut v = value.to_be_bytes().to_vec();
    v.extend_from_slice(anchor);
    v
}

pub fn parse_cursor(v: &[u8]) -> Option<(u64, Vec<u8>)> {
    let (pos, anchor) = v.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*pos), anchor.to_vec()))
}

/// The invoice-id key below every id created at or after `ms`: ids are
/// `inv_` + hex(UUIDv7), whose first 12 hex digits are the creation time.
pub fn invoice_id_floor(ms: u64) -> Vec<u8> {
    id_floor(INVOICE, ms)
}

/// The same floor under another prefix whose keys end in invoice ids.
pub fn id_floor(prefix: &[u8], ms: u64) -> Vec<u8> {
    let ms = ms.min((1 << 48) - 1);
    join(prefix, format!("inv_{ms:012x}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_prefixes_do_not_overlap_so_a_scan_of_one_never_reads_another() {
        for a in OWNED {
            for b in OWNED {
                assert!(a == b || !b.starts_with(a), "{a:?} covers {b:?}");
            }
        }
    }

    #[test]
    fn cursors_round_trip_and_read_the_anchorless_format() {
        let hash = [7u8; 32];
        assert_eq!(
            parse_cursor(&cursor_value(42, &hash)),
            Some((42, hash.to_vec()))
        );
        // Written before anchors existed: the position alone.
        assert_eq!(parse_cursor(&42u64.to_be_bytes()), Some((42, vec![])));
        assert_eq!(parse_cursor(&[1, 2, 3]), None);
    }
}
