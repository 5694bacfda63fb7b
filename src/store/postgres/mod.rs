//! The PostgreSQL implementation of [`Store`](super::Store) and
//! [`WebhookStore`](super::WebhookStore): several lnpayd instances on one
//! database (issue 14). sled stays the embedded default for one host.
//!
//! How it keeps the store contract:
//! - every multi-key change is one PostgreSQL transaction;
//! - event sequences come from one row, `lnpayd_seq`, incremented by
//!   `UPDATE … RETURNING` inside the transaction that appends the event. The
//!   row lock is held until that transaction ends, so a second appender
//!   waits there until the first commits (and then reads its value) or
//!   rolls back (and then reads the old value again). Hence sequence N+1 is
//!   only handed out once N is committed: sequences are gap-free and in
//!   commit order, across instances too. The cost is that event-appending
//!   commits are serial; the increment is the last statement before the
//!   commit to keep the lock short;
//! - nothing is acknowledged before its commit, so `sync()` has nothing to
//!   flush. It still marks the point from which this instance's own events
//!   are published, as sled's flush does (`publish.rs`);
//! - each event-appending transaction also runs `pg_notify`, delivered on
//!   commit: the listener task (`publish.rs`) reads the events table after
//!   its last published sequence, so other instances' events reach this
//!   one's subscribers live, in order. The table is the truth; a lost
//!   notification costs at most one safety-net period.
//!
//! The [`Store`](super::Store) trait is synchronous (sled is). The bridge to
//! the async driver is [`PgStore::block`], the one place that blocks: it
//! needs the multi-thread runtime, which the daemon runs.

mod import;
mod publish;
mod reads;
mod rows;
mod schema;
mod store;
mod webhook_writes;
mod webhooks;
mod writes;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::health::HealthCell;
use super::StoreError;
pub use import::{import_store, migrate_command, ImportError, ImportReport, Source, TableReport};
pub use publish::Publisher;

/// How long a statement waits for a free connection, or for a new one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct PgStore {
    pool: Pool,
    /// For the listener's own connection.
    config: tokio_postgres::Config,
    /// Host and database, for logs: never the password.
    target: String,
    handle: tokio::runtime::Handle,
    publisher: Arc<Publisher>,
    health: HealthCell,
    /// The leader's fencing epoch: set, every write first checks the lease
    /// still holds it.
    fence: Mutex<Option<u64>>,
}

impl PgStore {
    /// Connects, applies the schema migrations (under a lock: see
    /// `schema.rs`) and reads where the event log ends. Run
    /// [`PgStore::run_listener`] as a task until shutdown.
    pub async fn open(url: &str, pool_size: usize) -> Result<Arc<Self>, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|_| StoreError::Schema("the store URL is not a PostgreSQL URL".into()))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("lnpayd");
        }
        let target = describe(&config);
        let pool = build_pool(&config, pool_size)?;
        let version = schema::migrate(&pool).await?;
        let last: i64 = pool
            .get()
            .await
            .map_err(pool_error)?
            .query_one("SELECT last FROM lnpayd_seq WHERE id = 1", &[])
            .await
            .map_err(pg_error)?
            .get(0);
        tracing::info!(%target, schema = version, last_sequence = last, "PostgreSQL store open");
        Ok(Arc::new(Self {
            pool,
            config,
            target,
            handle: tokio::runtime::Handle::current(),
            publisher: Publisher::new(last as u64),
            health: HealthCell::default(),
            fence: Mutex::new(None),
        }))
    }

    /// Host and database, for logs and status.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// A pool of one connection of its own for the leader election: a lease
    /// renewal waiting behind a busy store pool (whose wait is longer than
    /// the renewal's timeout) would lose the lease of a healthy leader.
    pub fn lease_pool(&self) -> Result<Pool, StoreError> {
        build_pool(&self.config, 1)
    }

    /// The store's own pool (tests reach the tables through it).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// `Some(epoch)`: every later write transaction first checks, under
    /// `FOR SHARE` on the lease row, that `lnpayd_leader.epoch` is still
    /// `epoch`, and otherwise writes nothing and fails with
    /// [`StoreError::Fenced`]. `None`: writes are not fenced.
    pub fn set_fence(&self, epoch: Option<u64>) {
        *self.fence.lock().expect("fence lock") = epoch;
    }

    /// Runs `f` to completion from synchronous code: the bridge between
    /// the synchronous `Store` trait and the async driver, and the one
    /// place the store blocks. `block_in_place` hands this worker's other
    /// tasks to the other workers while it waits, which only the
    /// multi-thread runtime can do (the daemon's; tests use
    /// `flavor = "multi_thread"`). From a thread outside any runtime it
    /// blocks on the runtime the store was opened in.
    ///
    /// Connection failures turn health FAILING; any success turns it OK.
    fn block<T>(&self, f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        let r = match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                assert!(
                    h.runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread,
                    "the PostgreSQL store needs the multi-thread runtime"
                );
                tokio::task::block_in_place(|| h.block_on(f))
            }
            Err(_) => self.handle.block_on(f),
        };
        self.observed(r)
    }

    /// Keeps health in step with what the database just did.
    fn observed<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        match &r {
            Ok(_) => self.health.recovered(),
            Err(StoreError::Unavailable(e)) => self.health.failed(e),
            Err(_) => {}
        }
        r
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Begins a write transaction, fenced when an epoch is set.
    async fn begin<'a>(
        &self,
        client: &'a mut deadpool_postgres::Object,
    ) -> Result<deadpool_postgres::Transaction<'a>, StoreError> {
        let tx = client.transaction().await.map_err(pg_error)?;
        let held = *self.fence.lock().expect("fence lock");
        if let Some(held) = held {
            let current = tx
                .query_opt(
                    "SELECT epoch FROM lnpayd_leader WHERE id = 1 FOR SHARE",
                    &[],
                )
                .await
                .map_err(pg_error)?
                .map(|r| r.get::<_, i64>(0) as u64);
            if current != Some(held) {
                // Dropping the transaction rolls it back.
                return Err(StoreError::Fenced { held, current });
            }
        }
        Ok(tx)
    }
}

/// `host:port/db`, or the socket directory for a Unix socket.
fn describe(c: &tokio_postgres::Config) -> String {
    let host = match c.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", c.get_dbname().unwrap_or("?"))
}

/// A driver error: the connection's failures are UNAVAILABLE (retry), the
/// server's refusals are not. The message never holds the URL.
pub(crate) fn pg_error(e: tokio_postgres::Error) -> StoreError {
    let unavailable = e.code().is_none_or(server_unavailable);
    let text = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    if unavailable {
        StoreError::Unavailable(text)
    } else {
        StoreError::Postgres(text)
    }
}

/// Whether the server's refusal says it cannot serve now, rather than that
/// the statement is wrong: a retry later may succeed, and health is FAILING.
fn server_unavailable(code: &tokio_postgres::error::SqlState) -> bool {
    use tokio_postgres::error::SqlState;
    let c = code.code();
    // Class 08: connection exception. Class 53: insufficient resources, of
    // which max_connections reached (53300) is the likely one with several
    // instances' pools. 57P0x: shutdown, crash, starting.
    c.starts_with("08")
        || c.starts_with("53")
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
        ]
        .contains(code)
}

fn build_pool(config: &tokio_postgres::Config, size: usize) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        config.clone(),
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| StoreError::Schema(e.to_string()))
}

pub(crate) fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_error(e),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// u64 times and sequences as PostgreSQL's signed bigint; the far future
/// (`u64::MAX` as "no bound") saturates.
fn int(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

#[cfg(test)]
mod more_tests;
#[cfg(test)]
mod tests;
