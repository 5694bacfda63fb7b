//! The write path an invoice takes into the tree, shared by inserts and
//! by intents (`intents.rs`): the idempotency key's claim, then the
//! invoice's keys and its event, under the append lock.

use fjall::Batch;

use super::FjallStore;
use crate::domain::{AuditEntry, Event, EventKind, Invoice};
use crate::store::sled_store::codec::idempotency_at;
use crate::store::{keys, records, IdempotencyRecord, StoreError};

impl FjallStore {
    /// Adds the idempotency record to `batch`, unless its key is taken:
    /// then the record holding it. The caller holds the append lock, so
    /// the check still holds when the batch applies.
    pub(super) fn claim_key(
        &self,
        batch: &mut Batch,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let Some(rec) = idempotency else {
            return Ok(None);
        };
        let key = keys::join(keys::IDEMPOTENCY, rec.key.as_bytes());
        if let Some(v) = self.get(&key)? {
            return Ok(Some(idempotency_at(&key, &v)?));
        }
        batch.insert(&self.tree, key, records::encode_idempotency(rec));
        Ok(None)
    }

    /// An invoice's keys and its INVOICE_CREATED event, added to `batch`
    /// and committed; the caller holds the append lock (`last`).
    pub(super) fn insert_locked(
        &self,
        mut batch: Batch,
        last: &mut u64,
        invoice: &Invoice,
        audit: &[AuditEntry],
    ) -> Result<Event, StoreError> {
        let hash_key = keys::join(keys::HASH, invoice.payment_hash.as_bytes());
        if self.tree.contains_key(&hash_key)? {
            return Err(StoreError::DuplicatePaymentHash(
                invoice.payment_hash.clone(),
            ));
        }
        let id = invoice.id.as_bytes();
        batch.insert(&self.tree, hash_key, id);
        batch.insert(
            &self.tree,
            keys::join(keys::INVOICE, id),
            records::encode_invoice(invoice),
        );
        batch.insert(&self.tree, keys::join(keys::PENDING, id), []);
        batch.insert(
            &self.tree,
            keys::due(invoice.expires_at_ms, &invoice.id),
            [],
        );
        batch.insert(&self.tree, keys::status(invoice.status, &invoice.id), []);
        if let Some(r) = &invoice.external_ref {
            batch.insert(&self.tree, keys::external_ref(r, &invoice.id), []);
        }
        for entry in audit {
            self.add_audit(&mut batch, entry);
        }
        let event = self.add_event(
            &mut batch,
            last,
            EventKind::InvoiceCreated,
            invoice.created_at_ms,
            invoice,
        );
        self.commit_event(batch, last, &event)?;
        Ok(event)
    }
}
