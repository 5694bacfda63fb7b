//! [`Store`] on PostgreSQL: the trait, over `writes.rs` and `reads.rs`.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use super::reads::invoice_row;
use super::writes::{insert_audit, upsert_cursor};
use super::{pg_error, PgStore};
use crate::domain::{AuditEntry, Event, Invoice};
use crate::store::records;
use crate::store::{
    AuditCursor, AuditQuery, CursorUpdate, Due, IdempotencyRecord, Inserted, ListQuery, Pruned,
    Store, StoreError, StoreHealth, Tail, Transition, Transitioned,
};

#[async_trait]
impl Store for PgStore {
    fn insert_invoice(
        &self,
        invoice: &Invoice,
        idempotency: Option<&IdempotencyRecord>,
        audit: &[AuditEntry],
    ) -> Result<Inserted, StoreError> {
        self.block(self.insert(invoice, idempotency, audit))
    }

    fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_opt(
                    "SELECT record FROM lnpayd_idempotency WHERE key = $1",
                    &[&key],
                )
                .await
                .map_err(pg_error)?;
            row.map(|r| records::decode_idempotency(key.as_bytes(), key, r.get(0)))
                .transpose()
        })
    }

    fn invoice(&self, id: &str) -> Result<Option<Invoice>, StoreError> {
        self.block(self.invoice_where("id = $1", &id))
    }

    fn invoice_by_hash(&self, payment_hash: &str) -> Result<Option<Invoice>, StoreError> {
        self.block(self.invoice_where("payment_hash = $1", &payment_hash))
    }

    fn invoice_by_external_ref(&self, external_ref: &str) -> Result<Option<Invoice>, StoreError> {
        self.block(self.invoice_where("external_ref = $1 ORDER BY id DESC LIMIT 1", &external_ref))
    }

    fn list_invoices(&self, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
        self.block(self.list(q))
    }

    fn pending_invoices(&self) -> Result<Vec<Invoice>, StoreError> {
        self.block(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT id, record FROM lnpayd_invoices WHERE status = 0 ORDER BY id",
                    &[],
                )
                .await
                .map_err(pg_error)?;
            rows.iter().map(|r| invoice_row(r, 0)).collect()
        })
    }

    fn pending_due(
        &self,
        after: Option<&Due>,
        until_ms: u64,
        limit: usize,
    ) -> Result<Vec<Due>, StoreError> {
        self.block(self.due_index(after, until_ms, limit))
    }

    fn transition(
        &self,
        invoice_id: &str,
        change: Transition,
        cursor: Option<&CursorUpdate>,
        audit: &AuditEntry,
    ) -> Result<Transitioned, StoreError> {
        self.block(self.change(invoice_id, change, cursor, audit))
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<Event>, StoreError> {
        let durable = self.publisher.published();
        if after >= durable {
            return Ok(Vec::new());
        }
        self.block(self.read_events(after, Some(durable), limit))
    }

    fn durable_sequence(&self) -> watch::Receiver<u64> {
        self.publisher.durable()
    }

    fn tail(&self) -> Arc<Tail> {
        self.publisher.tail()
    }

    fn cursor(&self, name: &str) -> Result<Option<CursorUpdate>, StoreError> {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_opt(
                    "SELECT value, anchor FROM lnpayd_cursors WHERE name = $1",
                    &[&name],
                )
                .await
                .map_err(pg_error)?;
            Ok(row.map(|r| CursorUpdate {
                name: name.into(),
                value: r.get::<_, i64>(0) as u64,
                anchor: r.get(1),
            }))
        })
    }

    fn set_cursor(&self, update: &CursorUpdate) -> Result<(), StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = self.begin(&mut client).await?;
            upsert_cursor(&tx, update).await?;
            tx.commit().await.map_err(pg_error)
        })
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = self.begin(&mut client).await?;
            for e in entries {
                insert_audit(&tx, e).await?;
            }
            tx.commit().await.map_err(pg_error)
        })
    }

    fn audit_page(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool), StoreError> {
        self.block(self.audit(q))
    }

    fn prune(&self, keys_before_ms: u64, audit_before_ms: u64) -> Result<Pruned, StoreError> {
        self.block(self.prune_async(keys_before_ms, audit_before_ms))
    }

    /// Every write is durable at its commit; this publishes this
    /// instance's events committed so far, with any other instance's
    /// before them that the listener has not read yet.
    async fn sync(&self) -> Result<(), StoreError> {
        self.publisher.release(None);
        self.publisher.advance();
        if self.publisher.contiguous().1 {
            let read = self.catch_up().await;
            self.observed(read)?;
        }
        Ok(())
    }

    fn size_on_disk(&self) -> u64 {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_one("SELECT pg_database_size(current_database())", &[])
                .await
                .map_err(pg_error)?;
            Ok(row.get::<_, i64>(0) as u64)
        })
        .unwrap_or(0)
    }

    fn health(&self) -> watch::Receiver<StoreHealth> {
        self.health.subscribe()
    }
}
