//! What `lnpayd migrate` reads from the source store (sled or fjall): per
//! table, the rows to insert and the fields its checksum covers, in the order
//! verification reads them.

use tokio_postgres::types::ToSql;

use super::int;
use super::reads::status_code;
use super::webhook_writes::{encode, state_code};
use crate::store::records::{self, EventRecord};
use crate::store::webhooks::{DeliveryQuery, DeliveryState, EndpointHealth};
use crate::store::Checksum;
use crate::store::{Export, StoreError};

/// One insert parameter.
pub enum Param {
    Text(String),
    OptText(Option<String>),
    I16(i16),
    I32(i32),
    I64(i64),
    OptI64(Option<i64>),
    Bytes(Vec<u8>),
}

impl Param {
    pub fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Param::Text(v) => v,
            Param::OptText(v) => v,
            Param::I16(v) => v,
            Param::I32(v) => v,
            Param::I64(v) => v,
            Param::OptI64(v) => v,
            Param::Bytes(v) => v,
        }
    }
}

pub struct Row {
    /// What the checksum covers, as verification selects it (text as UTF-8,
    /// integers big-endian).
    pub fields: Vec<Vec<u8>>,
    pub params: Vec<Param>,
}

pub struct SourceTable {
    pub name: &'static str,
    pub insert: &'static str,
    /// Selects the checksummed fields, each as bytea, in key order.
    pub verify: &'static str,
    pub rows: Vec<Row>,
    pub checksum: Checksum,
}

impl SourceTable {
    /// `ordered`: the rows are in key order already (audit entries keep
    /// their order of writing, which their identity column records).
    fn new(
        name: &'static str,
        insert: &'static str,
        verify: &'static str,
        mut rows: Vec<Row>,
        ordered: bool,
    ) -> Self {
        if !ordered {
            rows.sort_by(|a, b| a.fields.cmp(&b.fields));
        }
        let mut checksum = Checksum::default();
        for r in &rows {
            let fields: Vec<&[u8]> = r.fields.iter().map(Vec::as_slice).collect();
            checksum.add(&fields);
        }
        Self {
            name,
            insert,
            verify,
            rows,
            checksum,
        }
    }
}

fn be(v: i64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// Every table's rows, read from the source store.
pub fn source_tables(src: &dyn Export) -> Result<Vec<SourceTable>, StoreError> {
    let mut tables = vec![invoices(src)?, events(src)?];
    let keys = src
        .export_idempotency()?
        .into_iter()
        .map(|r| {
            let record = records::encode_idempotency(&r);
            Row {
                fields: vec![
                    r.key.clone().into_bytes(),
                    be(int(r.created_at_ms)),
                    record.clone(),
                ],
                params: vec![
                    Param::Text(r.key),
                    Param::I64(int(r.created_at_ms)),
                    Param::Bytes(record),
                ],
            }
        })
        .collect();
    tables.push(SourceTable::new(
        "lnpayd_idempotency",
        "INSERT INTO lnpayd_idempotency (key, created_at_ms, record) VALUES ($1, $2, $3)",
        "SELECT convert_to(key, 'UTF8'), int8send(created_at_ms), record FROM lnpayd_idempotency ORDER BY key",
        keys,
        false,
    ));
    let audit = src
        .export_audit()?
        .into_iter()
        .map(|e| {
            let record = records::encode_audit(&e);
            Row {
                fields: vec![be(int(e.at_ms)), record.clone()],
                params: vec![
                    Param::I64(int(e.at_ms)),
                    Param::OptText(e.invoice_id),
                    Param::OptText(e.provider),
                    Param::Bytes(record),
                ],
            }
        })
        .collect();
    tables.push(SourceTable::new(
        "lnpayd_audit",
        "INSERT INTO lnpayd_audit (at_ms, invoice_id, provider, record) VALUES ($1, $2, $3, $4)",
        "SELECT int8send(at_ms), record FROM lnpayd_audit ORDER BY at_ms, id",
        audit,
        true,
    ));
    let cursors = src
        .export_cursors()?
        .into_iter()
        .map(|c| Row {
            fields: vec![
                c.name.clone().into_bytes(),
                be(c.value as i64),
                c.anchor.clone(),
            ],
            params: vec![
                Param::Text(c.name),
                Param::I64(c.value as i64),
                Param::Bytes(c.anchor),
            ],
        })
        .collect();
    tables.push(SourceTable::new(
        "lnpayd_cursors",
        "INSERT INTO lnpayd_cursors (name, value, anchor) VALUES ($1, $2, $3)",
        "SELECT convert_to(name, 'UTF8'), int8send(value), anchor FROM lnpayd_cursors ORDER BY name",
        cursors,
        false,
    ));
    tables.extend(webhooks(src)?);
    Ok(tables)
}

fn invoices(src: &dyn Export) -> Result<SourceTable, StoreError> {
    let rows = src
        .export_invoices()?
        .into_iter()
        .map(|inv| {
            let record = records::encode_invoice(&inv);
            let status = status_code(inv.status);
            Row {
                fields: vec![
                    inv.id.clone().into_bytes(),
                    status.to_be_bytes().to_vec(),
                    be(int(inv.expires_at_ms)),
                    record.clone(),
                ],
                params: vec![
                    Param::Text(inv.id),
                    Param::Text(inv.payment_hash),
                    Param::I16(status),
                    Param::I64(int(inv.created_at_ms)),
                    Param::I64(int(inv.expires_at_ms)),
                    Param::OptText(inv.external_ref),
                    Param::Bytes(record),
                ],
            }
        })
        .collect();
    Ok(SourceTable::new(
        "lnpayd_invoices",
        "INSERT INTO lnpayd_invoices \
         (id, payment_hash, status, created_at_ms, expires_at_ms, external_ref, record) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        "SELECT convert_to(id, 'UTF8'), int2send(status), int8send(expires_at_ms), record \
         FROM lnpayd_invoices ORDER BY id",
        rows,
        false,
    ))
}

fn events(src: &dyn Export) -> Result<SourceTable, StoreError> {
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let page = src.events_after(after, 10_000)?;
        let Some(last) = page.last() else { break };
        after = last.sequence;
        for e in page {
            let record = records::encode_event(&EventRecord::of(&e));
            let seq = int(e.sequence);
            rows.push(Row {
                fields: vec![be(seq), e.invoice.id.clone().into_bytes(), record.clone()],
                params: vec![
                    Param::I64(seq),
                    Param::Text(e.invoice.id),
                    Param::Bytes(record),
                ],
            });
        }
    }
    Ok(SourceTable::new(
        "lnpayd_events",
        "INSERT INTO lnpayd_events (seq, invoice_id, record) VALUES ($1, $2, $3)",
        "SELECT int8send(seq), convert_to(invoice_id, 'UTF8'), record FROM lnpayd_events ORDER BY seq",
        rows,
        true,
    ))
}

fn webhooks(src: &dyn Export) -> Result<Vec<SourceTable>, StoreError> {
    let (mut endpoints, mut health, mut cursors, mut deliveries, mut attempts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ep in src.endpoints()? {
        let id = ep.id.clone();
        let record = encode(&ep);
        endpoints.push(Row {
            fields: vec![id.clone().into_bytes(), record.clone()],
            params: vec![Param::Text(id.clone()), Param::Bytes(record)],
        });
        let h = src.endpoint_health(&id)?;
        if h != EndpointHealth::default() {
            let record = encode(&h);
            health.push(Row {
                fields: vec![id.clone().into_bytes(), record.clone()],
                params: vec![Param::Text(id.clone()), Param::Bytes(record)],
            });
        }
        let cursor = src.webhook_cursor(&id)? as i64;
        cursors.push(Row {
            fields: vec![id.clone().into_bytes(), be(cursor)],
            params: vec![Param::Text(id.clone()), Param::I64(cursor)],
        });
        let mut before = None;
        loop {
            let (page, next) = src.deliveries(&DeliveryQuery {
                endpoint_id: Some(id.clone()),
                before: before.take(),
                limit: 1_000,
                ..Default::default()
            })?;
            for d in page {
                for a in src.attempts(&id, d.sequence)? {
                    let record = encode(&a);
                    let (seq, n) = (d.sequence as i64, a.number as i32);
                    attempts.push(Row {
                        fields: vec![
                            id.clone().into_bytes(),
                            be(seq),
                            n.to_be_bytes().to_vec(),
                            record.clone(),
                        ],
                        params: vec![
                            Param::Text(id.clone()),
                            Param::I64(seq),
                            Param::I32(n),
                            Param::I64(int(a.at_ms)),
                            Param::Bytes(record),
                        ],
                    });
                }
                let record = encode(&d);
                let next_at = match d.state {
                    DeliveryState::Pending => d.next_attempt_at_ms.map(int),
                    _ => None,
                };
                let seq = d.sequence as i64;
                deliveries.push(Row {
                    fields: vec![id.clone().into_bytes(), be(seq), record.clone()],
                    params: vec![
                        Param::Text(id.clone()),
                        Param::I64(seq),
                        Param::Text(d.invoice_id.clone()),
                        Param::I16(state_code(d.state)),
                        Param::OptI64(next_at),
                        Param::I64(int(d.updated_at_ms)),
                        Param::Bytes(record),
                    ],
                });
            }
            match next {
                Some(n) => before = Some(n),
                None => break,
            }
        }
    }
    Ok(vec![
        SourceTable::new(
            "lnpayd_webhook_endpoints",
            "INSERT INTO lnpayd_webhook_endpoints (id, record) VALUES ($1, $2)",
            "SELECT convert_to(id, 'UTF8'), record FROM lnpayd_webhook_endpoints ORDER BY id",
            endpoints,
            false,
        ),
        SourceTable::new(
            "lnpayd_webhook_health",
            "INSERT INTO lnpayd_webhook_health (id, record) VALUES ($1, $2)",
            "SELECT convert_to(id, 'UTF8'), record FROM lnpayd_webhook_health ORDER BY id",
            health,
            false,
        ),
        SourceTable::new(
            "lnpayd_webhook_cursors",
            "INSERT INTO lnpayd_webhook_cursors (id, value) VALUES ($1, $2)",
            "SELECT convert_to(id, 'UTF8'), int8send(value) FROM lnpayd_webhook_cursors ORDER BY id",
            cursors,
            false,
        ),
        SourceTable::new(
            "lnpayd_webhook_deliveries",
            "INSERT INTO lnpayd_webhook_deliveries \
             (endpoint_id, seq, invoice_id, state, next_attempt_at_ms, updated_at_ms, record) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            "SELECT convert_to(endpoint_id, 'UTF8'), int8send(seq), record \
             FROM lnpayd_webhook_deliveries ORDER BY endpoint_id, seq",
            deliveries,
            false,
        ),
        SourceTable::new(
            "lnpayd_webhook_attempts",
            "INSERT INTO lnpayd_webhook_attempts (endpoint_id, seq, number, at_ms, record) \
             VALUES ($1, $2, $3, $4, $5)",
            "SELECT convert_to(endpoint_id, 'UTF8'), int8send(seq), int4send(number), record \
             FROM lnpayd_webhook_attempts ORDER BY endpoint_id, seq, number",
            attempts,
            false,
        ),
    ])
}
