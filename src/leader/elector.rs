//! The election loop. A follower tries to take the lease whenever the
//! holder's may have run out; a leader renews every third of the lease and
//! leaves ([`Lost`]) as soon as it cannot be sure it still holds it.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::lease::{Fence, LeaseTable};
use super::{LeaderInfo, Leadership, Role};

/// Why a leader stopped leading; the daemon exits on it ([`super::fail_stop`]).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Lost {
    #[error("another instance holds the lease now (we had epoch {epoch})")]
    TakenOver { epoch: u64 },
    #[error("no renewal reached the database within the lease (epoch {epoch}): {last_error}")]
    Unrenewed { epoch: u64, last_error: String },
}

pub struct Elector {
    pub table: Arc<dyn LeaseTable>,
    pub fence: Arc<dyn Fence>,
    pub leadership: Arc<Leadership>,
    pub lease: Duration,
}

/// After a failed statement, the next try comes this soon (never later than
/// a third of the lease).
const RETRY: Duration = Duration::from_millis(500);

impl Elector {
    /// Follows until the lease is won, then calls `on_win` with the epoch
    /// (the store is fenced with it first) and leads until shutdown (Ok) or
    /// until leadership is lost (Err: the caller must stop the process).
    pub async fn run(
        self,
        on_win: impl FnOnce(u64) + Send,
        shutdown: CancellationToken,
    ) -> Result<(), Lost> {
        let me = self.leadership.instance_id();
        let Some(won) = self.follow(&me, &shutdown).await else {
            return Ok(());
        };
        self.fence.set_fence(Some(won.epoch));
        tracing::info!(epoch = won.epoch, instance = %me, "leadership acquired: starting the leader's tasks");
        self.leadership.set(Role::Leader, Some(won.clone()));
        on_win(won.epoch);
        self.lead(&me, won.epoch, &shutdown).await
    }

    fn third(&self) -> Duration {
        self.lease / 3
    }

    /// Until the lease is won (Some) or shutdown (None).
    async fn follow(&self, me: &str, shutdown: &CancellationToken) -> Option<LeaderInfo> {
        loop {
            let wait = match self.table.take(me, self.lease).await {
                Ok(Some(won)) => return Some(won),
                Ok(None) => match self.table.current().await {
                    Ok(Some((holder, left))) => {
                        if self.leadership.view().leader.as_ref() != Some(&holder) {
                            tracing::info!(leader = %holder.holder, epoch = holder.epoch, "following");
                        }
                        self.leadership.set(Role::Follower, Some(holder));
                        // Right after it runs out, by the database's clock;
                        // at least every third of the lease, to see changes.
                        (left + Duration::from_millis(20)).min(self.third())
                    }
                    Ok(None) => RETRY,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the lease");
                        RETRY
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "cannot try the lease; retrying");
                    RETRY.min(self.third())
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Renews until shutdown, or until this instance can no longer know it
    /// leads. The deadline runs from when a successful renewal was *sent*:
    /// the database's lease began no earlier, so by our monotonic clock
    /// (which keeps running while the process is stopped) it has not ended
    /// before the deadline. Past it, another instance may lead: stop.
    async fn lead(&self, me: &str, epoch: u64, shutdown: &CancellationToken) -> Result<(), Lost> {
        let mut deadline = Instant::now() + self.lease;
        let mut next = Instant::now() + self.third();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep_until(next.min(deadline)) => {}
            }
            let sent = Instant::now();
            if sent >= deadline {
                // Woken past the deadline (the process was stopped, or the
                // renewals failed): do not even try to write.
                return Err(Lost::Unrenewed {
                    epoch,
                    last_error: "the lease ran out before a renewal was sent".into(),
                });
            }
            let renewal =
                tokio::time::timeout(deadline - sent, self.table.renew(me, epoch, self.lease));
            match renewal.await {
                Ok(Ok(true)) => {
                    deadline = sent + self.lease;
                    next = sent + self.third();
                }
                Ok(Ok(false)) => return Err(Lost::TakenOver { epoch }),
                Ok(Err(e)) if Instant::now() < deadline => {
                    tracing::warn!(error = %e, "lease renewal failed; retrying before the lease runs out");
                    next = Instant::now() + RETRY.min(self.third());
                }
                Ok(Err(e)) => {
                    return Err(Lost::Unrenewed {
                        epoch,
                        last_error: e.to_string(),
                    })
                }
                Err(_) => {
                    return Err(Lost::Unrenewed {
                        epoch,
                        last_error: "the renewal did not answer before the lease ran out".into(),
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::leader::MemoryLease;

    #[derive(Default)]
    struct Fenced(Mutex<Vec<Option<u64>>>);

    impl Fence for Fenced {
        fn set_fence(&self, epoch: Option<u64>) {
            self.0.lock().unwrap().push(epoch);
        }
    }

    fn elector(table: &Arc<MemoryLease>, id: &str) -> (Elector, Arc<Fenced>) {
        let fence = Arc::new(Fenced::default());
        let table: Arc<dyn LeaseTable> = table.clone();
        let e = Elector {
            table: table.clone(),
            fence: fence.clone(),
            leadership: Leadership::elected(id.into(), table),
            lease: Duration::from_secs(9),
        };
        (e, fence)
    }

    async fn start(
        e: Elector,
        shutdown: &CancellationToken,
    ) -> (
        tokio::task::JoinHandle<Result<(), Lost>>,
        tokio::sync::oneshot::Receiver<u64>,
        Arc<Leadership>,
    ) {
        let (won_tx, won) = tokio::sync::oneshot::channel();
        let leadership = e.leadership.clone();
        let run = tokio::spawn(e.run(
            move |epoch| {
                let _ = won_tx.send(epoch);
            },
            shutdown.clone(),
        ));
        (run, won, leadership)
    }

    #[tokio::test(start_paused = true)]
    async fn one_leads_the_other_takes_over_within_the_lease_after_it_dies() {
        let table = Arc::new(MemoryLease::default());
        let shutdown = CancellationToken::new();
        let (a, a_fence) = elector(&table, "a");
        let (a_run, a_won, a_view) = start(a, &shutdown).await;
        assert_eq!(a_won.await.unwrap(), 1);
        assert_eq!(*a_fence.0.lock().unwrap(), [Some(1)]);
        let (b, b_fence) = elector(&table, "b");
        let (_b_run, mut b_won, b_view) = start(b, &shutdown).await;
        // Several leases pass: a renews, b follows.
        tokio::time::sleep(Duration::from_secs(40)).await;
        assert!(b_won.try_recv().is_err());
        assert_eq!(b_view.view().role, Role::Follower);
        assert_eq!(b_view.view().leader.unwrap().holder, "a");
        assert_eq!(a_view.view().role, Role::Leader);

        a_run.abort(); // a dies: no more renewals
        let died = Instant::now();
        assert_eq!(b_won.await.unwrap(), 2);
        assert!(died.elapsed() <= Duration::from_secs(9) + Duration::from_millis(100));
        assert_eq!(*b_fence.0.lock().unwrap(), [Some(2)]);
        let v = b_view.view();
        assert_eq!((v.role, v.leader.unwrap().epoch), (Role::Leader, 2));
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_leader_whose_lease_was_taken_leaves() {
        let table = Arc::new(MemoryLease::default());
        let shutdown = CancellationToken::new();
        let (a, _) = elector(&table, "a");
        let (a_run, a_won, _) = start(a, &shutdown).await;
        assert_eq!(a_won.await.unwrap(), 1);
        // As if a were paused past its lease and b took over meanwhile.
        tokio::time::sleep(Duration::from_secs(1)).await;
        table.expire_now();
        let b_table: &dyn LeaseTable = table.as_ref();
        let b = b_table.take("b", Duration::from_secs(9)).await.unwrap();
        assert_eq!(b.unwrap().epoch, 2);
        assert_eq!(a_run.await.unwrap(), Err(Lost::TakenOver { epoch: 1 }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_leader_cut_off_from_the_database_leaves_before_its_lease_ends() {
        let table = Arc::new(MemoryLease::default());
        let shutdown = CancellationToken::new();
        let (a, _) = elector(&table, "a");
        let (a_run, a_won, _) = start(a, &shutdown).await;
        assert_eq!(a_won.await.unwrap(), 1);
        tokio::time::sleep(Duration::from_secs(4)).await; // renewed at 3 s
        table.set_down(true);
        let cut = Instant::now();
        let lost = a_run.await.unwrap();
        assert!(
            matches!(lost, Err(Lost::Unrenewed { epoch: 1, .. })),
            "{lost:?}"
        );
        // The last renewal was sent at 3 s: the deadline is 12 s, 8 s after the cut.
        assert!(
            cut.elapsed() <= Duration::from_secs(8),
            "{:?}",
            cut.elapsed()
        );
        // Nobody else could take the lease before then.
        table.set_down(false);
        let t: &dyn LeaseTable = table.as_ref();
        let (_, left) = t.current().await.unwrap().unwrap();
        assert!(left <= Duration::from_millis(1), "{left:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_outage_is_ridden_out_and_release_hands_over_at_once() {
        let table = Arc::new(MemoryLease::default());
        let shutdown = CancellationToken::new();
        let (a, _) = elector(&table, "a");
        let (a_run, a_won, a_view) = start(a, &shutdown).await;
        assert_eq!(a_won.await.unwrap(), 1);
        table.set_down(true);
        tokio::time::sleep(Duration::from_secs(4)).await;
        table.set_down(false);
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert!(!a_run.is_finished());
        assert_eq!(a_view.view().role, Role::Leader);

        let (b, _) = elector(&table, "b");
        let (_b_run, b_won, _) = start(b, &CancellationToken::new()).await;
        shutdown.cancel();
        assert_eq!(a_run.await.unwrap(), Ok(()));
        let released = Instant::now();
        a_view.release().await;
        assert_eq!(b_won.await.unwrap(), 2);
        assert!(
            released.elapsed() <= Duration::from_secs(4),
            "{:?}",
            released.elapsed()
        );
    }
}
