//! Reads: events, listing, the due index and the audit log, each through an
//! index of its own (`schema.rs`).

use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::{int, pg_error, PgStore};
use crate::domain::{AuditEntry, Event, Invoice, InvoiceStatus};
use crate::store::records::{self, StoredEvent};
use crate::store::{AuditCursor, AuditQuery, Due, ListQuery, StoreError};

pub fn status_code(s: InvoiceStatus) -> i16 {
    match s {
        InvoiceStatus::Pending => 0,
        InvoiceStatus::Paid => 1,
        InvoiceStatus::Expired => 2,
        InvoiceStatus::Canceled => 3,
    }
}

/// The invoice in a row whose first two columns are id and record.
pub fn invoice_row(row: &Row, at: usize) -> Result<Invoice, StoreError> {
    let id: &str = row.get(at);
    let record: &[u8] = row.get(at + 1);
    records::decode_invoice(id.as_bytes(), id, record)
}

/// The floor of ids created at or after `ms` (ids are `inv_` + UUIDv7 hex).
fn id_floor(ms: u64) -> String {
    format!("inv_{:012x}", ms.min((1 << 48) - 1))
}

/// An audit page position: the entry's time and id, big-endian.
fn audit_cursor(at_ms: i64, id: i64) -> AuditCursor {
    let mut k = at_ms.to_be_bytes().to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    AuditCursor(k)
}

fn parse_audit_cursor(c: &AuditCursor) -> Option<(i64, i64)> {
    let (at, id) = c.0.split_first_chunk::<8>()?;
    Some((
        i64::from_be_bytes(*at),
        i64::from_be_bytes(id.try_into().ok()?),
    ))
}

/// Builds `WHERE a AND b …` with numbered parameters.
#[derive(Default)]
pub struct Filter<'a> {
    clauses: Vec<String>,
    pub params: Vec<&'a (dyn ToSql + Sync)>,
}

impl<'a> Filter<'a> {
    pub fn add(&mut self, clause: &str, param: &'a (dyn ToSql + Sync)) {
        self.params.push(param);
        self.clauses
            .push(clause.replace('?', &format!("${}", self.params.len())));
    }

    /// A clause with two `?`, for a row comparison.
    pub fn add2(
        &mut self,
        clause: &str,
        first: &'a (dyn ToSql + Sync),
        second: &'a (dyn ToSql + Sync),
    ) {
        self.params.push(first);
        self.params.push(second);
        let n = self.params.len();
        self.clauses
            .push(clause.replacen('?', &format!("${}", n - 1), 1).replacen(
                '?',
                &format!("${n}"),
                1,
            ));
    }

    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

impl PgStore {
    /// Committed events after `after`, up to `upto` when given, oldest first.
    pub(super) async fn read_events(
        &self,
        after: u64,
        upto: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT e.seq, e.record, i.id, i.record FROM lnpayd_events e \
                 JOIN lnpayd_invoices i ON i.id = e.invoice_id \
                 WHERE e.seq > $1 AND e.seq <= $2 ORDER BY e.seq LIMIT $3",
            )
            .await
            .map_err(pg_error)?;
        let rows = client
            .query(
                &statement,
                &[
                    &int(after),
                    &int(upto.unwrap_or(u64::MAX)),
                    &(limit.min(i64::MAX as usize) as i64),
                ],
            )
            .await
            .map_err(pg_error)?;
        rows.iter()
            .map(|row| {
                let seq = row.get::<_, i64>(0) as u64;
                let key = format!("event {seq}");
                match records::decode_event(key.as_bytes(), seq, row.get(1))? {
                    StoredEvent::Full(e) => Ok(*e),
                    StoredEvent::Delta(rec) => Ok(rec.rebuild(invoice_row(row, 2)?)),
                }
            })
            .collect()
    }

    pub(super) async fn invoice_where(
        &self,
        clause: &str,
        param: &(dyn ToSql + Sync),
    ) -> Result<Option<Invoice>, StoreError> {
        let sql = format!("SELECT id, record FROM lnpayd_invoices WHERE {clause}");
        let client = self.client().await?;
        let statement = client.prepare_cached(&sql).await.map_err(pg_error)?;
        let row = client
            .query_opt(&statement, &[param])
            .await
            .map_err(pg_error)?;
        row.map(|r| invoice_row(&r, 0)).transpose()
    }

    pub(super) async fn list(&self, q: &ListQuery) -> Result<(Vec<Invoice>, bool), StoreError> {
        let lower = id_floor(q.created_after_ms.unwrap_or(0));
        let upper = q.created_before_ms.map(id_floor);
        let status = q.status.map(status_code);
        let limit = q.limit.min(i64::MAX as usize - 1) as i64 + 1;
        let mut f = Filter::default();
        f.add("id >= ?", &lower);
        if let Some(u) = &upper {
            f.add("id < ?", u);
        }
        if let Some(id) = &q.before_id {
            f.add("id < ?", id);
        }
        if let Some(s) = &status {
            f.add("status = ?", s);
        }
        let sql = format!(
            "SELECT id, record FROM lnpayd_invoices {} ORDER BY id DESC LIMIT {limit}",
            f.sql()
        );
        let rows = self
            .client()
            .await?
            .query(&sql, &f.params)
            .await
            .map_err(pg_error)?;
        let more = rows.len() > q.limit;
        let out = rows
            .iter()
            .take(q.limit)
            .map(|r| invoice_row(r, 0))
            .collect::<Result<_, _>>()?;
        Ok((out, more))
    }

    pub(super) async fn due_index(
        &self,
        after: Option<&Due>,
        until_ms: u64,
        limit: usize,
    ) -> Result<Vec<Due>, StoreError> {
        let until = int(until_ms);
        let (at, id) = match after {
            Some(d) => (int(d.expires_at_ms), d.invoice_id.clone()),
            // Before every (time, id): no id sorts below "".
            None => (i64::MIN, String::new()),
        };
        let rows = self
            .client()
            .await?
            .query(
                "SELECT expires_at_ms, id FROM lnpayd_invoices \
                 WHERE status = 0 AND (expires_at_ms, id) > ($1, $2) AND expires_at_ms <= $3 \
                 ORDER BY expires_at_ms, id LIMIT $4",
                &[&at, &id, &until, &(limit.min(i64::MAX as usize) as i64)],
            )
            .await
            .map_err(pg_error)?;
        Ok(rows
            .iter()
            .map(|r| Due {
                expires_at_ms: r.get::<_, i64>(0) as u64,
                invoice_id: r.get(1),
            })
            .collect())
    }

    pub(super) async fn audit(
        &self,
        q: &AuditQuery,
    ) -> Result<(Vec<(AuditCursor, AuditEntry)>, bool), StoreError> {
        let since = int(q.since_ms.unwrap_or(0));
        let until = q.until_ms.map(int);
        let before = match &q.before {
            Some(c) => Some(parse_audit_cursor(c).ok_or_else(|| {
                records::corrupt(&c.0, "not an audit page position of this store")
            })?),
            None => None,
        };
        let (before_at, before_id) = before.unzip();
        let mut f = Filter::default();
        f.add("at_ms >= ?", &since);
        if let Some(u) = &until {
            f.add("at_ms < ?", u);
        }
        if let (Some(at), Some(id)) = (&before_at, &before_id) {
            f.add2("(at_ms, id) < (?, ?)", at, id);
        }
        if let Some(id) = &q.invoice_id {
            f.add("invoice_id = ?", id);
        }
        if let Some(p) = &q.provider {
            f.add("provider = ?", p);
        }
        let sql = format!(
            "SELECT at_ms, id, record FROM lnpayd_audit {} ORDER BY at_ms DESC, id DESC LIMIT {}",
            f.sql(),
            (q.limit.min(i64::MAX as usize - 1) as i64 + 1)
        );
        let rows = self
            .client()
            .await?
            .query(&sql, &f.params)
            .await
            .map_err(pg_error)?;
        let more = rows.len() > q.limit;
        let out = rows
            .iter()
            .take(q.limit)
            .map(|r| {
                let (at, id): (i64, i64) = (r.get(0), r.get(1));
                let cursor = audit_cursor(at, id);
                let e = records::decode_audit(&cursor.0, at as u64, r.get(2))?;
                Ok((cursor, e))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok((out, more))
    }
}
