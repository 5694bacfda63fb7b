//! Webhooks are not stored by the fjall backend yet: it has no endpoint, and
//! creating one is refused with a reason, rather than accepted and lost.
//! Everything else answers as a store without endpoints would.

use super::FjallStore;
use crate::store::webhooks::{
    Attempt, Delivery, DeliveryQuery, EndpointHealth, PrunedDeliveries, WebhookEndpoint,
    WebhookStore,
};
use crate::store::StoreError;

fn unsupported() -> StoreError {
    StoreError::Config(
        "webhook endpoints need backend = \"sled\" or \"postgres\"; the fjall backend does not \
         store them yet"
            .into(),
    )
}

impl WebhookStore for FjallStore {
    fn create_endpoint(&self, _: &WebhookEndpoint, _: u64) -> Result<(), StoreError> {
        Err(unsupported())
    }
    fn update_endpoint(&self, _: &WebhookEndpoint) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn endpoint(&self, _: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
        Ok(None)
    }
    fn endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        Ok(Vec::new())
    }
    fn delete_endpoint(&self, _: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn endpoint_health(&self, _: &str) -> Result<EndpointHealth, StoreError> {
        Err(unsupported())
    }
    fn webhook_cursor(&self, _: &str) -> Result<u64, StoreError> {
        Err(unsupported())
    }
    fn ingest(&self, _: &str, _: &[Delivery], _: u64) -> Result<(), StoreError> {
        Err(unsupported())
    }
    fn due(&self, _: &str, _: usize) -> Result<Vec<(u64, u64)>, StoreError> {
        Ok(Vec::new())
    }
    fn delivery(&self, _: &str, _: u64) -> Result<Option<Delivery>, StoreError> {
        Ok(None)
    }
    fn record_attempt(&self, _: &Delivery, _: &Attempt) -> Result<EndpointHealth, StoreError> {
        Err(unsupported())
    }
    fn reschedule(&self, _: &str, _: &[u64], _: u64) -> Result<usize, StoreError> {
        Ok(0)
    }
    fn deliveries(
        &self,
        _: &DeliveryQuery,
    ) -> Result<(Vec<Delivery>, Option<Vec<u8>>), StoreError> {
        Ok((Vec::new(), None))
    }
    fn attempts(&self, _: &str, _: u64) -> Result<Vec<Attempt>, StoreError> {
        Ok(Vec::new())
    }
    fn prune_webhooks(&self, _: u64) -> Result<PrunedDeliveries, StoreError> {
        Ok(PrunedDeliveries::default())
    }
}
