//! The fjall implementation of [`WebhookStore`]: the sled store's layout and
//! records (`sled_webhooks.rs`) in a partition of their own. Writes that
//! read first hold the webhook lock and apply one batch; the group commit
//! that makes events durable makes these durable too (one journal).

use super::FjallStore;
use crate::store::keys::join;
use crate::store::sled_webhooks::{
    attempt_key, decode, delivery_key, encode, retry_key, scoped, ATTEMPT, CURSOR, DELIVERY,
    ENDPOINT, HEALTH, RETRY,
};
use crate::store::webhooks::{
    Attempt, Delivery, DeliveryQuery, DeliveryState, EndpointHealth, PrunedDeliveries,
    WebhookEndpoint, WebhookStore,
};
use crate::store::StoreError;

impl FjallStore {
    fn hook_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.hooks_lock.lock().expect("webhook lock poisoned")
    }

    fn hook<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        self.hooks.get(key)?.map(|v| decode(key, &v)).transpose()
    }

    fn unindex(&self, batch: &mut fjall::Batch, d: &Delivery) {
        if let Some(at) = d.next_attempt_at_ms {
            batch.remove(&self.hooks, retry_key(&d.endpoint_id, at, d.sequence));
        }
    }

    fn index(&self, batch: &mut fjall::Batch, d: &Delivery) {
        if let (DeliveryState::Pending, Some(at)) = (d.state, d.next_attempt_at_ms) {
            batch.insert(&self.hooks, retry_key(&d.endpoint_id, at, d.sequence), []);
        }
    }

    fn apply(&self, batch: fjall::Batch) -> Result<(), StoreError> {
        self.wrote(batch.commit().map_err(StoreError::from))
    }

    fn hook_keys(&self, prefix: &[u8]) -> Result<Vec<fjall::Slice>, StoreError> {
        let keys: Result<Vec<_>, _> = self
            .hooks
            .prefix(prefix)
            .map(|kv| kv.map(|(k, _)| k))
            .collect();
        Ok(keys?)
    }
}

impl crate::store::hook_reads::HookKv for FjallStore {
    type Bytes = fjall::Slice;

    fn hook_get(&self, key: &[u8]) -> Result<Option<fjall::Slice>, StoreError> {
        Ok(self.hooks.get(key)?)
    }

    fn hook_range(
        &self,
        lower: Vec<u8>,
        upper: Vec<u8>,
    ) -> Result<crate::store::scan::KvIter<'_, fjall::Slice>, StoreError> {
        let range = self.hooks.range(lower..upper);
        Ok(Box::new(range.map(|r| r.map_err(StoreError::from))))
    }
}

impl WebhookStore for FjallStore {
    fn create_endpoint(&self, ep: &WebhookEndpoint, cursor: u64) -> Result<(), StoreError> {
        let mut batch = self.batch();
        batch.insert(&self.hooks, join(ENDPOINT, ep.id.as_bytes()), encode(ep));
        batch.insert(
            &self.hooks,
            join(CURSOR, ep.id.as_bytes()),
            cursor.to_be_bytes(),
        );
        self.apply(batch)
    }

    fn update_endpoint(&self, ep: &WebhookEndpoint) -> Result<bool, StoreError> {
        let _lock = self.hook_lock();
        let key = join(ENDPOINT, ep.id.as_bytes());
        if !self.hooks.contains_key(&key)? {
            return Ok(false);
        }
        self.wrote(self.hooks.insert(key, encode(ep)).map_err(StoreError::from))?;
        Ok(true)
    }

    fn endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
        crate::store::hook_reads::endpoint(self, id)
    }

    fn endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        crate::store::hook_reads::endpoints(self)
    }

    fn delete_endpoint(&self, id: &str) -> Result<bool, StoreError> {
        let _lock = self.hook_lock();
        let key = join(ENDPOINT, id.as_bytes());
        let existed = self.hooks.contains_key(&key)?;
        let mut batch = self.batch();
        batch.remove(&self.hooks, key);
        batch.remove(&self.hooks, join(HEALTH, id.as_bytes()));
        batch.remove(&self.hooks, join(CURSOR, id.as_bytes()));
        for prefix in [DELIVERY, RETRY, ATTEMPT] {
            for k in self.hook_keys(&scoped(prefix, id))? {
                batch.remove(&self.hooks, k);
            }
        }
        self.apply(batch)?;
        Ok(existed)
    }

    fn endpoint_health(&self, id: &str) -> Result<EndpointHealth, StoreError> {
        crate::store::hook_reads::endpoint_health(self, id)
    }

    fn webhook_cursor(&self, id: &str) -> Result<u64, StoreError> {
        crate::store::hook_reads::webhook_cursor(self, id)
    }

    fn ingest(&self, endpoint_id: &str, new: &[Delivery], cursor: u64) -> Result<(), StoreError> {
        let _lock = self.hook_lock();
        let mut batch = self.batch();
        for d in new {
            let key = delivery_key(endpoint_id, d.sequence);
            if self.hooks.contains_key(&key)? {
                continue;
            }
            batch.insert(&self.hooks, key, encode(d));
            self.index(&mut batch, d);
        }
        batch.insert(
            &self.hooks,
            join(CURSOR, endpoint_id.as_bytes()),
            cursor.to_be_bytes(),
        );
        self.apply(batch)
    }

    fn due(&self, endpoint_id: &str, limit: usize) -> Result<Vec<(u64, u64)>, StoreError> {
        crate::store::hook_reads::due(self, endpoint_id, limit)
    }

    fn delivery(&self, endpoint_id: &str, sequence: u64) -> Result<Option<Delivery>, StoreError> {
        crate::store::hook_reads::delivery(self, endpoint_id, sequence)
    }

    fn record_attempt(&self, d: &Delivery, a: &Attempt) -> Result<EndpointHealth, StoreError> {
        let _lock = self.hook_lock();
        let key = delivery_key(&d.endpoint_id, d.sequence);
        let health_key = join(HEALTH, d.endpoint_id.as_bytes());
        let mut batch = self.batch();
        if let Some(old) = self.hook::<Delivery>(&key)? {
            self.unindex(&mut batch, &old);
        }
        batch.insert(&self.hooks, key, encode(d));
        self.index(&mut batch, d);
        batch.insert(
            &self.hooks,
            attempt_key(&d.endpoint_id, d.sequence, a.number),
            encode(a),
        );
        let before: EndpointHealth = self.hook(&health_key)?.unwrap_or_default();
        let health = before.after(a);
        if health != before {
            batch.insert(&self.hooks, health_key, encode(&health));
        }
        self.apply(batch)?;
        Ok(health)
    }

    fn reschedule(
        &self,
        endpoint_id: &str,
        sequences: &[u64],
        at_ms: u64,
    ) -> Result<usize, StoreError> {
        let _lock = self.hook_lock();
        let mut batch = self.batch();
        let mut n = 0;
        for &seq in sequences {
            let key = delivery_key(endpoint_id, seq);
            let Some(mut d) = self.hook::<Delivery>(&key)? else {
                continue;
            };
            self.unindex(&mut batch, &d);
            d.state = DeliveryState::Pending;
            d.scheduled_attempts = 0;
            d.next_attempt_at_ms = Some(at_ms);
            d.updated_at_ms = at_ms;
            batch.insert(&self.hooks, key, encode(&d));
            self.index(&mut batch, &d);
            n += 1;
        }
        self.apply(batch)?;
        Ok(n)
    }

    fn deliveries(
        &self,
        q: &DeliveryQuery,
    ) -> Result<(Vec<Delivery>, Option<Vec<u8>>), StoreError> {
        crate::store::hook_reads::deliveries(self, q)
    }

    fn attempts(&self, endpoint_id: &str, sequence: u64) -> Result<Vec<Attempt>, StoreError> {
        crate::store::hook_reads::attempts(self, endpoint_id, sequence)
    }

    fn prune_webhooks(&self, before_ms: u64) -> Result<PrunedDeliveries, StoreError> {
        let _lock = self.hook_lock();
        let mut pruned = PrunedDeliveries::default();
        let mut batch = self.batch();
        for item in self.hooks.prefix(DELIVERY) {
            let (k, v) = item?;
            let d: Delivery = decode(&k, &v)?;
            if d.state != DeliveryState::Pending && d.updated_at_ms < before_ms {
                batch.remove(&self.hooks, k);
                pruned.deliveries += 1;
            }
        }
        for item in self.hooks.prefix(ATTEMPT) {
            let (k, v) = item?;
            let a: Attempt = decode(&k, &v)?;
            if a.at_ms < before_ms {
                batch.remove(&self.hooks, k);
                pruned.attempts += 1;
            }
        }
        self.apply(batch)?;
        Ok(pruned)
    }
}
