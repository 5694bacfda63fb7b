//! [`WebhookStore`] on PostgreSQL: the same JSON records as sled's tree,
//! with the retry index as a partial index on pending deliveries.

use super::webhook_writes::{decode, encode, put_delivery};
use super::{int, pg_error, PgStore};
use crate::store::webhooks::{
    Attempt, Delivery, DeliveryQuery, EndpointHealth, PrunedDeliveries, WebhookEndpoint,
    WebhookStore,
};
use crate::store::StoreError;

impl WebhookStore for PgStore {
    fn create_endpoint(&self, ep: &WebhookEndpoint, cursor: u64) -> Result<(), StoreError> {
        let (record, cursor) = (encode(ep), cursor as i64);
        self.block(self.write_one(&[
            (
                "INSERT INTO lnpayd_webhook_endpoints (id, record) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET record = excluded.record",
                &[&ep.id, &record],
            ),
            (
                "INSERT INTO lnpayd_webhook_cursors (id, value) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET value = excluded.value",
                &[&ep.id, &cursor],
            ),
        ]))
        .map(drop)
    }

    fn update_endpoint(&self, ep: &WebhookEndpoint) -> Result<bool, StoreError> {
        let record = encode(ep);
        let n = self.block(self.write_one(&[(
            "UPDATE lnpayd_webhook_endpoints SET record = $2 WHERE id = $1",
            &[&ep.id, &record],
        )]))?;
        Ok(n[0] > 0)
    }

    fn endpoint(&self, id: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.block(self.one(
            "SELECT record FROM lnpayd_webhook_endpoints WHERE id = $1",
            &[&id],
            id,
        ))
    }

    fn endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT id, record FROM lnpayd_webhook_endpoints ORDER BY id",
                    &[],
                )
                .await
                .map_err(pg_error)?;
            rows.iter()
                .map(|r| decode(r.get::<_, &str>(0), r.get(1)))
                .collect()
        })
    }

    fn delete_endpoint(&self, id: &str) -> Result<bool, StoreError> {
        let n = self.block(self.write_one(&[
            ("DELETE FROM lnpayd_webhook_endpoints WHERE id = $1", &[&id]),
            ("DELETE FROM lnpayd_webhook_health WHERE id = $1", &[&id]),
            ("DELETE FROM lnpayd_webhook_cursors WHERE id = $1", &[&id]),
            (
                "DELETE FROM lnpayd_webhook_deliveries WHERE endpoint_id = $1",
                &[&id],
            ),
            (
                "DELETE FROM lnpayd_webhook_attempts WHERE endpoint_id = $1",
                &[&id],
            ),
        ]))?;
        Ok(n[0] > 0)
    }

    fn endpoint_health(&self, id: &str) -> Result<EndpointHealth, StoreError> {
        Ok(self
            .block(self.one(
                "SELECT record FROM lnpayd_webhook_health WHERE id = $1",
                &[&id],
                id,
            ))?
            .unwrap_or_default())
    }

    fn webhook_cursor(&self, id: &str) -> Result<u64, StoreError> {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_opt(
                    "SELECT value FROM lnpayd_webhook_cursors WHERE id = $1",
                    &[&id],
                )
                .await
                .map_err(pg_error)?;
            Ok(row.map_or(0, |r| r.get::<_, i64>(0) as u64))
        })
    }

    fn ingest(&self, endpoint_id: &str, new: &[Delivery], cursor: u64) -> Result<(), StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = self.begin(&mut client).await?;
            for d in new {
                let exists = tx
                    .query_opt(
                        "SELECT 1 FROM lnpayd_webhook_deliveries WHERE endpoint_id = $1 AND seq = $2",
                        &[&endpoint_id, &(d.sequence as i64)],
                    )
                    .await
                    .map_err(pg_error)?;
                if exists.is_none() {
                    put_delivery(&tx, d).await?;
                }
            }
            tx.execute(
                "INSERT INTO lnpayd_webhook_cursors (id, value) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET value = excluded.value",
                &[&endpoint_id, &(cursor as i64)],
            )
            .await
            .map_err(pg_error)?;
            tx.commit().await.map_err(pg_error)
        })
    }

    fn due(&self, endpoint_id: &str, limit: usize) -> Result<Vec<(u64, u64)>, StoreError> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT next_attempt_at_ms, seq FROM lnpayd_webhook_deliveries \
                     WHERE endpoint_id = $1 AND state = 0 AND next_attempt_at_ms IS NOT NULL \
                     ORDER BY next_attempt_at_ms, seq LIMIT $2",
                    &[&endpoint_id, &(limit.min(i64::MAX as usize) as i64)],
                )
                .await
                .map_err(pg_error)?;
            Ok(rows
                .iter()
                .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
                .collect())
        })
    }

    fn delivery(&self, endpoint_id: &str, sequence: u64) -> Result<Option<Delivery>, StoreError> {
        self.block(self.one(
            "SELECT record FROM lnpayd_webhook_deliveries WHERE endpoint_id = $1 AND seq = $2",
            &[&endpoint_id, &(sequence as i64)],
            endpoint_id,
        ))
    }

    fn record_attempt(&self, d: &Delivery, a: &Attempt) -> Result<EndpointHealth, StoreError> {
        self.block(self.record_attempt_async(d, a))
    }

    fn reschedule(
        &self,
        endpoint_id: &str,
        sequences: &[u64],
        at_ms: u64,
    ) -> Result<usize, StoreError> {
        self.block(self.reschedule_async(endpoint_id, sequences, at_ms))
    }

    fn deliveries(
        &self,
        query: &DeliveryQuery,
    ) -> Result<(Vec<Delivery>, Option<Vec<u8>>), StoreError> {
        self.block(self.deliveries_async(query))
    }

    fn attempts(&self, endpoint_id: &str, sequence: u64) -> Result<Vec<Attempt>, StoreError> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT record FROM lnpayd_webhook_attempts \
                     WHERE endpoint_id = $1 AND seq = $2 ORDER BY number",
                    &[&endpoint_id, &(sequence as i64)],
                )
                .await
                .map_err(pg_error)?;
            rows.iter().map(|r| decode(endpoint_id, r.get(0))).collect()
        })
    }

    fn prune_webhooks(&self, before_ms: u64) -> Result<PrunedDeliveries, StoreError> {
        let before = int(before_ms);
        let n = self.block(self.write_one(&[
            (
                "DELETE FROM lnpayd_webhook_deliveries WHERE state <> 0 AND updated_at_ms < $1",
                &[&before],
            ),
            (
                "DELETE FROM lnpayd_webhook_attempts WHERE at_ms < $1",
                &[&before],
            ),
        ]))?;
        Ok(PrunedDeliveries {
            deliveries: n[0] as usize,
            attempts: n[1] as usize,
        })
    }
}
