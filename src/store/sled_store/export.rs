//! Whole-store reads for `lnpayd migrate` (sled to PostgreSQL), in key order.

use super::codec::{audit_at, idempotency_at, invoice_at};
use super::SledStore;
use crate::domain::{AuditEntry, Invoice};
use crate::store::{keys, CursorUpdate, IdempotencyRecord, StoreError};

impl SledStore {
    /// Every invoice, oldest first.
    pub fn export_invoices(&self) -> Result<Vec<Invoice>, StoreError> {
        self.tree
            .scan_prefix(keys::INVOICE)
            .map(|item| {
                let (k, v) = item?;
                invoice_at(&k, &v)
            })
            .collect()
    }

    /// Every idempotency record, by key.
    pub fn export_idempotency(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
        self.tree
            .scan_prefix(keys::IDEMPOTENCY)
            .map(|item| {
                let (k, v) = item?;
                idempotency_at(&k, &v)
            })
            .collect()
    }

    /// Every audit entry, oldest first.
    pub fn export_audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.tree
            .scan_prefix(keys::AUDIT)
            .map(|item| {
                let (k, v) = item?;
                audit_at(&k, &v)
            })
            .collect()
    }

    /// Every provider cursor, by name.
    pub fn export_cursors(&self) -> Result<Vec<CursorUpdate>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(keys::CURSOR) {
            let (k, v) = item?;
            let (value, anchor) = keys::parse_cursor(&v)
                .ok_or_else(|| crate::store::records::corrupt(&k, "not a cursor value"))?;
            out.push(CursorUpdate {
                name: String::from_utf8_lossy(&k[keys::CURSOR.len()..]).into_owned(),
                value,
                anchor,
            });
        }
        Ok(out)
    }
}
