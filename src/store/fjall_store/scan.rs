//! The range scans behind listing, the due index and the audit log: the
//! sled store's (`sled_store/scan.rs`), over fjall's ranges.

use super::FjallStore;
use crate::domain::{AuditEntry, Invoice, InvoiceStatus};
use crate::store::sled_store::codec::{audit_at, invoice_at};
use crate::store::{keys, AuditCursor, AuditQuery, Due, ListQuery, Store, StoreError};

/// Audit keys, newest first, each with its value when the scan read it.
type AuditKeys<'a> =
    Box<dyn Iterator<Item = Result<(Vec<u8>, Option<fjall::Slice>), StoreError>> + 'a>;

impl FjallStore {
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
            let inv = invoice_at(&k, &v)?;
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
                self.wrote(self.tree.remove(&*k).map_err(StoreError::from))?;
                continue;
            }
            out.push(due);
        }
        Ok(out)
    }

    /// Newest first. With an invoice or a provider the page is read through
    /// that index (the invoice's when both are given: it holds a handful of
    /// entries), so a page costs the page however rare the match.
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
        let keys: AuditKeys<'_> = match &index {
            Some(prefix) => {
                // The audit key's tail after the index's prefix; the
                // end of the whole log is the end of the index's part.
                let at = |k: &[u8]| match k.strip_prefix(keys::AUDIT) {
                    Some(tail) => keys::join(prefix, tail),
                    None => keys::prefix_end(prefix),
                };
                let n = prefix.len();
                Box::new(
                    self.tree
                        .range(at(&lower)..at(&upper))
                        .rev()
                        .map(move |item| {
                            let (k, _) = item?;
                            Ok((keys::audit_key_of_index(n, &k), None))
                        }),
                )
            }
            None => Box::new(self.tree.range(lower..upper).rev().map(|item| {
                let (k, v) = item?;
                Ok((k.to_vec(), Some(v)))
            })),
        };
        let mut out = Vec::with_capacity(q.limit.min(1024));
        for item in keys {
            let (k, v) = item?;
            let v = match v {
                Some(v) => v,
                // Pruned between the index read and this one.
                None => match self.get(&k)? {
                    Some(v) => v,
                    None => continue,
                },
            };
            let e = audit_at(&k, &v)?;
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
}
