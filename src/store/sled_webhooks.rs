//! The sled implementation of [`WebhookStore`], in a tree of its own in the
//! same database: the same group commit makes it durable, and no webhook
//! write ever waits on the append lock of the event log.
//!
//! | prefix | key                               | value            |
//! |--------|-----------------------------------|------------------|
//! | `e/`   | endpoint id                       | WebhookEndpoint  |
//! | `h/`   | endpoint id                       | EndpointHealth   |
//! | `c/`   | endpoint id                       | u64 big-endian   |
//! | `d/`   | endpoint id, 0, sequence BE       | Delivery         |
//! | `r/`   | endpoint id, 0, due ms BE, seq BE | empty            |
//! | `a/`   | endpoint id, 0, seq BE, number BE | Attempt          |

use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::keys::join;
use super::webhooks::{
    Attempt, Delivery, DeliveryQuery, DeliveryState, EndpointHealth, PrunedDeliveries,
    WebhookEndpoint, WebhookStore,
};
use super::{SledStore, StoreError};

pub(super) const TREE: &str = "lnpayd_webhooks_v1";
pub(super) const ENDPOINT: &[u8] = b"e/";
pub(super) const HEALTH: &[u8] = b"h/";
pub(super) const CURSOR: &[u8] = b"c/";
pub(super) const DELIVERY: &[u8] = b"d/";
pub(super) const RETRY: &[u8] = b"r/";
pub(super) const ATTEMPT: &[u8] = b"a/";

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// `prefix`, the endpoint id and the 0 that ends it.
pub(super) fn scoped(prefix: &[u8], id: &str) -> Vec<u8> {
    let mut k = join(prefix, id.as_bytes());
    k.push(0);
    k
}

pub(super) fn delivery_key(id: &str, seq: u64) -> Vec<u8> {
    let mut k = scoped(DELIVERY, id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub(super) fn retry_key(id: &str, at_ms: u64, seq: u64) -> Vec<u8> {
    let mut k = scoped(RETRY, id);
    k.extend_from_slice(&at_ms.to_be_bytes());
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub(super) fn attempt_key(id: &str, seq: u64, number: u32) -> Vec<u8> {
    let mut k = scoped(ATTEMPT, id);
    k.extend_from_slice(&seq.to_be_bytes());
    k.extend_from_slice(&number.to_be_bytes());
    k
}

pub(super) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("store records always serialise")
}

pub(super) fn decode<T: DeserializeOwned>(key: &[u8], v: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(v).map_err(|e| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        detail: e.to_string(),
    })
}

fn tx_json<T: DeserializeOwned>(tx: &TransactionalTree, key: &[u8]) -> TxResult<Option<T>> {
    match tx.get(key)? {
        Some(v) => decode(key, &v)
            .map(Some)
            .map_err(ConflictableTransactionError::Abort),
        None => Ok(None),
    }
}

fn unwrap_tx(e: sled::transaction::TransactionError<StoreError>) -> StoreError {
    match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

/// Removes a pending delivery's index entry, if it has one.
fn tx_unindex(tx: &TransactionalTree, d: &Delivery) -> TxResult<()> {
    if let Some(at) = d.next_attempt_at_ms {
        tx.remove(retry_key(&d.endpoint_id, at, d.sequence))?;
    }
    Ok(())
}

fn tx_index(tx: &TransactionalTree, d: &Delivery) -> TxResult<()> {
    if let (DeliveryState::Pending, Some(at)) = (d.state, d.next_attempt_at_ms) {
        tx.insert(retry_key(&d.endpoint_id, at, d.sequence), &[][..])?;
    }
    Ok(())
}

impl SledStore {
    fn webhooks(&self) -> Result<sled::Tree, StoreError> {
        // sled hands back the open tree; this is a map lookup, not an open.
        Ok(self.db().open_tree(TREE)?)
    }

    fn remove_prefix(tree: &sled::Tree, prefix: &[u8]) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for item in tree.scan_prefix(prefix) {
            batch.remove(item?.0);
            n += 1;
        }
        tree.apply_batch(batch)?;
        Ok(n)
    }
}

impl super::hook_reads::HookKv for SledStore {
    type Bytes = sled::IVec;

    fn hook_get(&self, key: &[u8]) -> Result<Option<sled::IVec>, StoreError> {
        Ok(self.webhooks()?.get(key)?)
    }

    fn hook_range(
        &self,
        lower: Vec<u8>,
        upper: Vec<u8>,
    ) -> Result<super::scan::KvIter<'_, sled::IVec>, StoreError> {
        let range = self.webhooks()?.range(lower..upper);
        Ok(Box::new(range.map(|r| r.map_err(StoreError::from))))
    }
}

impl WebhookStore for SledStore {
    fn create_endpoint(&self, ep: &WebhookEndpoint, cursor: u64) -> Result<(), StoreError> {
        let tree = self.webhooks()?;
        tree.transaction(|tx| {
            tx.insert(join(ENDPOINT, ep.id.as_bytes()), encode(ep))?;
            tx.insert(join(CURSOR, ep.id.as_bytes()), &cursor.to_be_bytes())?;
            Ok(())
        })
        .map_err(unwrap_tx)
    }

    fn update_endpoint(&self, ep: &WebhookEndpoint) -> Result<bool, StoreError> {
        let tree = self.webhooks()?;
        let key = join(ENDPOINT, ep.id.as_bytes());
        tree.transaction(|tx| {
            if tx.get(&key)?.is_none() {
                return Ok(false);
            }
            tx.insert(key.as_slice(), encode(ep))?;
            Ok(true)
        })
        .map_err(unwrap_tx)
    }

    fn endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
        super::hook_reads::endpoint(self, id)
    }

    fn endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        super::hook_reads::endpoints(self)
    }

    fn delete_endpoint(&self, id: &str) -> Result<bool, StoreError> {
        let tree = self.webhooks()?;
        let existed = tree.remove(join(ENDPOINT, id.as_bytes()))?.is_some();
        tree.remove(join(HEALTH, id.as_bytes()))?;
        tree.remove(join(CURSOR, id.as_bytes()))?;
        for prefix in [DELIVERY, RETRY, ATTEMPT] {
            Self::remove_prefix(&tree, &scoped(prefix, id))?;
        }
        Ok(existed)
    }

    fn endpoint_health(&self, id: &str) -> Result<EndpointHealth, StoreError> {
        super::hook_reads::endpoint_health(self, id)
    }

    fn webhook_cursor(&self, id: &str) -> Result<u64, StoreError> {
        super::hook_reads::webhook_cursor(self, id)
    }

    fn ingest(&self, endpoint_id: &str, new: &[Delivery], cursor: u64) -> Result<(), StoreError> {
        let tree = self.webhooks()?;
        tree.transaction(|tx| {
            for d in new {
                let key = delivery_key(endpoint_id, d.sequence);
                if tx.get(&key)?.is_some() {
                    continue;
                }
                tx.insert(key, encode(d))?;
                tx_index(tx, d)?;
            }
            tx.insert(join(CURSOR, endpoint_id.as_bytes()), &cursor.to_be_bytes())?;
            Ok(())
        })
        .map_err(unwrap_tx)
    }

    fn due(&self, endpoint_id: &str, limit: usize) -> Result<Vec<(u64, u64)>, StoreError> {
        super::hook_reads::due(self, endpoint_id, limit)
    }

    fn delivery(&self, endpoint_id: &str, sequence: u64) -> Result<Option<Delivery>, StoreError> {
        super::hook_reads::delivery(self, endpoint_id, sequence)
    }

    fn record_attempt(&self, d: &Delivery, a: &Attempt) -> Result<EndpointHealth, StoreError> {
        let tree = self.webhooks()?;
        let key = delivery_key(&d.endpoint_id, d.sequence);
        let health_key = join(HEALTH, d.endpoint_id.as_bytes());
        tree.transaction(|tx| {
            if let Some(old) = tx_json::<Delivery>(tx, &key)? {
                tx_unindex(tx, &old)?;
            }
            tx.insert(key.as_slice(), encode(d))?;
            tx_index(tx, d)?;
            tx.insert(attempt_key(&d.endpoint_id, d.sequence, a.number), encode(a))?;
            let before: EndpointHealth = tx_json(tx, &health_key)?.unwrap_or_default();
            let health = before.after(a);
            if health != before {
                tx.insert(health_key.as_slice(), encode(&health))?;
            }
            Ok(health)
        })
        .map_err(unwrap_tx)
    }

    fn reschedule(
        &self,
        endpoint_id: &str,
        sequences: &[u64],
        at_ms: u64,
    ) -> Result<usize, StoreError> {
        let tree = self.webhooks()?;
        tree.transaction(|tx| {
            let mut n = 0;
            for &seq in sequences {
                let key = delivery_key(endpoint_id, seq);
                let Some(mut d) = tx_json::<Delivery>(tx, &key)? else {
                    continue;
                };
                tx_unindex(tx, &d)?;
                d.state = DeliveryState::Pending;
                d.scheduled_attempts = 0;
                d.next_attempt_at_ms = Some(at_ms);
                d.updated_at_ms = at_ms;
                tx.insert(key, encode(&d))?;
                tx_index(tx, &d)?;
                n += 1;
            }
            Ok(n)
        })
        .map_err(unwrap_tx)
    }

    fn deliveries(
        &self,
        q: &DeliveryQuery,
    ) -> Result<(Vec<Delivery>, Option<Vec<u8>>), StoreError> {
        super::hook_reads::deliveries(self, q)
    }

    fn attempts(&self, endpoint_id: &str, sequence: u64) -> Result<Vec<Attempt>, StoreError> {
        super::hook_reads::attempts(self, endpoint_id, sequence)
    }

    fn prune_webhooks(&self, before_ms: u64) -> Result<PrunedDeliveries, StoreError> {
        let tree = self.webhooks()?;
        let mut pruned = PrunedDeliveries::default();
        let mut batch = sled::Batch::default();
        for item in tree.scan_prefix(DELIVERY) {
            let (k, v) = item?;
            let d: Delivery = decode(&k, &v)?;
            if d.state != DeliveryState::Pending && d.updated_at_ms < before_ms {
                batch.remove(k);
                pruned.deliveries += 1;
            }
        }
        for item in tree.scan_prefix(ATTEMPT) {
            let (k, v) = item?;
            let a: Attempt = decode(&k, &v)?;
            if a.at_ms < before_ms {
                batch.remove(k);
                pruned.attempts += 1;
            }
        }
        tree.apply_batch(batch)?;
        Ok(pruned)
    }
}

#[cfg(test)]
#[path = "sled_webhooks_tests.rs"]
pub(crate) mod tests;
