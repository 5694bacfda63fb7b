//! The lease in PostgreSQL: the one row of `lnpayd_leader` (created by the
//! store's migrations), read and written on a connection of its own. Every
//! time comparison is `now()` on the server: instances never compare their
//! clocks with each other.
//!
//! A takeover's `UPDATE` waits for the row lock that each fenced write holds
//! (`FOR SHARE`) until it commits: a write of the old leader either commits
//! before the epoch changes, or sees the new epoch and writes nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::Pool;

use super::lease::{Fence, LeaseError, LeaseTable};
use super::LeaderInfo;
use crate::store::PgStore;

/// A statement that has not answered by then counts as failed.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(3);

pub struct PgLease {
    pool: Pool,
    row_exists: AtomicBool,
}

impl PgLease {
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            row_exists: AtomicBool::new(false),
        }
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, LeaseError> {
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| LeaseError(format!("no connection: {e}")))?;
        if !self.row_exists.load(Ordering::Relaxed) {
            // Expired from the start (-infinity): the first taker wins epoch 1.
            client
                .execute(
                    "INSERT INTO lnpayd_leader (id, holder, epoch, since, expires_at) \
                     VALUES (1, '', 0, now(), '-infinity') ON CONFLICT (id) DO NOTHING",
                    &[],
                )
                .await
                .map_err(db)?;
            self.row_exists.store(true, Ordering::Relaxed);
        }
        Ok(client)
    }
}

fn db(e: tokio_postgres::Error) -> LeaseError {
    LeaseError(e.to_string())
}

async fn timed<T>(
    f: impl std::future::Future<Output = Result<T, LeaseError>>,
) -> Result<T, LeaseError> {
    tokio::time::timeout(STATEMENT_TIMEOUT, f)
        .await
        .unwrap_or_else(|_| Err(LeaseError("the database did not answer in time".into())))
}

fn leader(row: &tokio_postgres::Row) -> LeaderInfo {
    LeaderInfo {
        holder: row.get(0),
        epoch: row.get::<_, i64>(1) as u64,
        since_ms: row.get::<_, i64>(2).max(0) as u64,
    }
}

const SINCE_MS: &str = "(extract(epoch FROM since) * 1000)::bigint";

#[async_trait]
impl LeaseTable for PgLease {
    async fn take(&self, me: &str, lease: Duration) -> Result<Option<LeaderInfo>, LeaseError> {
        timed(async {
            let sql = format!(
                "UPDATE lnpayd_leader SET holder = $1, epoch = epoch + 1, since = now(), \
                 expires_at = now() + make_interval(secs => $2::float8) \
                 WHERE id = 1 AND (expires_at < now() OR holder = $1) \
                 RETURNING holder, epoch, {SINCE_MS}"
            );
            let row = self
                .client()
                .await?
                .query_opt(&sql, &[&me, &lease.as_secs_f64()])
                .await
                .map_err(db)?;
            Ok(row.as_ref().map(leader))
        })
        .await
    }

    async fn renew(&self, me: &str, epoch: u64, lease: Duration) -> Result<bool, LeaseError> {
        timed(async {
            let n = self
                .client()
                .await?
                .execute(
                    "UPDATE lnpayd_leader SET expires_at = now() + make_interval(secs => $3::float8) \
                     WHERE id = 1 AND holder = $1 AND epoch = $2",
                    &[&me, &(epoch as i64), &lease.as_secs_f64()],
                )
                .await
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }

    async fn current(&self) -> Result<Option<(LeaderInfo, Duration)>, LeaseError> {
        timed(async {
            let sql = format!(
                "SELECT holder, epoch, {SINCE_MS}, \
                 greatest(extract(epoch FROM expires_at - now()) * 1000, 0)::bigint \
                 FROM lnpayd_leader WHERE id = 1 AND holder <> ''"
            );
            let row = self
                .client()
                .await?
                .query_opt(&sql, &[])
                .await
                .map_err(db)?;
            Ok(row.map(|r| {
                let left = Duration::from_millis(r.get::<_, i64>(3).max(0) as u64);
                (leader(&r), left)
            }))
        })
        .await
    }

    async fn release(&self, me: &str, epoch: u64) -> Result<(), LeaseError> {
        timed(async {
            self.client()
                .await?
                .execute(
                    "UPDATE lnpayd_leader SET expires_at = now() \
                     WHERE id = 1 AND holder = $1 AND epoch = $2",
                    &[&me, &(epoch as i64)],
                )
                .await
                .map_err(db)?;
            Ok(())
        })
        .await
    }
}

impl Fence for PgStore {
    fn set_fence(&self, epoch: Option<u64>) {
        PgStore::set_fence(self, epoch)
    }
}
