//! The writes of [`Store`](crate::store::Store) on PostgreSQL, each one
//! transaction (see `mod.rs` for how sequences stay gap-free across instances).

use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::publish::CHANNEL;
use super::reads::{invoice_row, status_code};
use super::{int, pg_error, PgStore};
use crate::domain::{AuditEntry, Event, EventKind, Invoice};
use crate::store::records::{self, EventRecord};
use crate::store::transition::{apply, not_applied};
use crate::store::{
    CursorUpdate, IdempotencyRecord, Inserted, Pruned, StoreError, Transition, Transitioned,
};

pub(super) type Tx<'a> = deadpool_postgres::Transaction<'a>;
type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

// The write path's statements, each prepared once per connection.

async fn exec(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> Result<u64, tokio_postgres::Error> {
    tx.execute(&tx.prepare_cached(sql).await?, params).await
}

async fn one(tx: &Tx<'_>, sql: &str, params: Params<'_>) -> Result<Row, tokio_postgres::Error> {
    tx.query_one(&tx.prepare_cached(sql).await?, params).await
}

async fn opt(
    tx: &Tx<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>, tokio_postgres::Error> {
    tx.query_opt(&tx.prepare_cached(sql).await?, params).await
}

pub(super) async fn insert_audit(tx: &Tx<'_>, e: &AuditEntry) -> Result<(), StoreError> {
    exec(
        tx,
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

pub(super) async fn upsert_cursor(tx: &Tx<'_>, c: &CursorUpdate) -> Result<(), StoreError> {
    exec(
        tx,
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
    let seq: i64 = one(
        &tx,
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
    exec(
        &tx,
        "INSERT INTO lnpayd_events (seq, invoice_id, record) VALUES ($1, $2, $3)",
        &[
            &seq,
            &invoice.id,
            &records::encode_event(&EventRecord::of(&event)),
        ],
    )
    .await
    .map_err(pg_error)?;
    exec(
        &tx,
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &seq.to_string()],
    )
    .await
    .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(event)
}

impl PgStore {
    pub(super) async fn insert(
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
            let wrote = exec(
                &tx,
                "INSERT INTO lnpayd_idempotency (key, created_at_ms, record) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO NOTHING",
                &[
                    &rec.key,
                    &int(rec.created_at_ms),
                    &records::encode_idempotency(rec),
                ],
            )
            .await
            .map_err(pg_error)?;
            if wrote == 0 {
                let row = one(
                    &tx,
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
        let wrote = exec(
            &tx,
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

    pub(super) async fn change(
        &self,
        invoice_id: &str,
        change: Transition,
        cursor: Option<&CursorUpdate>,
        audit: &AuditEntry,
    ) -> Result<Transitioned, StoreError> {
        let mut client = self.client().await?;
        let tx = self.begin(&mut client).await?;
        let row = opt(
            &tx,
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
        exec(
            &tx,
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

    pub(super) async fn prune_async(
        &self,
        keys_before_ms: u64,
        audit_before_ms: u64,
    ) -> Result<Pruned, StoreError> {
        let mut client = self.client().await?;
        let tx = self.begin(&mut client).await?;
        let keys = exec(
            &tx,
            "DELETE FROM lnpayd_idempotency WHERE created_at_ms < $1",
            &[&int(keys_before_ms)],
        )
        .await
        .map_err(pg_error)?;
        let audit = exec(
            &tx,
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
