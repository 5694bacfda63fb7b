//! The webhook tables' records and the multi-statement writes behind
//! `webhooks.rs`.

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_postgres::types::ToSql;

use super::reads::Filter;
use super::{int, pg_error, PgStore};
use crate::store::webhooks::{Attempt, Delivery, DeliveryQuery, DeliveryState, EndpointHealth};
use crate::store::StoreError;

type Tx<'a> = deadpool_postgres::Transaction<'a>;

pub(super) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("store records always serialise")
}

pub(super) fn decode<T: DeserializeOwned>(what: &str, v: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(v).map_err(|e| StoreError::Corrupt {
        key: what.to_string(),
        detail: e.to_string(),
    })
}

pub(super) fn state_code(s: DeliveryState) -> i16 {
    match s {
        DeliveryState::Pending => 0,
        DeliveryState::Delivered => 1,
        DeliveryState::Failed => 2,
    }
}

/// A delivery page position: endpoint id, 0, sequence big-endian (as sled's key).
fn page_key(endpoint_id: &str, seq: u64) -> Vec<u8> {
    let mut k = endpoint_id.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn parse_page_key(k: &[u8]) -> Option<(String, i64)> {
    let (rest, seq) = k.split_last_chunk::<8>()?;
    let id = rest.strip_suffix(&[0])?;
    Some((
        String::from_utf8(id.to_vec()).ok()?,
        u64::from_be_bytes(*seq) as i64,
    ))
}

pub(super) async fn put_delivery(tx: &Tx<'_>, d: &Delivery) -> Result<(), StoreError> {
    // Only a pending delivery is in the retry index (a partial index).
    let next = match d.state {
        DeliveryState::Pending => d.next_attempt_at_ms.map(int),
        _ => None,
    };
    tx.execute(
        "INSERT INTO lnpayd_webhook_deliveries \
         (endpoint_id, seq, invoice_id, state, next_attempt_at_ms, updated_at_ms, record) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (endpoint_id, seq) DO UPDATE SET \
         state = excluded.state, next_attempt_at_ms = excluded.next_attempt_at_ms, \
         updated_at_ms = excluded.updated_at_ms, record = excluded.record",
        &[
            &d.endpoint_id,
            &(d.sequence as i64),
            &d.invoice_id,
            &state_code(d.state),
            &next,
            &int(d.updated_at_ms),
            &encode(d),
        ],
    )
    .await
    .map_err(pg_error)?;
    Ok(())
}

impl PgStore {
    pub(super) async fn one<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        what: &str,
    ) -> Result<Option<T>, StoreError> {
        let row = self
            .client()
            .await?
            .query_opt(sql, params)
            .await
            .map_err(pg_error)?;
        row.map(|r| decode(what, r.get(0))).transpose()
    }

    /// One fenced write transaction running `sql` with `params`; rows changed.
    pub(super) async fn write_one(
        &self,
        statements: &[(&str, &[&(dyn ToSql + Sync)])],
    ) -> Result<Vec<u64>, StoreError> {
        let mut client = self.client().await?;
        let tx = self.begin(&mut client).await?;
        let mut out = Vec::with_capacity(statements.len());
        for (sql, params) in statements {
            out.push(tx.execute(*sql, params).await.map_err(pg_error)?);
        }
        tx.commit().await.map_err(pg_error)?;
        Ok(out)
    }

    pub(super) async fn record_attempt_async(
        &self,
        d: &Delivery,
        a: &Attempt,
    ) -> Result<EndpointHealth, StoreError> {
        let mut client = self.client().await?;
        let tx = self.begin(&mut client).await?;
        put_delivery(&tx, d).await?;
        tx.execute(
            "INSERT INTO lnpayd_webhook_attempts (endpoint_id, seq, number, at_ms, record) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (endpoint_id, seq, number) \
             DO UPDATE SET at_ms = excluded.at_ms, record = excluded.record",
            &[
                &d.endpoint_id,
                &(d.sequence as i64),
                &(a.number as i32),
                &int(a.at_ms),
                &encode(a),
            ],
        )
        .await
        .map_err(pg_error)?;
        let before: EndpointHealth = match tx
            .query_opt(
                "SELECT record FROM lnpayd_webhook_health WHERE id = $1 FOR UPDATE",
                &[&d.endpoint_id],
            )
            .await
            .map_err(pg_error)?
        {
            Some(r) => decode(&d.endpoint_id, r.get(0))?,
            None => EndpointHealth::default(),
        };
        let health = before.after(a);
        if health != before {
            tx.execute(
                "INSERT INTO lnpayd_webhook_health (id, record) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET record = excluded.record",
                &[&d.endpoint_id, &encode(&health)],
            )
            .await
            .map_err(pg_error)?;
        }
        tx.commit().await.map_err(pg_error)?;
        Ok(health)
    }

    pub(super) async fn reschedule_async(
        &self,
        endpoint_id: &str,
        sequences: &[u64],
        at_ms: u64,
    ) -> Result<usize, StoreError> {
        let mut client = self.client().await?;
        let tx = self.begin(&mut client).await?;
        let mut n = 0;
        for &seq in sequences {
            let row = tx
                .query_opt(
                    "SELECT record FROM lnpayd_webhook_deliveries \
                     WHERE endpoint_id = $1 AND seq = $2 FOR UPDATE",
                    &[&endpoint_id, &(seq as i64)],
                )
                .await
                .map_err(pg_error)?;
            let Some(row) = row else { continue };
            let mut d: Delivery = decode(endpoint_id, row.get(0))?;
            d.state = DeliveryState::Pending;
            d.scheduled_attempts = 0;
            d.next_attempt_at_ms = Some(at_ms);
            d.updated_at_ms = at_ms;
            put_delivery(&tx, &d).await?;
            n += 1;
        }
        tx.commit().await.map_err(pg_error)?;
        Ok(n)
    }

    pub(super) async fn deliveries_async(
        &self,
        q: &DeliveryQuery,
    ) -> Result<(Vec<Delivery>, Option<Vec<u8>>), StoreError> {
        let seq = q.sequence.map(|s| s as i64);
        let state = q.state.map(state_code);
        let before = match &q.before {
            Some(k) => Some(parse_page_key(k).ok_or_else(|| StoreError::Corrupt {
                key: String::from_utf8_lossy(k).into_owned(),
                detail: "not a delivery page position of this store".into(),
            })?),
            None => None,
        };
        let mut f = Filter::default();
        if let Some(id) = &q.endpoint_id {
            f.add("endpoint_id = ?", id);
        }
        if let Some(s) = &seq {
            f.add("seq = ?", s);
        }
        if let Some(i) = &q.invoice_id {
            f.add("invoice_id = ?", i);
        }
        if let Some(s) = &state {
            f.add("state = ?", s);
        }
        if let Some((id, s)) = &before {
            f.add2("(endpoint_id, seq) < (?, ?)", id, s);
        }
        let filter = f.sql();
        let sql = format!(
            "SELECT record FROM lnpayd_webhook_deliveries {filter} \
             ORDER BY endpoint_id DESC, seq DESC LIMIT {}",
            (q.limit.min(i64::MAX as usize - 1) as i64 + 1)
        );
        let rows = self
            .client()
            .await?
            .query(&sql, &f.params)
            .await
            .map_err(pg_error)?;
        let mut out: Vec<Delivery> = rows
            .iter()
            .map(|r| decode("delivery", r.get(0)))
            .collect::<Result<_, _>>()?;
        let next = (out.len() > q.limit).then(|| {
            out.truncate(q.limit);
            out.last()
                .map(|l| page_key(&l.endpoint_id, l.sequence))
                .unwrap_or_default()
        });
        Ok((out, next))
    }
}
