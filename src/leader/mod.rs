//! One leader among the instances sharing a PostgreSQL store: it runs what
//! must run once (provider watchers, reconciliation, the expiry timer,
//! webhook delivery, pruning); every instance serves the whole API.
//!
//! Leadership is a lease row in the database (`lnpayd_leader`), renewed
//! every third of the lease and taken over once it has expired, by the
//! database's clock only: instances never compare their own clocks. Each
//! takeover increments the row's epoch, and the winner fences its store with
//! it, so every write it makes checks, in the same transaction, that the
//! epoch is still the row's. A leader paused past its lease (GC, SIGSTOP, a
//! frozen VM) therefore cannot write once another has taken over: the lease
//! gives liveness, the fence gives safety.
//!
//! With sled there is one instance, and it always leads.
//!
//! - `config`: `[cluster]`;
//! - `lease`: the lease table, behind a trait (memory, for tests);
//! - `pg`: the lease row in PostgreSQL;
//! - `elector`: the loop that takes, renews and loses the lease;
//! - `work`: the tasks only the leader runs.

mod config;
mod elector;
mod lease;
mod pg;
mod work;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

pub use config::ClusterConfig;
pub use elector::{Elector, Lost};
pub use lease::{Fence, LeaseError, LeaseTable, MemoryLease};
pub use pg::PgLease;
pub use work::{begin, LeaderWork};

/// The exit status of an instance that lost its leadership (EX_TEMPFAIL):
/// systemd restarts it, and it comes back as a follower.
pub const EXIT_LEADERSHIP_LOST: i32 = 75;

/// Who holds the lease, as the database says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderInfo {
    pub holder: String,
    pub epoch: u64,
    /// When this holder took the lease (its epoch began).
    pub since_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Leader,
    Follower,
    /// Not known yet: the database has not answered since start-up.
    Unknown,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
            Role::Unknown => "unknown",
        }
    }
}

/// What GetStatus shows about the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterView {
    pub instance_id: String,
    pub role: Role,
    /// The lease holder last seen; None before anyone took it.
    pub leader: Option<LeaderInfo>,
}

/// This instance's place in the cluster, as the elector last saw it, and
/// the lease to give back on a clean shutdown.
pub struct Leadership {
    view: watch::Sender<ClusterView>,
    table: Option<Arc<dyn LeaseTable>>,
}

impl Leadership {
    /// A single instance (sled): it leads from the start, at epoch 0.
    pub fn single(instance_id: String, since_ms: u64) -> Arc<Self> {
        let leader = LeaderInfo {
            holder: instance_id.clone(),
            epoch: 0,
            since_ms,
        };
        Arc::new(Self {
            view: watch::Sender::new(ClusterView {
                instance_id,
                role: Role::Leader,
                leader: Some(leader),
            }),
            table: None,
        })
    }

    /// An instance that must win the lease in `table` before it leads.
    pub fn elected(instance_id: String, table: Arc<dyn LeaseTable>) -> Arc<Self> {
        Arc::new(Self {
            view: watch::Sender::new(ClusterView {
                instance_id,
                role: Role::Unknown,
                leader: None,
            }),
            table: Some(table),
        })
    }

    pub fn view(&self) -> ClusterView {
        self.view.borrow().clone()
    }

    /// Waits until the first election round has answered (a single
    /// instance knows at once). The daemon says it is ready only after it,
    /// so that GetStatus never shows a serving instance as `unknown` for
    /// want of one database round trip; `None` when `within` runs out (the
    /// database is slow: the instance serves anyway and says so).
    pub async fn known(&self, within: Duration) -> Option<Role> {
        let mut rx = self.view.subscribe();
        let known = rx.wait_for(|v| v.role != Role::Unknown);
        let role = match tokio::time::timeout(within, known).await {
            Ok(Ok(v)) => Some(v.role),
            _ => None,
        };
        role
    }

    pub fn instance_id(&self) -> String {
        self.view.borrow().instance_id.clone()
    }

    fn set(&self, role: Role, leader: Option<LeaderInfo>) {
        self.view.send_modify(|v| {
            v.role = role;
            if leader.is_some() {
                v.leader = leader;
            }
        });
    }

    /// Gives the lease back, if this instance holds it, so that a follower
    /// takes over at once instead of after the lease (a deploy, a SIGTERM).
    /// Called after the leader's tasks have stopped: nothing of ours writes
    /// after the next leader starts.
    pub async fn release(&self) {
        let (Some(table), view) = (&self.table, self.view()) else {
            return;
        };
        let Some(leader) = view.leader.filter(|_| view.role == Role::Leader) else {
            return;
        };
        let release = table.release(&view.instance_id, leader.epoch);
        match tokio::time::timeout(Duration::from_secs(2), release).await {
            Ok(Ok(())) => tracing::info!(epoch = leader.epoch, "leadership released"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not release the lease; it expires by itself")
            }
            Err(_) => tracing::warn!("releasing the lease timed out; it expires by itself"),
        }
    }
}

/// A write refused by the fence means another instance leads now: stops
/// this one at once ([`fail_stop`]), whichever caller hit the fence. Every
/// error type that wraps a store error calls it in its `From`, so that no
/// caller (a webhook worker that would POST again every second while its
/// record is refused) keeps acting until the next renewal finds out.
pub fn stop_if_fenced(e: &crate::store::StoreError) {
    if let crate::store::StoreError::Fenced { held, current } = e {
        fail_stop(&format!(
            "a write was fenced: we hold epoch {held}, the lease is at {current:?}"
        ));
    }
}

/// Stops the process at once, with [`EXIT_LEADERSHIP_LOST`].
///
/// Fail-stop rather than stepping down in place: a leader's work is spread
/// over many tasks (a watcher per provider, its reconnect loop, the expiry
/// timer and its in-flight lookups, one webhook worker per endpoint, the
/// pruner), each with writes and HTTP calls in flight. Stopping them all
/// and proving none is left half-running is what a process exit does for
/// free; systemd (`Restart=always`) brings the instance back as a clean
/// follower within seconds, and every API client retries anyway (creates are
/// idempotent). The fence already keeps a stale leader's writes out of the
/// store; exiting keeps its side effects (webhook POSTs, provider calls) from
/// outliving its lease. With PostgreSQL nothing is buffered in the process,
/// so nothing acknowledged is lost.
pub fn fail_stop(why: &str) -> ! {
    tracing::error!(
        reason = why,
        code = EXIT_LEADERSHIP_LOST,
        "leadership lost: exiting so that this instance restarts as a follower"
    );
    crate::systemd::notify_stopping();
    std::process::exit(EXIT_LEADERSHIP_LOST)
}

#[cfg(test)]
mod tests {
    use crate::store::StoreError;

    const CHILD: &str = "LNPAYD_TEST_FENCED_CHILD";

    /// Runs this test again in a child process, which converts a fenced
    /// store error through each wrapping error type in turn: the child must
    /// exit with EXIT_LEADERSHIP_LOST at the first, not return.
    #[test]
    fn a_fenced_write_stops_the_process_whatever_error_wraps_it() {
        let fenced = || StoreError::Fenced {
            held: 1,
            current: Some(2),
        };
        match std::env::var(CHILD).as_deref() {
            Ok("webhooks") => drop(crate::webhooks::WebhookError::from(fenced())),
            Ok("api") => drop(crate::error::Error::from(fenced())),
            Ok("provider") => drop(crate::providers::store_err(fenced())),
            _ => {
                for via in ["webhooks", "api", "provider"] {
                    let out = std::process::Command::new(std::env::current_exe().unwrap())
                        .args([
                            "--exact",
                            "leader::tests::a_fenced_write_stops_the_process_whatever_error_wraps_it",
                            "--test-threads=1",
                        ])
                        .env(CHILD, via)
                        .env_remove("NOTIFY_SOCKET")
                        .output()
                        .unwrap();
                    assert_eq!(
                        out.status.code(),
                        Some(super::EXIT_LEADERSHIP_LOST),
                        "via {via}: {}",
                        String::from_utf8_lossy(&out.stdout)
                    );
                }
            }
        }
        // In the child, reached only when the conversion did not stop it:
        // the test then passes there, and its exit status 0 fails the parent.
    }
}
