//! The range scans behind listing, the due index and the audit log.

use super::codec::decode;
use super::SledStore;
use crate::domain::{AuditEntry, Invoice, InvoiceStatus};
use crate::store::{keys, AuditCursor, AuditQuery, Due, ListQuery, Store, StoreError};

impl SledStore {
    pub(super) fn scan_list(&self, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
        match q.status {
            Some(status) => self.scan_list_by_status(q, status),
            None => self.scan_list_all(q),
        }
    }

    /// Through the status index: a page costs the page, however rare the status.
    fn scan_list_by_status(
        &self,
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
        for item in self.tree.range(lower..upper).rev() {
            let (k, _) = item?;
            let id = String::from_utf8_lossy(&k[prefix.len()..]);
            // An entry an older release left behind when it changed the status.
            let Some(inv) = self.invoice(&id)?.filter(|i| i.status == status) else {
                continue;
            };
            if out.len() == q.limit {
                return Ok((out, true));
            }
            out.push(inv);
        }
        Ok((out, false))
    }

    fn scan_list_all(&self, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
        let mut upper = keys::prefix_end(keys::INVOICE);
        if let Some(before) = q.created_before_ms {
            upper = upper.min(keys::invoice_id_floor(before));
        }
        if let Some(id) = &q.before_id {
            upper = upper.min(keys::join(keys::INVOICE, id.as_bytes()));
        }
        let lower = keys::invoice_id_floor(q.created_after_ms.unwrap_or(0));
        let mut out = Vec::with_capacity(q.limit.min(512));
        for item in self.tree.range(lower..upper).rev() {
            let (k, v) = item?;
            let inv: Invoice = decode(&k, &v)?;
            if out.len() == q.limit {
                return Ok((out, true));
            }
            out.push(inv);
        }
        Ok((out, false))
    }

    pub(super) fn scan_due(
        &self,
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
        for item in self.tree.range(lower..upper) {
            if out.len() == limit {
                break;
            }
            let (k, _) = item?;
            let Some(due) = keys::parse_due(&k) else {
                return Err(StoreError::Corrupt {
                    key: String::from_utf8_lossy(&k).into_owned(),
                    detail: "not a due-index key".into(),
                });
            };
            // An older release that ran on this data dir in between moved
            // invoices out of PENDING without knowing this index: drop strays.
            if !self
                .tree
                .contains_key(keys::join(keys::PENDING, due.invoice_id.as_bytes()))?
            {
                self.wrote(self.tree.remove(&k).map_err(StoreError::from))?;
                continue;
            }
            out.push(due);
        }
        Ok(out)
    }

    pub(super) fn scan_audit(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool), StoreError> {
        let lower = keys::audit(q.since_ms.unwrap_or(0), 0);
        let mut upper = q
            .until_ms
            .map_or_else(|| keys::prefix_end(keys::AUDIT), |ms| keys::audit(ms, 0));
        if let Some(AuditCursor(before)) = &q.before {
            upper = upper.min(before.clone());
        }
        let mut out = Vec::with_capacity(q.limit.min(1024));
        for item in self.tree.range(lower..upper).rev() {
            let (k, v) = item?;
            let e: AuditEntry = decode(&k, &v)?;
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
            out.push((AuditCursor(k.to_vec()), e));
        }
        Ok((out, false))
    }
}
