//! Intents (`app/intent.rs`): a create in flight, stored under `t/<id>` as
//! the invoice it will become, so that a crash between the provider's answer
//! and the invoice's write leaves something that names its payment hash.

use super::FjallStore;
use crate::domain::{AuditEntry, Event, Invoice};
use crate::store::{keys, records, IdempotencyRecord, StoreError};

impl FjallStore {
    pub(super) fn put_intent_impl(
        &self,
        intent: &Invoice,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        // Under the append lock, like an insert (`claim_key`).
        let _last = self.lock();
        let mut batch = self.batch();
        if let Some(held) = self.claim_key(&mut batch, idempotency)? {
            return Ok(Some(held));
        }
        batch.insert(
            &self.tree,
            keys::join(keys::INTENT, intent.id.as_bytes()),
            records::encode_invoice(intent),
        );
        self.wrote(batch.commit().map_err(StoreError::from))?;
        Ok(None)
    }

    pub(super) fn complete_intent_impl(
        &self,
        invoice: &Invoice,
        audit: &[AuditEntry],
    ) -> Result<Event, StoreError> {
        let mut last = self.lock();
        let mut batch = self.batch();
        batch.remove(&self.tree, keys::join(keys::INTENT, invoice.id.as_bytes()));
        self.insert_locked(batch, &mut last, invoice, audit)
    }

    pub(super) fn drop_intent_impl(
        &self,
        id: &str,
        audit: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let _last = self.lock();
        let key = keys::join(keys::INTENT, id.as_bytes());
        let Some(intent) = self.get(&key)? else {
            return Ok(());
        };
        let intent = intent_at(&key, &intent)?;
        let mut batch = self.batch();
        batch.remove(&self.tree, key);
        if let Some(k) = &intent.idempotency_key {
            batch.remove(&self.tree, keys::join(keys::IDEMPOTENCY, k.as_bytes()));
        }
        for entry in audit {
            self.add_audit(&mut batch, entry);
        }
        self.wrote(batch.commit().map_err(StoreError::from))
    }

    pub(super) fn intents_impl(&self) -> Result<Vec<Invoice>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.prefix(keys::INTENT) {
            let (k, v) = item?;
            out.push(intent_at(&k, &v)?);
        }
        // Ids begin with their creation time: key order is age order.
        Ok(out)
    }

    pub(super) fn intent_impl(&self, id: &str) -> Result<Option<Invoice>, StoreError> {
        let key = keys::join(keys::INTENT, id.as_bytes());
        self.get(&key)?.map(|v| intent_at(&key, &v)).transpose()
    }
}

fn intent_at(key: &[u8], v: &[u8]) -> Result<Invoice, StoreError> {
    let id = std::str::from_utf8(&key[keys::INTENT.len()..])
        .map_err(|_| records::corrupt(key, "intent id is not UTF-8"))?;
    records::decode_invoice(key, id, v)
}
