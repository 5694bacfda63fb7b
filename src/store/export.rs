//! Whole-store reads for `lnpayd migrate`, in key order, from either
//! embedded engine: both hold the layout of `keys.rs`, so one set of scans
//! serves both ([`scan::OrderedKv`]).

use sha2::{Digest, Sha256};

use super::scan::OrderedKv;
use super::sled_store::codec::{audit_at, idempotency_at, invoice_at};
use super::{keys, CursorUpdate, IdempotencyRecord, StoreError, WebhookStore};
use crate::domain::{AuditEntry, Invoice};

/// A store `lnpayd migrate` can copy from: the whole of it, in key order,
/// beside what [`super::Store`] and [`WebhookStore`] already read (events,
/// webhook endpoints and deliveries).
pub trait Export: WebhookStore {
    /// Every invoice, oldest first.
    fn export_invoices(&self) -> Result<Vec<Invoice>, StoreError>;
    /// Every idempotency record, by key.
    fn export_idempotency(&self) -> Result<Vec<IdempotencyRecord>, StoreError>;
    /// Every audit entry, oldest first.
    fn export_audit(&self) -> Result<Vec<AuditEntry>, StoreError>;
    /// Every provider cursor, by name.
    fn export_cursors(&self) -> Result<Vec<CursorUpdate>, StoreError>;
}

fn prefixed<'a, S: OrderedKv>(s: &'a S, prefix: &[u8]) -> super::scan::KvIter<'a, S::Bytes> {
    s.range(prefix.to_vec(), keys::prefix_end(prefix))
}

macro_rules! export_via_scans {
    ($store:ty) => {
        impl Export for $store {
            fn export_invoices(&self) -> Result<Vec<Invoice>, StoreError> {
                read_all(self, keys::INVOICE, |k, v| invoice_at(k, v))
            }
            fn export_idempotency(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
                read_all(self, keys::IDEMPOTENCY, |k, v| idempotency_at(k, v))
            }
            fn export_audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
                read_all(self, keys::AUDIT, |k, v| audit_at(k, v))
            }
            fn export_cursors(&self) -> Result<Vec<CursorUpdate>, StoreError> {
                read_all(self, keys::CURSOR, cursor_at)
            }
        }
    };
}

export_via_scans!(super::SledStore);
export_via_scans!(super::FjallStore);

fn read_all<S: OrderedKv, T>(
    s: &S,
    prefix: &[u8],
    decode: impl Fn(&[u8], &[u8]) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    prefixed(s, prefix)
        .map(|item| {
            let (k, v) = item?;
            decode(k.as_ref(), v.as_ref())
        })
        .collect()
}

fn cursor_at(k: &[u8], v: &[u8]) -> Result<CursorUpdate, StoreError> {
    let (value, anchor) =
        keys::parse_cursor(v).ok_or_else(|| super::records::corrupt(k, "not a cursor value"))?;
    Ok(CursorUpdate {
        name: String::from_utf8_lossy(&k[keys::CURSOR.len()..]).into_owned(),
        value,
        anchor,
    })
}

/// Row count and SHA-256 of a copied table (or tree), each row as its
/// fields' bytes, length-prefixed: what a copy is verified by.
#[derive(Default)]
pub struct Checksum {
    rows: u64,
    hash: Sha256,
}

impl Checksum {
    pub fn add(&mut self, fields: &[&[u8]]) {
        self.rows += 1;
        for f in fields {
            self.hash.update((f.len() as u32).to_be_bytes());
            self.hash.update(f);
        }
    }

    pub fn finish(self) -> (u64, String) {
        (self.rows, hex::encode(self.hash.finalize()))
    }
}
