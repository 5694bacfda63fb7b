//! The schema, as an embedded list of migrations applied at start.
//!
//! Why not refinery: the list is short, and what matters here is that two
//! instances starting together do not both apply it. All of it runs in one
//! transaction that first takes `pg_advisory_xact_lock`: the second
//! instance waits on the lock, then finds the versions applied and skips
//! them; a failed migration rolls back whole. A database whose schema is
//! newer than this binary's is refused rather than written with old rules.
//!
//! Text keys are `COLLATE "C"`: invoice ids sort by creation time (UUIDv7)
//! only byte by byte, and listing pages by id ranges as sled does. The
//! invoice id is therefore the creation-time index; `created_at_ms` is kept
//! as a column for operators' queries.

use deadpool_postgres::Pool;

use super::{pg_error, StoreError};

/// `pg_advisory_xact_lock` key: "lnpayd" in ASCII.
const MIGRATION_LOCK: i64 = 0x6c6e_7061_7964;

/// (version, SQL), in order. Never edit one that has shipped: append.
pub const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2_WEBHOOKS)];

const V1: &str = r#"
CREATE TABLE lnpayd_seq (
    id integer PRIMARY KEY CHECK (id = 1),
    last bigint NOT NULL
);
INSERT INTO lnpayd_seq VALUES (1, 0);

CREATE TABLE lnpayd_invoices (
    id text COLLATE "C" PRIMARY KEY,
    payment_hash text COLLATE "C" NOT NULL UNIQUE,
    status smallint NOT NULL,
    created_at_ms bigint NOT NULL,
    expires_at_ms bigint NOT NULL,
    external_ref text COLLATE "C",
    record bytea NOT NULL
);
CREATE INDEX lnpayd_invoices_status ON lnpayd_invoices (status, id);
CREATE INDEX lnpayd_invoices_external_ref ON lnpayd_invoices (external_ref, id)
    WHERE external_ref IS NOT NULL;
-- The due index: PENDING (status 0) only, by expiry.
CREATE INDEX lnpayd_invoices_due ON lnpayd_invoices (expires_at_ms, id) WHERE status = 0;

CREATE TABLE lnpayd_idempotency (
    key text COLLATE "C" PRIMARY KEY,
    created_at_ms bigint NOT NULL,
    record bytea NOT NULL
);
CREATE INDEX lnpayd_idempotency_created ON lnpayd_idempotency (created_at_ms);

CREATE TABLE lnpayd_events (
    seq bigint PRIMARY KEY,
    invoice_id text COLLATE "C" NOT NULL,
    record bytea NOT NULL
);

CREATE TABLE lnpayd_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms bigint NOT NULL,
    invoice_id text COLLATE "C",
    provider text COLLATE "C",
    record bytea NOT NULL
);
CREATE INDEX lnpayd_audit_at ON lnpayd_audit (at_ms, id);
CREATE INDEX lnpayd_audit_invoice ON lnpayd_audit (invoice_id, at_ms, id)
    WHERE invoice_id IS NOT NULL;
CREATE INDEX lnpayd_audit_provider ON lnpayd_audit (provider, at_ms, id)
    WHERE provider IS NOT NULL;

CREATE TABLE lnpayd_cursors (
    name text COLLATE "C" PRIMARY KEY,
    value bigint NOT NULL,
    anchor bytea NOT NULL
);

-- The leader's lease; the epoch fences every write of a leader that lost it.
CREATE TABLE lnpayd_leader (
    id integer PRIMARY KEY CHECK (id = 1),
    holder text NOT NULL,
    epoch bigint NOT NULL,
    since timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
"#;

const V2_WEBHOOKS: &str = r#"
CREATE TABLE lnpayd_webhook_endpoints (
    id text COLLATE "C" PRIMARY KEY,
    record bytea NOT NULL
);
CREATE TABLE lnpayd_webhook_health (
    id text COLLATE "C" PRIMARY KEY,
    record bytea NOT NULL
);
CREATE TABLE lnpayd_webhook_cursors (
    id text COLLATE "C" PRIMARY KEY,
    value bigint NOT NULL
);
CREATE TABLE lnpayd_webhook_deliveries (
    endpoint_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    invoice_id text COLLATE "C" NOT NULL,
    state smallint NOT NULL,
    next_attempt_at_ms bigint,
    updated_at_ms bigint NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (endpoint_id, seq)
);
-- The retry index: pending deliveries (state 0) by due time.
CREATE INDEX lnpayd_webhook_retry ON lnpayd_webhook_deliveries (endpoint_id, next_attempt_at_ms, seq)
    WHERE state = 0;
CREATE TABLE lnpayd_webhook_attempts (
    endpoint_id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    number integer NOT NULL,
    at_ms bigint NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (endpoint_id, seq, number)
);
"#;

/// Applies the migrations this database lacks; returns its version.
pub async fn migrate(pool: &Pool) -> Result<i32, StoreError> {
    let mut client = pool.get().await.map_err(super::pool_error)?;
    let tx = client.transaction().await.map_err(pg_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_error)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS lnpayd_schema_version (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(pg_error)?;
    let current: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM lnpayd_schema_version",
            &[],
        )
        .await
        .map_err(pg_error)?
        .get(0);
    let newest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if current > newest {
        return Err(StoreError::Schema(format!(
            "the database is at schema version {current}, newer than this lnpayd knows ({newest})"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await.map_err(pg_error)?;
        tx.execute(
            "INSERT INTO lnpayd_schema_version (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(pg_error)?;
        tracing::info!(version, "applied store schema migration");
    }
    tx.commit().await.map_err(pg_error)?;
    Ok(newest)
}
