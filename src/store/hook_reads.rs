//! The webhook store's reads over either embedded engine: both keep the
//! layout of `sled_webhooks.rs` in a tree (a partition) of its own, so
//! they differ in how they write it, not in how they read it.

use super::keys::{join, prefix_end, u64_value};
use super::scan::KvIter;
use super::sled_webhooks::{
    decode, delivery_key, scoped, ATTEMPT, CURSOR, DELIVERY, ENDPOINT, HEALTH, RETRY,
};
use super::webhooks::{Attempt, Delivery, DeliveryQuery, EndpointHealth, WebhookEndpoint};
use super::StoreError;

/// What the reads need from an engine's webhook tree.
pub(super) trait HookKv {
    type Bytes: AsRef<[u8]>;
    fn hook_get(&self, key: &[u8]) -> Result<Option<Self::Bytes>, StoreError>;
    /// Keys in `[lower, upper)` with their values, in key order.
    fn hook_range(
        &self,
        lower: Vec<u8>,
        upper: Vec<u8>,
    ) -> Result<KvIter<'_, Self::Bytes>, StoreError>;
}

fn get<S: HookKv, T: serde::de::DeserializeOwned>(
    s: &S,
    key: &[u8],
) -> Result<Option<T>, StoreError> {
    s.hook_get(key)?
        .map(|v| decode(key, v.as_ref()))
        .transpose()
}

fn all_under<S: HookKv, T: serde::de::DeserializeOwned>(
    s: &S,
    prefix: &[u8],
) -> Result<Vec<T>, StoreError> {
    s.hook_range(prefix.to_vec(), prefix_end(prefix))?
        .map(|item| {
            let (k, v) = item?;
            decode(k.as_ref(), v.as_ref())
        })
        .collect()
}

pub(super) fn endpoint<S: HookKv>(s: &S, id: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
    get(s, &join(ENDPOINT, id.as_bytes()))
}

pub(super) fn endpoints<S: HookKv>(s: &S) -> Result<Vec<WebhookEndpoint>, StoreError> {
    all_under(s, ENDPOINT)
}

pub(super) fn endpoint_health<S: HookKv>(s: &S, id: &str) -> Result<EndpointHealth, StoreError> {
    Ok(get(s, &join(HEALTH, id.as_bytes()))?.unwrap_or_default())
}

pub(super) fn webhook_cursor<S: HookKv>(s: &S, id: &str) -> Result<u64, StoreError> {
    Ok(s.hook_get(&join(CURSOR, id.as_bytes()))?
        .and_then(|v| u64_value(v.as_ref()))
        .unwrap_or(0))
}

pub(super) fn delivery<S: HookKv>(
    s: &S,
    endpoint_id: &str,
    sequence: u64,
) -> Result<Option<Delivery>, StoreError> {
    get(s, &delivery_key(endpoint_id, sequence))
}

pub(super) fn attempts<S: HookKv>(
    s: &S,
    endpoint_id: &str,
    sequence: u64,
) -> Result<Vec<Attempt>, StoreError> {
    let mut prefix = scoped(ATTEMPT, endpoint_id);
    prefix.extend_from_slice(&sequence.to_be_bytes());
    all_under(s, &prefix)
}

/// The endpoint's retry index, soonest first: (due at, sequence).
pub(super) fn due<S: HookKv>(
    s: &S,
    endpoint_id: &str,
    limit: usize,
) -> Result<Vec<(u64, u64)>, StoreError> {
    let prefix = scoped(RETRY, endpoint_id);
    let mut out = Vec::new();
    for item in s
        .hook_range(prefix.clone(), prefix_end(&prefix))?
        .take(limit)
    {
        let (k, _) = item?;
        let k = k.as_ref();
        let rest = &k[prefix.len()..];
        match (
            u64_value(&rest[..8.min(rest.len())]),
            rest.get(8..).and_then(u64_value),
        ) {
            (Some(at), Some(seq)) => out.push((at, seq)),
            _ => {
                return Err(StoreError::Corrupt {
                    key: String::from_utf8_lossy(k).into_owned(),
                    detail: "retry index key of the wrong length".into(),
                })
            }
        }
    }
    Ok(out)
}

/// A page of deliveries, newest first, and the key to continue before.
pub(super) fn deliveries<S: HookKv>(
    s: &S,
    q: &DeliveryQuery,
) -> Result<(Vec<Delivery>, Option<Vec<u8>>), StoreError> {
    let (lower, mut upper) = match (&q.endpoint_id, q.sequence) {
        (Some(id), Some(seq)) => (delivery_key(id, seq), delivery_key(id, seq + 1)),
        (Some(id), None) => (scoped(DELIVERY, id), prefix_end(&scoped(DELIVERY, id))),
        (None, _) => (DELIVERY.to_vec(), prefix_end(DELIVERY)),
    };
    if let Some(before) = &q.before {
        upper = upper.min(before.clone());
    }
    let mut out = Vec::new();
    for item in s.hook_range(lower, upper)?.rev() {
        let (k, v) = item?;
        let d: Delivery = decode(k.as_ref(), v.as_ref())?;
        if q.sequence.is_some_and(|s| s != d.sequence)
            || q.invoice_id.as_ref().is_some_and(|i| *i != d.invoice_id)
            || q.state.is_some_and(|s| s != d.state)
        {
            continue;
        }
        if out.len() == q.limit {
            let next = out
                .last()
                .map(|l: &Delivery| delivery_key(&l.endpoint_id, l.sequence));
            return Ok((out, next));
        }
        out.push(d);
    }
    Ok((out, None))
}
