//! The lease table: one row, taken when expired, renewed by its holder.
//! PostgreSQL implements it in production (`PgLease`); [`MemoryLease`]
//! serves the elector's unit tests, with tokio's (pausable) clock standing
//! in for the database's.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::LeaderInfo;

#[derive(Debug, thiserror::Error)]
#[error("lease table: {0}")]
pub struct LeaseError(pub String);

/// Where the epoch goes once the lease is won: the store then checks it in
/// every write it makes, in the same transaction.
pub trait Fence: Send + Sync {
    fn set_fence(&self, epoch: Option<u64>);
}

/// The lease, by the database's clock. Every method is one statement.
#[async_trait]
pub trait LeaseTable: Send + Sync + 'static {
    /// Takes the lease if it has expired, or if `me` holds it (a restart
    /// with a configured id): a new epoch, returned. None while another
    /// instance holds it.
    async fn take(&self, me: &str, lease: Duration) -> Result<Option<LeaderInfo>, LeaseError>;
    /// Extends the lease while `me` still holds it at `epoch`; false when
    /// another instance has taken it since.
    async fn renew(&self, me: &str, epoch: u64, lease: Duration) -> Result<bool, LeaseError>;
    /// The holder, if anyone took it yet, and the time left on its lease.
    async fn current(&self) -> Result<Option<(LeaderInfo, Duration)>, LeaseError>;
    /// Ends the lease now if `me` still holds it at `epoch`.
    async fn release(&self, me: &str, epoch: u64) -> Result<(), LeaseError>;
}

struct Row {
    info: LeaderInfo,
    expires_at: Instant,
}

/// An in-memory lease with a switch to make it unreachable.
#[derive(Default)]
pub struct MemoryLease {
    row: Mutex<Option<Row>>,
    down: std::sync::atomic::AtomicBool,
}

impl MemoryLease {
    /// While down, every call fails as an unreachable database would.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    /// As if the holder had stopped renewing long enough.
    #[cfg(test)]
    pub(crate) fn expire_now(&self) {
        if let Some(r) = self.row.lock().expect("lease row").as_mut() {
            r.expires_at = Instant::now();
        }
    }

    fn check(&self) -> Result<std::sync::MutexGuard<'_, Option<Row>>, LeaseError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(LeaseError("connection refused".into()));
        }
        Ok(self.row.lock().expect("lease row"))
    }
}

#[async_trait]
impl LeaseTable for MemoryLease {
    async fn take(&self, me: &str, lease: Duration) -> Result<Option<LeaderInfo>, LeaseError> {
        let mut row = self.check()?;
        let now = Instant::now();
        let epoch = match row.as_ref() {
            Some(r) if r.expires_at > now && r.info.holder != me => return Ok(None),
            Some(r) => r.info.epoch + 1,
            None => 1,
        };
        let info = LeaderInfo {
            holder: me.into(),
            epoch,
            since_ms: crate::time::now_ms(),
        };
        *row = Some(Row {
            info: info.clone(),
            expires_at: now + lease,
        });
        Ok(Some(info))
    }

    async fn renew(&self, me: &str, epoch: u64, lease: Duration) -> Result<bool, LeaseError> {
        let mut row = self.check()?;
        match row.as_mut() {
            Some(r) if r.info.holder == me && r.info.epoch == epoch => {
                r.expires_at = Instant::now() + lease;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn current(&self) -> Result<Option<(LeaderInfo, Duration)>, LeaseError> {
        let row = self.check()?;
        Ok(row.as_ref().map(|r| {
            (
                r.info.clone(),
                r.expires_at.saturating_duration_since(Instant::now()),
            )
        }))
    }

    async fn release(&self, me: &str, epoch: u64) -> Result<(), LeaseError> {
        let mut row = self.check()?;
        if let Some(r) = row
            .as_mut()
            .filter(|r| r.info.holder == me && r.info.epoch == epoch)
        {
            r.expires_at = Instant::now();
        }
        Ok(())
    }
}
