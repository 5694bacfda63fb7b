//! [`Store`] on PostgreSQL: each write one transaction (see `mod.rs` for
//! how sequences stay gap-free across instances).

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use super::publish::CHANNEL;
use super::reads::{invoice_row, status_code};
use super::{int, pg_error, PgStore};
use crate::domain::{AuditEntry, Event, EventKind, Invoice};
use crate::store::records::{self, EventRecord};
use crate::store::transition::{apply, not_applied};
use crate::store::{
    AuditCursor, AuditQuery, CursorUpdate, Due, IdempotencyRecord, Inserted, ListQuery, Pruned,
    Store, StoreError, StoreHealth, Tail, Transition, Transitioned,
};

type Tx<'a> = deadpool_postgres::Transaction<'a>;

async fn insert_audit(tx: &Tx<'_>, e: &AuditEntry) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO lnpayd_audit (at_ms, invoice_id, provider, record) VALUES ($1, $2, $3, $4)",
        &[
            &int(e.at_ms),
            &e.invoice_id,
            &e.provider,
            &records::encode_audit(e),
        ],
    )
    .await
    .map_err(pg_error)?;
    Ok(())
}

async fn upsert_cursor(tx: &Tx<'_>, c: &CursorUpdate) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO lnpayd_cursors (name, value, anchor) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, anchor = excluded.anchor",
        &[&c.name, &(c.value as i64), &c.anchor],
    )
    .await
    .map_err(pg_error)?;
    Ok(())
}

/// Appends the event, then commits. The sequence is taken last, under the
/// row lock that orders appending commits, and the notification is
/// delivered with the commit.
async fn append_and_commit(
    tx: Tx<'_>,
    kind: EventKind,
    at_ms: u64,
    invoice: &Invoice,
) -> Result<Event, StoreError> {
    let seq: i64 = tx
        .query_one(
            "UPDATE lnpayd_seq SET last = last + 1 WHERE id = 1 RETURNING last",
            &[],
        )
        .await
        .map_err(pg_error)?
        .get(0);
    let event = Event {
        sequence: seq as u64,
        kind,
        occurred_at_ms: at_ms,
        invoice: invoice.clone(),
    };
    tx.execute(
        "INSERT INTO lnpayd_events (seq, invoice_id, record) VALUES ($1, $2, $3)",
        &[
            &seq,
            &invoice.id,
            &records::encode_event(&EventRecord::of(&event)),
        ],
    )
    .await
    .map_err(pg_error)?;
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &seq.to_string()])
        .await
        .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(event)
}

impl PgStore {
    async fn insert(
        &self,
        invoice: &Invoice,
        idempotency: Option<&IdempotencyRecord>,
        audit: &[AuditEntry],
    ) -> Result<Inserted, StoreError> {
        let mut client = self.client().await?;
        let tx = self.begin(&mut client).await?;
        if let Some(rec) = idempotency {
            // Waits for a concurrent insert of the same key to end; then
            // either this one wrote it or the other's is there to read.
            let wrote = tx
                .execute(
                    "INSERT INTO lnpayd_idempotency (key, created_at_ms, record) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO NOTHING",
                    &[&rec.key, &int(rec.created_at_ms), &records::encode_idempotency(rec)],
                )
                .await
                .map_err(pg_error)?;
            if wrote == 0 {
                let row = tx
                    .query_one(
                        "SELECT record FROM lnpayd_idempotency WHERE key = $1",
                        &[&rec.key],
                    )
                    .await
                    .map_err(pg_error)?;
                let existing =
                    records::decode_idempotency(rec.key.as_bytes(), &rec.key, row.get(0))?;
                return Ok(Inserted::KeyTaken(existing));
            }
        }
        let wrote = tx
            .execute(
                "INSERT INTO lnpayd_invoices \
                 (id, payment_hash, status, created_at_ms, expires_at_ms, external_ref, record) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[
                    &invoice.id,
                    &invoice.payment_hash,
                    &status_code(invoice.status),
                    &int(invoice.created_at_ms),
                    &int(invoice.expires_at_ms),
                    &invoice.external_ref,
                    &records::encode_invoice(invoice),
                ],
            )
            .await
            .map_err(pg_error)?;
        if wrote == 0 {
            // Rolled back with the idempotency record.
            return Err(StoreError::DuplicatePaymentHash(
                invoice.payment_hash.clone(),
            ));
        }
        for entry in audit {
            insert_audit(&tx, entry).await?;
        }
        let event = append_and_commit(
            tx,
            EventKind::InvoiceCreated,
            invoice.created_at_ms,
            invoice,
        )
        .await?;
        self.publisher.committed_here(&event);
        Ok(Inserted::New(Box::new(event)))
    }

    async fn change(
        &self,
        invoice_id: &str,
        change: Transition,
        cursor: Option<&CursorUpdate>,
        audit: &AuditEntry,
    ) -> Result<Transitioned, StoreError> {
        let mut client = self.client().await?;
        let tx = self.begin(&mut client).await?;
        let row = tx
            .query_opt(
                "SELECT id, record FROM lnpayd_invoices WHERE id = $1 FOR UPDATE",
                &[&invoice_id],
            )
            .await
            .map_err(pg_error)?;
        let Some(row) = row else {
            return Err(StoreError::Corrupt {
                key: invoice_id.to_string(),
                detail: "transition on an invoice that is not stored".into(),
            });
        };
        let mut inv = invoice_row(&row, 0)?;
        if let Some(c) = cursor {
            upsert_cursor(&tx, c).await?;
        }
        let Some(kind) = apply(&mut inv, change) else {
            tx.commit().await.map_err(pg_error)?;
            return Ok(not_applied(inv, change));
        };
        tx.execute(
            "UPDATE lnpayd_invoices SET status = $2, record = $3 WHERE id = $1",
            &[
                &invoice_id,
                &status_code(inv.status),
                &records::encode_invoice(&inv),
            ],
        )
        .await
        .map_err(pg_error)?;
        insert_audit(&tx, audit).await?;
        let event = append_and_commit(tx, kind, inv.updated_at_ms, &inv).await?;
        self.publisher.committed_here(&event);
        Ok(Transitioned::Applied(event))
    }

    async fn prune_async(
        &self,
        keys_before_ms: u64,
        audit_before_ms: u64,
    ) -> Result<Pruned, StoreError> {
        let mut client = self.client().await?;
        let tx = self.begin(&mut client).await?;
        let keys = tx
            .execute(
                "DELETE FROM lnpayd_idempotency WHERE created_at_ms < $1",
                &[&int(keys_before_ms)],
            )
            .await
            .map_err(pg_error)?;
        let audit = tx
            .execute(
                "DELETE FROM lnpayd_audit WHERE at_ms < $1",
                &[&int(audit_before_ms)],
            )
            .await
            .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        Ok(Pruned {
            idempotency_keys: keys as usize,
            audit_entries: audit as usize,
        })
    }
}

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
        self.block(self.due(after, until_ms, limit))
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
